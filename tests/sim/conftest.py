"""Set-up for the simulator tests: a small two-venue scenario, and the `sim` and `hub` fixtures
of the per-venue files, which serve the test module's own SCENARIO."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.exchanges import Credentials, ExchangeHub
from bot.sim import Simulator
from bot.sim.server import SeenRequest
from tests.support.limits import LIMITS_SPEED, limits_budget

KRAKEN_SECRET = base64.b64encode(b"sim-test-kraken-secret").decode()


def scenario() -> dict:
    return {
        "venues": {
            "kraken": {
                "accounts": [
                    {
                        "api_key": "k-1",
                        "secret": KRAKEN_SECRET,
                        "balances": {"ZUSD": 1000.0},
                        "positions": [
                            {
                                "symbol": "BTC/USD",
                                "type": "buy",
                                "vol": 0.1,
                                "price": 60000.0,
                                "leverage": 5,
                            }
                        ],
                    },
                    {"api_key": "k-2", "secret": KRAKEN_SECRET, "balances": {"ZUSD": 50.0}},
                ]
            },
            "binanceusdm": {
                "accounts": [
                    {
                        "api_key": "b-1",
                        "secret": "b-secret",
                        "wallet_balance": 1000.0,
                        "positions": [
                            {"symbol": "BTC/USDT:USDT", "size": 0.1, "entry_price": 60000.0}
                        ],
                    },
                    {"api_key": "b-2", "secret": "b-secret-2", "wallet_balance": 10.0},
                ]
            },
        },
        "steps": [{"factor": 0.5}, {"venue": "kraken", "factor": 2.0}],
    }


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    """The module's SCENARIO, served; an injected timeout gives up after 3 s."""
    async with Simulator(
        request.module.SCENARIO, timeout_fault_seconds=3.0, limits_speed=LIMITS_SPEED
    ) as simulator:
        yield simulator


@pytest.fixture
async def hub(request: pytest.FixtureRequest, sim: Simulator) -> AsyncIterator[ExchangeHub]:
    """A hub on the module's venues only: 1 s timeout, no rate limit, no back-off."""
    venues = list(request.module.SCENARIO["venues"])
    async with ExchangeHub(
        base_urls={venue: sim.base_url(venue) for venue in venues},
        timeout_ms=1000,
        budget=limits_budget(),
        backoff_base=0.0,
    ) as exchange_hub:
        yield exchange_hub


async def ccxt_client(hub: ExchangeHub, venue: str, credentials: Credentials) -> Any:
    """The ccxt instance the hub holds for ``credentials`` on ``venue``, after one read."""
    await hub.read_account(venue, credentials)
    (account,) = hub._venues[venue].accounts.values()
    return account.exchange


async def second_read(
    sim: Simulator, hub: ExchangeHub, venue: str, credentials: Credentials
) -> list[SeenRequest]:
    """The requests of a poll after the first (the first's one-off set-up left out)."""
    await hub.read_account(venue, credentials)
    before = len(sim.requests)
    await hub.read_account(venue, credentials)
    return sim.requests[before:]
