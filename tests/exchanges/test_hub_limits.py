"""The real hub against the simulator enforcing the venues' limits: stop means stop for reads in
flight, a limited key pauses that key only, the venue's own count is followed, and egress
proxies each bring their own per-IP budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pproxy
import pytest

from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError
from bot.exchanges.budget import Budget
from bot.sim import Simulator
from tests.sim.conftest import KRAKEN_SECRET
from tests.support.limits import LIMITS_SPEED, limits_budget


def usdm(index: int) -> Credentials:
    return Credentials(api_key=f"usdm-{index}", secret=f"usdm-secret-{index}")


def add_usdm(sim: Simulator, count: int) -> list[Credentials]:
    accounts = []
    for index in range(count):
        creds = usdm(index)
        sim.add_account(
            "binanceusdm",
            api_key=creds.api_key,
            secret=creds.secret,
            wallet_balance=1000.0,
            positions=[{"symbol": "BTC/USDT:USDT", "size": 0.01, "entry_price": 60000.0}],
        )
        accounts.append(creds)
    return accounts


async def read_all(
    hub: ExchangeHub, accounts: list[Credentials], in_flight: int = 1000
) -> list[object]:
    slots = asyncio.Semaphore(in_flight)

    async def one(creds: Credentials) -> object:
        async with slots:
            return await hub.read_account("binanceusdm", creds)

    return await asyncio.gather(*(one(creds) for creds in accounts), return_exceptions=True)


async def test_after_a_limited_answer_nothing_more_leaves_not_even_from_reads_in_flight() -> None:
    async with Simulator(limits_speed=LIMITS_SPEED) as sim:
        accounts = add_usdm(sim, 60)
        async with ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub:
            await hub.read_account("binanceusdm", accounts[0])  # markets, brackets
            reads = asyncio.ensure_future(read_all(hub, accounts[1:]))
            await asyncio.sleep(0.02)
            # Another program on the same IP spends the minute: the next request gets a 429.
            sim.limits.consume("binanceusdm", "binance:fapi", "127.0.0.1", 2400)
            results = await reads
            failed = [r for r in results if isinstance(r, ExchangeReadError)]
            report = sim.limits.report()["binanceusdm"]
            assert report["limited_answers"] >= 1
            # Stop means stop: no request reached the venue while it refused this IP, no ban.
            assert report["requests_while_refused"] == 0
            assert report["bans"] == 0
            assert failed and all(e.state == "rate_limited" for e in failed)
            assert all((e.retry_after or 0) > 0 for e in failed)
            assert hub.limits_report()["binanceusdm"].state == "limited"
            # Once Retry-After has passed, reads go again (ramping up, not all at once).
            wait = max(e.retry_after or 0 for e in failed) / LIMITS_SPEED
            await asyncio.sleep(wait + 0.1)
            again = await read_all(hub, accounts[1:6])
            assert not [r for r in again if isinstance(r, Exception)]
    assert sim.limits.report()["binanceusdm"]["bans"] == 0


async def test_a_limited_kraken_key_does_not_delay_another_keys_reads() -> None:
    alice = Credentials("kraken-alice", KRAKEN_SECRET)
    bob = Credentials("kraken-bob", KRAKEN_SECRET)
    async with Simulator(limits_speed=LIMITS_SPEED) as sim:
        for creds in (alice, bob):
            sim.add_account("kraken", api_key=creds.api_key, secret=creds.secret, balances={})
        async with ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub:
            await hub.read_account("kraken", alice)
            await hub.read_account("kraken", bob)
            # Alice runs another program on her key: its counter is full at Kraken.
            sim.limits.consume("kraken", "kraken:counter", alice.api_key, 15)
            with pytest.raises(ExchangeReadError) as limited:
                await hub.read_account("kraken", alice)
            assert limited.value.state == "rate_limited"
            seen = len(sim.requests)
            # Bob reads on, several times, while Alice's key is still stopped.
            for _ in range(3):
                await hub.read_account("kraken", bob)
            with pytest.raises(ExchangeReadError) as still:
                await hub.read_account("kraken", alice)
            assert still.value.state == "rate_limited"
            keys_asked = [r for r in sim.requests[seen:] if r.path.startswith("/0/private/")]
            assert len(keys_asked) == 9  # bob's three reads; nothing of alice's went out
    report = sim.limits.report()["kraken"]
    assert report["requests_while_refused"] == 0
    assert report["limited_answers"] == 1


async def test_the_venues_own_count_is_followed_and_no_limit_is_hit() -> None:
    async with Simulator(limits_speed=LIMITS_SPEED) as sim:
        accounts = add_usdm(sim, 120)
        async with ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub:
            # Another program on this IP already spent most of the minute.
            sim.limits.consume("binanceusdm", "binance:fapi", "127.0.0.1", 1900)
            results = await read_all(hub, accounts)
    assert not [r for r in results if isinstance(r, Exception)]
    report = sim.limits.report()["binanceusdm"]
    assert report["limited_answers"] == 0 and report["bans"] == 0
    assert report["max_cost_per_window"]["binance:fapi"] <= 2400


@pytest.fixture
async def proxies() -> AsyncIterator[list[str]]:
    """Two real HTTP proxies, each leaving from its own loopback address (its own "IP")."""
    servers = []
    urls = []
    for host in ("127.0.0.2", "127.0.0.3"):
        server = await pproxy.Server(f"http://{host}:0/@in").start_server(
            {"rserver": [], "verbose": lambda *_: None}
        )
        servers.append(server)
        urls.append(f"http://{host}:{server.sockets[0].getsockname()[1]}")
    yield urls
    for server in servers:
        server.close()
        await server.wait_closed()


async def plan_all(hub: ExchangeHub, accounts: list[Credentials]) -> list[float]:
    """Read every account twice, planning each at a 60 s cadence; each IP lane's routine demand
    (weight a second) afterwards, busiest first."""
    for _ in range(2):
        reads = await read_all(hub, accounts, in_flight=32)  # as the monitor reads a venue
        assert not [r for r in reads if isinstance(r, Exception)]
        for read in reads:
            read.pace.interval(60.0, urgent=False)  # type: ignore[attr-defined]
    lanes = hub.budget._by_venue["binanceusdm"]
    return sorted(
        (lane.routine_demand for lane in lanes if lane.bucket.scope == "ip"), reverse=True
    )


async def test_two_egress_proxies_read_twice_the_accounts_at_the_same_cadence(proxies) -> None:
    async with Simulator(limits_speed=LIMITS_SPEED) as sim:
        accounts = add_usdm(sim, 400)
        async with ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as direct:
            (alone,) = await plan_all(direct, accounts[:200])
            one_ip = direct.budget._by_venue["binanceusdm"][0].stretch(urgent=False)
        before = len(sim.requests)
        async with ExchangeHub(
            base_urls=sim.base_urls, budget=limits_budget(), proxies=proxies
        ) as spread:
            busiest, other = await plan_all(spread, accounts)
            routes = {a.route.name for a in spread._venues["binanceusdm"].accounts.values()}
    # One IP's limit binds at 200 accounts a minute; over two IPs each carries half of 400, so
    # the same demand meets the same per-IP limit: the same cadence (within the hashing's spread).
    assert one_ip > 1.0
    assert busiest == pytest.approx(alone, rel=0.15) and other == pytest.approx(alone, rel=0.15)
    assert len(routes) == 2
    sources = {seen.remote for seen in sim.requests[before:]}
    assert sources == {"127.0.0.2", "127.0.0.3"}  # nothing left from this machine's own IP
    report = sim.limits.report()["binanceusdm"]
    assert report["limited_answers"] == 0 and report["bans"] == 0
    assert report["max_cost_per_window"]["binance:fapi"] <= 2400


def test_a_bad_proxy_entry_is_named_without_its_password() -> None:
    with pytest.raises(ValueError, match="not scheme://host:port") as bad:
        ExchangeHub(proxies=["ftp://user:hunter2@proxy.example:21"])
    assert "hunter2" not in str(bad.value)
    with pytest.raises(ValueError, match="listed twice"):
        ExchangeHub(proxies=["direct", "direct"])


async def test_an_unenforced_budget_is_the_only_way_past_the_limits() -> None:
    # bench/monitor_capacity.py --no-limits measures the machine, not the venues: it must say
    # so explicitly, with both switches; by default the hub keeps to the venues' limits.
    assert ExchangeHub().budget.enforce
    async with (
        Simulator(limits=False) as sim,
        ExchangeHub(base_urls=sim.base_urls, budget=Budget(enforce=False)) as hub,
    ):
        accounts = add_usdm(sim, 5)
        results = await read_all(hub, accounts)
    assert not [r for r in results if isinstance(r, Exception)]
