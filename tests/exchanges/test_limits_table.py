"""The venues' limits table: the published figures, a cost for every request the adapters send,
and the simulator's answers past a limit read back as the verdict they mean."""

from __future__ import annotations

import pytest

from bot.exchanges import Credentials, ExchangeHub
from bot.exchanges.limits import VENUE_LIMITS, generic_limits, limits_for
from bot.sim import Simulator
from bot.sim.limits import _answer, _refusal
from tests.exchanges import conftest as spot
from tests.sim import test_bybit_sim, test_hyperliquid_sim, test_krakenfutures_sim, test_okx_sim
from tests.support.limits import LIMITS_SPEED, limits_budget

COINM = Credentials(api_key="coin-1", secret="coin-secret")
COINM_SCENARIO = {
    "venues": {
        "binancecoinm": {
            "accounts": [
                {
                    "api_key": COINM.api_key,
                    "secret": COINM.secret,
                    "wallets": {"BTC": 0.5},
                    "positions": [{"symbol": "BTC/USD:BTC", "size": 300, "entry_price": 62000.0}],
                }
            ]
        }
    }
}
# Each venue with a simulator scenario and an account in it.
READS: dict[str, tuple[dict, Credentials]] = {
    "kraken": (spot.scenario(), spot.KRAKEN),
    "binanceusdm": (spot.scenario(), spot.USDM),
    "binance": (spot.scenario(), spot.MARGIN),
    "binancecoinm": (COINM_SCENARIO, COINM),
    "bybit": (test_bybit_sim.SCENARIO, test_bybit_sim.TRADER),
    "okx": (test_okx_sim.SCENARIO, test_okx_sim.TRADER),
    "krakenfutures": (test_krakenfutures_sim.SCENARIO, test_krakenfutures_sim.TRADER),
    "hyperliquid": (test_hyperliquid_sim.SCENARIO, test_hyperliquid_sim.WALLET),
}


def test_the_published_figures() -> None:
    # developers.binance.com: 2,400 weight a minute per IP; account V3 and position V3 weigh 5.
    usdm = limits_for("binanceusdm")
    fapi = usdm.bucket("binance:fapi")
    assert (fapi.scope, fapi.limit, fapi.window, fapi.kind) == ("ip", 2400, 60, "fixed")
    assert usdm.charges("GET", "/fapi/v3/account") == {"binance:fapi": 5}
    assert usdm.charges("GET", "/fapi/v3/positionRisk") == {"binance:fapi": 5}
    assert fapi.reported is not None and fapi.reported.used == "X-MBX-USED-WEIGHT-1M"
    assert usdm.answer(429, "{}").verdict == "limited"  # type: ignore[union-attr]
    assert usdm.answer(418, "{}").verdict == "banned"  # type: ignore[union-attr]
    # Bybit: 600 requests per 5 s per IP (403 and a ten-minute ban past it).
    bybit = limits_for("bybit").bucket("bybit:ip")
    assert (bybit.limit, bybit.window, bybit.exceeded) == (600, 5, "banned")
    # Kraken: a per-key counter of 15 draining 0.33 a second (the lowest tier), +1 a call.
    counter = limits_for("kraken").bucket("kraken:counter")
    assert (counter.scope, counter.kind, counter.limit) == ("key", "decay", 15)
    assert counter.limit / counter.window == pytest.approx(0.33)
    assert limits_for("kraken").charges("POST", "/0/private/TradeBalance") == {"kraken:counter": 1}
    # Kraken Futures: 500 every 10 s per key; accounts and openpositions cost 2.
    futures = limits_for("krakenfutures")
    assert futures.bucket("krakenfutures:derivatives").limit == 500
    assert futures.charges("GET", "/derivatives/api/v3/accounts") == {
        "krakenfutures:derivatives": 2
    }
    # Hyperliquid: 1,200 weight a minute per IP; clearinghouseState weighs 2, meta 20.
    hl = limits_for("hyperliquid")
    assert hl.charges("POST", "/info", "clearinghouseState") == {"hyperliquid:ip": 2}
    assert hl.charges("POST", "/info", "metaAndAssetCtxs") == {"hyperliquid:ip": 20}
    # OKX: 10 requests per 2 s per UID for the balance.
    okx = limits_for("okx").bucket("okx:balance")
    assert (okx.scope, okx.limit, okx.window) == ("key", 10, 2)


def test_every_bucket_names_its_source_and_reads_as_a_sentence() -> None:
    for table in VENUE_LIMITS.values():
        for bucket in table.buckets:
            assert len(bucket.source) > 20, bucket.name
    assert limits_for("binanceusdm").bucket("binance:fapi").describe() == (
        "2,400 weight per minute per IP"
    )
    assert "draining 0.33 a second" in limits_for("kraken").bucket("kraken:counter").describe()


def test_an_unknown_request_is_charged_the_venues_dearest_read() -> None:
    usdm = limits_for("binanceusdm")
    assert usdm.charges("GET", "/fapi/v9/somethingNew") == {"binance:fapi": 5}
    generic = generic_limits("generic:bitget", "Bitget", 50)
    (bucket,) = generic.buckets
    assert (bucket.limit, bucket.window, bucket.approximate) == (20, 1, True)


def test_every_venue_with_an_adapter_and_a_simulator_is_in_the_table() -> None:
    assert set(READS) == set(VENUE_LIMITS)


@pytest.mark.parametrize("venue", sorted(READS))
async def test_every_request_a_read_sends_has_its_own_cost_in_the_table(venue: str) -> None:
    table = limits_for(venue)
    costed = {(c.method, c.path) for c in table.costs}
    scenario, creds = READS[venue]
    async with (
        Simulator(scenario, limits_speed=LIMITS_SPEED) as sim,
        ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub,
    ):
        await hub.read_account(venue, creds)
        await hub.check_key(venue, creds)
        await hub.read_account(venue, creds)
    sent = {(seen.method, seen.path) for seen in sim.requests if seen.venue == venue}
    assert sent and sent <= costed, sent - costed


def test_the_simulators_answers_past_a_limit_mean_what_the_table_says() -> None:
    sim = Simulator(limits_speed=LIMITS_SPEED)
    for venue, table in VENUE_LIMITS.items():
        plugin = sim.venue(venue)
        for bucket in table.buckets:
            # What the simulator answers past the bucket, and its ban for not backing off.
            for verdict in {bucket.exceeded, "banned"}:
                answer = _answer(table, verdict, bucket)
                if answer is None:
                    continue
                response = _refusal(plugin, table, answer, 3.0)
                body = response.text or ""
                read = table.answer(response.status, body)
                assert read is not None, (venue, bucket.name, verdict, response.status, body)
                assert read.verdict == verdict, (venue, bucket.name)
                assert read.scope in (None, bucket.scope), (venue, bucket.name)
