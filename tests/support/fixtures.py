"""Fixtures and set-up the test folders share: a real SQLite store, a hub on the simulator, clocks.

A conftest takes a fixture by importing it under its own name (`from tests.support.fixtures
import store as store`), so each folder still says which shared fixtures it uses and may replace
any of them (the store folder's `key`, a folder's own `sim` accounts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.exchanges.hub import ExchangeHub
from bot.monitor.clock import ManualClock
from bot.sim.server import Simulator
from bot.store import Store, Vault, generate_key
from tests.support.limits import limits_budget


class Clock:
    """A settable clock so snooze and history times are exact."""

    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def add_kraken_long(simulator: Simulator, api_key: str, secret: str) -> None:
    """0.5 BTC long at 60,000 with 5x leverage on 10,000 USD (Kraken wants a base64 secret)."""
    simulator.add_account(
        "kraken",
        api_key=api_key,
        secret=secret,
        balances={"ZUSD": 10000.0},
        positions=[
            {"symbol": "BTC/USD", "vol": 0.5, "price": 60000.0, "type": "buy", "leverage": 5}
        ],
    )


def add_bybit_long(simulator: Simulator, api_key: str, secret: str) -> None:
    """0.5 BTC long at 60,000 with 10x leverage on 5,000 USDT."""
    simulator.add_account(
        "bybit",
        api_key=api_key,
        secret=secret,
        coins={"USDT": 5000.0},
        positions=[
            {
                "symbol": "BTC/USDT:USDT",
                "size": 0.5,
                "entry": 60000.0,
                "side": "Buy",
                "leverage": 10,
            }
        ],
    )


@pytest.fixture
def key() -> str:
    return generate_key()


@pytest.fixture
def vault(key: str) -> Vault:
    return Vault.from_strings([key])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "marginwatch.db"


@pytest.fixture
async def store(db_path: Path, vault: Vault) -> AsyncIterator[Store]:
    opened = await Store.open(db_path, vault)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def hub(sim: Simulator) -> AsyncIterator[ExchangeHub]:
    """A hub on the folder's own `sim` fixture, with no rate limit to wait on."""
    exchange_hub = ExchangeHub(base_urls=sim.base_urls, budget=limits_budget())
    try:
        yield exchange_hub
    finally:
        await exchange_hub.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
