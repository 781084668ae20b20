"""Fixtures for the Telegram tests: the fake Bot API (over HTTP or in process) and the real
core on a real SQLite store, reading a simulated Kraken account through ccxt."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.usecases import Core
from bot.exchanges.hub import ExchangeHub
from bot.exchanges.registry import SUPPORTED_VENUES
from bot.monitor.clock import ManualClock
from bot.sim.server import Simulator
from bot.store import Store
from tests.fakes.telegram_api import FakeTelegramAPI, FakeTelegramServer
from tests.support.fixtures import add_kraken_long
from tests.support.fixtures import clock as clock
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault
from tests.support.limits import LIMITS_SPEED, limits_on

# The simulated Kraken account: 0.5 BTC long at 60,000 with 5x leverage on 10,000 USD.
# Margin call below ~49,600, liquidation near 44,800 (Kraken: margin level 80 % / 40 %).
KRAKEN_KEY = "kraken-key-alice-0001"
KRAKEN_SECRET = "c2VjcmV0LWFsaWNlLWtyYWtlbg=="
BTC = "BTC/USD"


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramAPI]:
    """A fake Bot API served on 127.0.0.1; fails the test if the bot called an unknown method."""
    async with FakeTelegramServer() as api:
        yield api
    assert not api.unknown_methods, f"bot called methods the fake lacks: {api.unknown_methods}"


@pytest.fixture
def offline_api() -> FakeTelegramAPI:
    """The same fake for handler tests, reached through InProcessRequest (no socket at all)."""
    return FakeTelegramAPI()


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(limits_speed=LIMITS_SPEED) as simulator:
        add_kraken_long(simulator, KRAKEN_KEY, KRAKEN_SECRET)
        simulator.set_price("kraken", BTC, 60000.0)
        yield simulator


@pytest.fixture
async def hub(sim: Simulator, clock: ManualClock) -> AsyncIterator[ExchangeHub]:
    """The hub on ``sim``, the venues' limits on the test's clock (polls jump minutes)."""
    async with ExchangeHub(base_urls=sim.base_urls, budget=limits_on(clock, sim)) as exchange_hub:
        yield exchange_hub


@pytest.fixture
def core(store: Store, hub: ExchangeHub, clock: ManualClock) -> Core:
    return Core(store, hub, SUPPORTED_VENUES, clock=clock.now)
