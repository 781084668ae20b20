"""Core use cases on the real store (a tmp SQLite file), the real hub and the exchange simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.identity import Caller
from bot.core.usecases import Core
from bot.exchanges.hub import ExchangeHub
from bot.exchanges.registry import SUPPORTED_VENUES
from bot.sim.server import Simulator
from bot.store import Store, Vault, generate_key

# Kraken's simulator checks signatures with a base64 secret.
KRAKEN_SECRET = "c2VjcmV0LWFsaWNlLWtyYWtlbg=="
ALICE_KRAKEN = {"api_key": "alice-kraken-key", "secret": KRAKEN_SECRET}
BOB_BYBIT = {"api_key": "bob-bybit-key", "secret": "bob-bybit-secret"}
TRADING_BYBIT = {"api_key": "trading-bybit-key", "secret": "trading-bybit-secret"}


class Clock:
    """A settable clock so snooze and history times are exact."""

    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator()
    await simulator.start()
    simulator.add_account("kraken", api_key=ALICE_KRAKEN["api_key"], secret=KRAKEN_SECRET,
                          balances={"ZUSD": 10000.0},
                          positions=[{"symbol": "BTC/USD", "vol": 0.5, "price": 60000.0,
                                      "type": "buy", "leverage": 5}])
    simulator.add_account("bybit", api_key=BOB_BYBIT["api_key"], secret=BOB_BYBIT["secret"],
                          coins={"USDT": 5000.0},
                          positions=[{"symbol": "BTC/USDT:USDT", "size": 0.5,
                                      "entry": 60000.0, "side": "Buy", "leverage": 10}])
    simulator.add_account("bybit", api_key=TRADING_BYBIT["api_key"],
                          secret=TRADING_BYBIT["secret"], coins={"USDT": 100.0},
                          read_only=False)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def hub(sim: Simulator) -> AsyncIterator[ExchangeHub]:
    exchange_hub = ExchangeHub(base_urls=sim.base_urls,
                               requests_per_second=dict.fromkeys(sim.base_urls, 0))
    try:
        yield exchange_hub
    finally:
        await exchange_hub.close()


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "core.sqlite", Vault.from_strings([generate_key()]))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(store: Store, hub: ExchangeHub, clock: Clock) -> Core:
    return Core(store, hub, SUPPORTED_VENUES, clock=clock)


def dm(user_id: str, name: str = "", platform: str = "telegram") -> Caller:
    """A user in a private chat with the bot."""
    return Caller(platform=platform, user_id=user_id, chat_id=user_id, is_private_chat=True,
                  display_name=name)


def in_group(user_id: str, *, moderator: bool = False, name: str = "",
             group: str = "-100500", topic: str | None = None) -> Caller:
    """A user typing in a Telegram group (the group is the community)."""
    return Caller(platform="telegram", user_id=user_id, chat_id=group, is_private_chat=False,
                  is_moderator=moderator, display_name=name, community_id=group,
                  topic_id=topic)


ALICE = dm("1001", "alice")
BOB = dm("1002", "bob")
