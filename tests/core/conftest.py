"""Core use cases on the real store (a tmp SQLite file), the real hub and the exchange simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.identity import Caller
from bot.core.usecases import Core
from bot.exchanges.hub import ExchangeHub
from bot.exchanges.registry import SUPPORTED_VENUES
from bot.sim.server import Simulator
from bot.store import Store
from tests.support.fixtures import Clock, add_bybit_long, add_kraken_long
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import hub as hub
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault
from tests.support.limits import LIMITS_SPEED

# Kraken's simulator checks signatures with a base64 secret.
KRAKEN_SECRET = "c2VjcmV0LWFsaWNlLWtyYWtlbg=="
ALICE_KRAKEN = {"api_key": "alice-kraken-key", "secret": KRAKEN_SECRET}
BOB_BYBIT = {"api_key": "bob-bybit-key", "secret": "bob-bybit-secret"}
TRADING_BYBIT = {"api_key": "trading-bybit-key", "secret": "trading-bybit-secret"}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(limits_speed=LIMITS_SPEED) as simulator:
        add_kraken_long(simulator, ALICE_KRAKEN["api_key"], KRAKEN_SECRET)
        add_bybit_long(simulator, BOB_BYBIT["api_key"], BOB_BYBIT["secret"])
        simulator.add_account(
            "bybit",
            api_key=TRADING_BYBIT["api_key"],
            secret=TRADING_BYBIT["secret"],
            coins={"USDT": 100.0},
            read_only=False,
        )
        yield simulator


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(store: Store, hub: ExchangeHub, clock: Clock) -> Core:
    return Core(store, hub, SUPPORTED_VENUES, clock=clock)


def dm(user_id: str, name: str = "", platform: str = "telegram") -> Caller:
    """A user in a private chat with the bot."""
    return Caller(
        platform=platform, user_id=user_id, chat_id=user_id, is_private_chat=True, display_name=name
    )


def in_group(
    user_id: str,
    *,
    moderator: bool = False,
    name: str = "",
    group: str = "-100500",
    topic: str | None = None,
) -> Caller:
    """A user typing in a Telegram group (the group is the community)."""
    return Caller(
        platform="telegram",
        user_id=user_id,
        chat_id=group,
        is_private_chat=False,
        is_moderator=moderator,
        display_name=name,
        community_id=group,
        topic_id=topic,
    )


ALICE = dm("1001", "alice")
BOB = dm("1002", "bob")
