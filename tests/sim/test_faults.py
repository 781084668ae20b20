"""Injected faults reach the real ccxt client and end in the right account state."""

from __future__ import annotations

import asyncio

import pytest

from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED, limits_budget

from .conftest import KRAKEN_SECRET, scenario

ACCOUNTS = {
    "kraken": Credentials("k-1", KRAKEN_SECRET),
    "binanceusdm": Credentials("b-1", "b-secret"),
}
OTHER = {
    "kraken": Credentials("k-2", KRAKEN_SECRET),
    "binanceusdm": Credentials("b-2", "b-secret-2"),
}
VENUES = sorted(ACCOUNTS)


def hub_for(sim: Simulator, **kwargs: object) -> ExchangeHub:
    options: dict = {
        "base_urls": sim.base_urls,
        "timeout_ms": 400,
        "backoff_base": 0.0,
        "budget": limits_budget(),
    }
    options.update(kwargs)
    return ExchangeHub(**options)  # type: ignore[arg-type]


async def read_state(sim: Simulator, venue: str, kind: str, **fault: object) -> ExchangeReadError:
    async with hub_for(sim) as hub:
        await hub.read_account(venue, ACCOUNTS[venue])  # markets loaded, account known
        sim.inject_fault(venue, kind, **fault)  # type: ignore[arg-type]
        with pytest.raises(ExchangeReadError) as caught:
            await hub.read_account(venue, ACCOUNTS[venue])
        # The fault was used up: the next read is fine again.
        await hub.read_account(venue, ACCOUNTS[venue])
        return caught.value


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize(
    ("kind", "state"),
    [
        ("server_error", "exchange_down"),
        ("maintenance", "exchange_down"),
        ("timeout", "exchange_down"),
        ("revoked_key", "auth_failed"),
        ("auth", "auth_failed"),
        ("permission", "permission_denied"),
        ("malformed_json", "bad_response"),
    ],
)
async def test_each_fault_ends_in_its_state(venue: str, kind: str, state: str):
    if kind == "permission" and venue.startswith("binance"):
        state = "auth_failed"  # Binance answers a missing right with -2015, like a bad key
    async with Simulator(scenario(), timeout_fault_seconds=2.0, limits_speed=LIMITS_SPEED) as sim:
        error = await read_state(sim, venue, kind)
    assert error.state == state, error.detail


@pytest.mark.parametrize("venue", VENUES)
async def test_rate_limit_is_429_with_retry_after_and_ends_as_rate_limited(venue: str):
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim:
        error = await read_state(sim, venue, "rate_limit", retry_after=0.0)
    assert error.state == "rate_limited"
    assert error.retry_after == 0.0


async def test_rate_limit_backs_off_the_whole_exchange_until_retry_after():
    async with (
        Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim,
        hub_for(sim, backoff_base=5.0) as hub,
    ):
        await hub.read_account("binanceusdm", ACCOUNTS["binanceusdm"])
        sim.inject_fault("binanceusdm", "rate_limit", retry_after=0.3)
        with pytest.raises(ExchangeReadError) as first:
            await hub.read_account("binanceusdm", ACCOUNTS["binanceusdm"])
        assert first.value.retry_after == pytest.approx(0.3)
        sent = len(sim.requests)
        # Another account on the same exchange waits too: the limit is per IP.
        with pytest.raises(ExchangeReadError) as second:
            await hub.read_account("binanceusdm", OTHER["binanceusdm"])
        assert second.value.state == "rate_limited" and 0 < second.value.retry_after <= 0.3
        assert len(sim.requests) == sent, "a request went out during the back-off"
        await asyncio.sleep(0.35)
        await hub.read_account("binanceusdm", OTHER["binanceusdm"])


async def test_an_outage_of_one_account_backs_off_that_account_only():
    async with (
        Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim,
        hub_for(sim, backoff_base=5.0) as hub,
    ):
        await hub.read_account("kraken", ACCOUNTS["kraken"])
        sim.inject_fault("kraken", "server_error")
        with pytest.raises(ExchangeReadError):
            await hub.read_account("kraken", ACCOUNTS["kraken"])
        with pytest.raises(ExchangeReadError) as again:
            await hub.read_account("kraken", ACCOUNTS["kraken"])
        assert again.value.state == "exchange_down" and again.value.retry_after > 4
        await hub.read_account("kraken", OTHER["kraken"])  # unaffected


async def test_revoked_key_stays_refused():
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim, hub_for(sim) as hub:
        await hub.read_account("binanceusdm", ACCOUNTS["binanceusdm"])
        sim.revoke_key("binanceusdm", "b-1")
        for _ in range(2):
            with pytest.raises(ExchangeReadError) as caught:
                await hub.read_account("binanceusdm", ACCOUNTS["binanceusdm"])
            assert caught.value.state == "auth_failed"


async def test_clock_outside_binance_recv_window_is_reported_as_temporary():
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim, hub_for(sim) as hub:
        await hub.read_account("binanceusdm", ACCOUNTS["binanceusdm"])
        sim.venue("binanceusdm").clock_offset_ms = 120_000  # type: ignore[attr-defined]
        with pytest.raises(ExchangeReadError) as caught:
            await hub.read_account("binanceusdm", ACCOUNTS["binanceusdm"])
    assert caught.value.state == "exchange_down" and "-1021" in caught.value.detail


async def test_public_faults_hit_market_loading_only_when_asked():
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim, hub_for(sim) as hub:
        sim.inject_fault("kraken", "server_error", public=True)
        with pytest.raises(ExchangeReadError) as caught:
            await hub.read_account("kraken", ACCOUNTS["kraken"])
        assert caught.value.state == "exchange_down"
        await hub.read_account("kraken", ACCOUNTS["kraken"])
