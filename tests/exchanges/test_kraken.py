"""Kraken spot margin read through the real ccxt client against the simulator."""

from __future__ import annotations

import asyncio
import base64

import pytest

import risk
from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED, limits_budget

from .conftest import KRAKEN, KRAKEN_EMPTY, private_requests


async def test_kraken_account_becomes_a_snapshot_with_kraken_own_figures(hub: ExchangeHub):
    read = await hub.read_account("kraken", KRAKEN)
    snapshot = read.snapshot
    assert snapshot.venue == "kraken" and snapshot.settle == "USD"
    assert snapshot.wallet_balance == pytest.approx(10000.0)
    btc, eth = snapshot.positions
    assert (btc.symbol, btc.size, btc.entry_price, btc.mark_price) == ("BTC/USD", 1.0, 65000, 60000)
    assert btc.used_margin == pytest.approx(13000.0) and btc.used_margin_in == "quote"
    # A short borrows base: its margin is an amount of ETH, revalued at mark by the engine.
    assert eth.size == -2.0 and eth.used_margin_in == "base"
    assert eth.used_margin == pytest.approx(1.0)
    assert [(a.asset, a.amount, a.price) for a in snapshot.assets] == [("BTC", 0.1, 60000.0)]
    # Our margin level must agree with the one Kraken itself reports (ml).
    health = risk.assess(snapshot)
    assert health.ratio.value == pytest.approx(snapshot.reported["margin_level"], rel=1e-6)
    assert health.equity == pytest.approx(snapshot.reported["equity"], rel=1e-6)


async def test_staked_balances_are_left_out_of_collateral_and_the_user_is_told(hub: ExchangeHub):
    read = await hub.read_account("kraken", KRAKEN)
    assert all(asset.asset != "DOT" for asset in read.snapshot.assets)
    assert any("DOT.S" in note and "staked" in note for note in read.notes)


async def test_account_without_positions_reads_as_empty_not_as_an_error(hub: ExchangeHub):
    read = await hub.read_account("kraken", KRAKEN_EMPTY)
    assert read.snapshot.positions == ()
    assert read.snapshot.wallet_balance == pytest.approx(500.0)


async def test_ccxt_parser_raises_on_empty_object_result_which_the_adapter_survives(sim):
    # ccxt's kraken.fetch_positions raises a bare TypeError on {"result": {}} (notes §1.4):
    # the reason the adapter reads OpenPositions raw.
    import ccxt.async_support as ccxt

    sim.load_recording(
        "kraken",
        {
            "POST /0/private/OpenPositions": {"error": [], "result": {}},
            "POST /0/private/TradeBalance": {
                "error": [],
                "result": {"tb": "100.0", "e": "100.0", "m": "0.0", "n": "0.0"},
            },
            "POST /0/private/BalanceEx": {
                "error": [],
                "result": {"ZUSD": {"balance": "100.0", "hold_trade": "0"}},
            },
        },
    )
    exchange = ccxt.kraken(
        {
            "apiKey": KRAKEN.api_key,
            "secret": KRAKEN.secret,
            # ccxt's own limiter keeps this bare client to Kraken's public limit (enforced by
            # the simulator), at the tests' limits speed.
            "enableRateLimit": True,
            "rateLimit": 1000 / LIMITS_SPEED,
        }
    )
    exchange.urls["api"] = {"public": sim.base_url("kraken"), "private": sim.base_url("kraken")}
    try:
        await exchange.load_markets()
        with pytest.raises(TypeError):
            await exchange.fetch_positions()
    finally:
        await exchange.close()
    async with ExchangeHub(
        base_urls={"kraken": sim.base_url("kraken")}, budget=limits_budget()
    ) as hub:
        read = await hub.read_account("kraken", KRAKEN)
    assert read.snapshot.positions == ()


async def test_wrong_secret_gets_krakens_invalid_key_and_ends_as_auth_failed(hub: ExchangeHub):
    wrong = Credentials(api_key=KRAKEN.api_key, secret=base64.b64encode(b"nope").decode())
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("kraken", wrong)
    assert caught.value.state == "auth_failed"
    assert "EAPI:Invalid key" in caught.value.detail
    assert wrong.secret not in str(caught.value)


async def test_one_kraken_key_never_sends_two_requests_at_once(sim: Simulator, hub: ExchangeHub):
    # Ten concurrent reads of one key: with the per-key lock every nonce arrives in order,
    # so Kraken's strictly-increasing nonce check never fails.
    sim.latency = 0.002
    reads = await asyncio.gather(*(hub.read_account("kraken", KRAKEN) for _ in range(10)))
    assert len(reads) == 10
    assert private_requests(sim, "kraken").count("POST /0/private/TradeBalance") == 10


async def test_key_check_says_kraken_cannot_report_rights_and_how_to_make_a_query_key(
    hub: ExchangeHub,
):
    check = await hub.check_key("kraken", KRAKEN)
    assert check.ok and not check.can_report_rights
    assert "Query Funds" in check.message and "cannot tell" in check.message


async def test_prices_follow_the_scenario_steps(sim: Simulator, hub: ExchangeHub):
    before = (await hub.read_account("kraken", KRAKEN)).snapshot.positions[0].mark_price
    sim.step()  # every price x 0.9
    sim.step()  # BTC/USD set to 40,000
    after = (await hub.read_account("kraken", KRAKEN)).snapshot.positions[0].mark_price
    assert (before, after) == (pytest.approx(60000.0), pytest.approx(40000.0))


async def test_asset_pair_levels_become_thresholds_only_when_they_differ_from_the_profile(sim):
    budget = limits_budget()  # two hubs one after the other, from one IP: one budget
    async with ExchangeHub(base_urls=sim.base_urls, budget=budget) as hub:
        assert (await hub.read_account("kraken", KRAKEN)).snapshot.thresholds is None
    sim.venue("kraken").margin_levels = (70, 30)  # type: ignore[attr-defined]
    async with ExchangeHub(base_urls=sim.base_urls, budget=budget) as hub:
        thresholds = (await hub.read_account("kraken", KRAKEN)).snapshot.thresholds
    assert thresholds is not None
    assert (thresholds.margin_call, thresholds.liquidation) == (0.7, pytest.approx(0.3))


async def test_a_gap_between_krakens_trade_balance_and_our_prices_is_told(sim, hub):
    # The first read caches the ticker; then BTC moves but Kraken's own tb follows at once.
    await hub.read_account("kraken", KRAKEN)
    sim.set_price("kraken", "BTC/USD", 300000.0)  # 0.1 BTC now worth 30,000 at Kraken
    read = await hub.read_account("kraken", KRAKEN)
    assert any("Kraken values the collateral" in note for note in read.notes)
