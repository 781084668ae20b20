"""The simulator enforces the venues' limits as the venues do: weights in windows per IP or per
key, Retry-After, the venue's own count on each answer, and a ban for not backing off."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sim import Simulator


class HeldClock:
    """Wall-clock time that stands still unless moved: no window ends during a test."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0  # on a whole minute

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def held() -> AsyncIterator[tuple[Simulator, HeldClock]]:
    clock = HeldClock()
    sim = Simulator()
    sim.limits.clock = clock
    async with sim:
        yield sim, clock


async def get(sim: Simulator, venue: str, path: str, *, source: str = "127.0.0.1", **kw):
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(sim.base_url(venue) + path, **kw) as response,
    ):
        return response.status, dict(response.headers), await response.text()


async def post(sim: Simulator, venue: str, path: str, headers: dict[str, str]):
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.base_url(venue) + path, data="nonce=1", headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_binance_counts_weight_reports_it_then_429s_and_bans_who_keeps_asking(held) -> None:
    sim, clock = held
    sim.limits.consume("binanceusdm", "binance:fapi", "127.0.0.1", 2398)
    status, headers, _ = await get(sim, "binanceusdm", "/fapi/v1/exchangeInfo")
    assert status == 200 and headers["X-MBX-USED-WEIGHT-1M"] == "2399"
    status, headers, _ = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 200 and headers["X-MBX-USED-WEIGHT-1M"] == "2400"
    status, headers, body = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 429 and json.loads(body)["code"] == -1003
    assert headers["Retry-After"] == "60"  # the minute is full until it ends
    # A request already on its way when the 429 went out is refused but forgiven...
    status, _, _ = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 429
    assert sim.limits.report()["binanceusdm"]["requests_while_refused"] == 0
    # ...asking again later, before Retry-After, is "failing to back off": 429, then the ban.
    clock.t += 1
    status, _, _ = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 429
    status, headers, body = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 418 and "IP banned until" in body
    assert int(headers["Retry-After"]) >= 120
    report = sim.limits.report()["binanceusdm"]
    assert report["limited_answers"] == 3 and report["bans"] == 1
    assert report["requests_while_refused"] == 2
    assert report["max_cost_per_window"]["binance:fapi"] == 2400
    # Another IP is another budget.
    status, _, _ = await get(sim, "binanceusdm", "/fapi/v1/time", source="127.0.0.2")
    assert status == 200


async def test_the_window_ends_on_the_clock(held) -> None:
    sim, clock = held
    sim.limits.consume("binanceusdm", "binance:fapi", "127.0.0.1", 2400)
    status, _, _ = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 429
    clock.t += 60
    status, headers, _ = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 200 and headers["X-MBX-USED-WEIGHT-1M"] == "1"


async def test_kraken_meters_each_key_apart_with_its_draining_counter(held) -> None:
    sim, clock = held
    sim.limits.consume("kraken", "kraken:counter", "key-a", 15)
    _, body = await post(sim, "kraken", "/0/private/TradeBalance", {"API-Key": "key-a"})
    assert "EAPI:Rate limit exceeded" in body
    _, body = await post(sim, "kraken", "/0/private/TradeBalance", {"API-Key": "key-b"})
    assert "Rate limit" not in body  # refused for its signature, not for key-a's counter
    clock.t += 4  # 0.33 a second drains more than one point
    _, body = await post(sim, "kraken", "/0/private/TradeBalance", {"API-Key": "key-a"})
    assert "Rate limit" not in body and "lockout" not in body


async def test_bybit_bans_an_ip_past_600_requests_in_5_seconds(held) -> None:
    sim, clock = held
    sim.limits.consume("bybit", "bybit:ip", "127.0.0.1", 600)
    status, _, body = await get(sim, "bybit", "/v5/market/time")
    assert status == 403 and "access too frequent" in body
    clock.t += 60  # the window is long gone, the ten-minute ban is not
    status, _, _ = await get(sim, "bybit", "/v5/market/time")
    assert status == 403
    status, _, _ = await get(sim, "bybit", "/v5/market/time", source="127.0.0.3")
    assert status == 200
    clock.t += 600
    status, _, _ = await get(sim, "bybit", "/v5/market/time")
    assert status == 200


async def test_bybit_reports_the_per_key_endpoint_limit(held) -> None:
    sim, _ = held
    _, headers, _ = await get(
        sim, "bybit", "/v5/position/list", headers={"X-BAPI-API-KEY": "someone"}
    )
    assert headers["X-Bapi-Limit"] == "10" and headers["X-Bapi-Limit-Status"] == "9"


async def test_hyperliquid_weighs_requests_by_their_type(held) -> None:
    sim, _ = held
    async with aiohttp.ClientSession() as session:
        for kind in ("clearinghouseState", "metaAndAssetCtxs"):
            body = {"type": kind, "user": "0x" + "11" * 20}
            async with session.post(sim.base_url("hyperliquid") + "/info", json=body) as reply:
                assert reply.status == 200
    peak = sim.limits.report()["hyperliquid"]["max_cost_per_window"]["hyperliquid:ip"]
    assert peak == 2 + 20


async def test_limits_can_be_switched_off_only_by_saying_so() -> None:
    assert Simulator().limits.enabled
    async with Simulator(limits=False) as sim:
        sim.limits.consume("binanceusdm", "binance:fapi", "127.0.0.1", 5000)
        status, headers, _ = await get(sim, "binanceusdm", "/fapi/v1/time")
    assert status == 200 and "X-MBX-USED-WEIGHT-1M" not in headers
