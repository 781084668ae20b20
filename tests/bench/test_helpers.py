"""The benchmarks' helpers: nearest-rank percentiles and the cloned-instance hub they measure."""

from __future__ import annotations

import asyncio

import pytest

from bench._common import ClonedInstanceHub, bench_account, percentile
from bot.exchanges.guard import ReadOnlyViolation
from bot.exchanges.types import Credentials
from bot.sim import Simulator


def test_percentile_is_nearest_rank_so_one_slow_poll_in_a_hundred_is_not_the_p99() -> None:
    values = [0.1] * 99 + [9.0]
    assert percentile(values, 0.50) == 0.1
    assert percentile(values, 0.99) == 0.1
    assert percentile([*values, 9.0], 0.99) == 9.0
    assert percentile([], 0.99) == 0.0


def test_bench_accounts_spread_over_venues_with_one_in_fifty_at_risk() -> None:
    accounts = [bench_account(index) for index in range(100)]
    assert {a.venue for a in accounts} == {"kraken", "binanceusdm", "binance", "bybit"}
    assert sum(a.at_risk for a in accounts) == 2
    assert len({a.api_key for a in accounts}) == 100


async def test_cloned_instances_read_each_account_with_its_own_key() -> None:
    sim = Simulator()
    await sim.start()
    rich = Credentials(api_key="clone-rich", secret="s-rich")
    poor = Credentials(api_key="clone-poor", secret="s-poor")
    for creds, usdt in ((rich, 50_000.0), (poor, 1_000.0)):
        sim.add_account("bybit", api_key=creds.api_key, secret=creds.secret,
                        coins={"USDT": usdt},
                        positions=[{"symbol": "BTC/USDT:USDT", "size": 0.1, "entry": 60_000.0,
                                    "side": "Buy", "leverage": 10}])
    hub = ClonedInstanceHub(base_urls=sim.base_urls, requests_per_second={"bybit": 0.0})
    try:
        reads = await asyncio.gather(*(hub.read_account("bybit", c)
                                       for c in (rich, poor, rich, poor)))
        wallets = [read.snapshot.assets[0].amount for read in reads]  # USDT collateral
        assert wallets == [50_000.0, 1_000.0, 50_000.0, 1_000.0]
        template = hub._templates["bybit"]
        assert not template.apiKey and not template.secret  # the template holds no key
        clones = [account.exchange for account in hub._venues["bybit"].accounts.values()]
        assert {clone.apiKey for clone in clones} == {rich.api_key, poor.api_key}
        assert clones[0].options is not clones[1].options
        with pytest.raises(ReadOnlyViolation):  # each clone keeps its own read-only guard
            await clones[0].fetch2("v5/order/create", "private", "POST")
    finally:
        await hub.close()
        await sim.stop()
