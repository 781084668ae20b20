"""Fixtures for the reliability suite: the real core on a real store, reading the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.identity import Caller
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
from bot.sim import Simulator
from bot.store import Store, Vault, generate_key

# Known test secrets: the security scan looks for every one of them everywhere.
KRAKEN_SECRET = "c2VjcmV0LWtub3duLXRlc3Qta3Jha2Vu"  # base64, as Kraken's simulator checks
ALICE_KEYS = {"api_key": "ALICE-KNOWN-API-KEY-7c1e", "secret": KRAKEN_SECRET}
BOB_KEYS = {"api_key": "BOB-KNOWN-API-KEY-93ad", "secret": "BOB-KNOWN-SECRET-5f0b"}
SECRETS = (ALICE_KEYS["api_key"], KRAKEN_SECRET, BOB_KEYS["api_key"], BOB_KEYS["secret"])


def dm(user_id: str, platform: str = "telegram") -> Caller:
    return Caller(platform=platform, user_id=user_id, chat_id=user_id, is_private_chat=True,
                  display_name=f"user {user_id}")


def in_group(user_id: str, *, moderator: bool = False, platform: str = "telegram",
             group: str = "-100500") -> Caller:
    return Caller(platform=platform, user_id=user_id, chat_id=group, is_private_chat=False,
                  is_moderator=moderator, display_name=f"user {user_id}", community_id=group)


ALICE, BOB = dm("1001"), dm("1002")


class Clock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator()
    await simulator.start()
    simulator.add_account("kraken", api_key=ALICE_KEYS["api_key"], secret=KRAKEN_SECRET,
                          balances={"ZUSD": 10000.0},
                          positions=[{"symbol": "BTC/USD", "vol": 0.5, "price": 60000.0,
                                      "type": "buy", "leverage": 5}])
    simulator.add_account("bybit", api_key=BOB_KEYS["api_key"], secret=BOB_KEYS["secret"],
                          coins={"USDT": 5000.0},
                          positions=[{"symbol": "BTC/USDT:USDT", "size": 0.5,
                                      "entry": 60000.0, "side": "Buy", "leverage": 10}])
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:  # type: ignore[no-untyped-def]
    opened = await Store.open(tmp_path / "core.sqlite", Vault.from_strings([generate_key()]))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def core(sim: Simulator, store: Store) -> AsyncIterator[Core]:
    hub = ExchangeHub(base_urls=sim.base_urls, requests_per_second=dict.fromkeys(sim.base_urls, 0))
    try:
        yield Core(store, hub, SUPPORTED_VENUES, clock=Clock())
    finally:
        await hub.close()
