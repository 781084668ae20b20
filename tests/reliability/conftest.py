"""Fixtures for the reliability suite: the real core on a real store, reading the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.identity import Caller
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
from bot.sim import Simulator
from bot.store import Store
from tests.support.fixtures import Clock, add_bybit_long, add_kraken_long
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import hub as hub
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault
from tests.support.limits import LIMITS_SPEED

# Known test secrets: the security scan looks for every one of them everywhere.
KRAKEN_SECRET = "c2VjcmV0LWtub3duLXRlc3Qta3Jha2Vu"  # base64, as Kraken's simulator checks
ALICE_KEYS = {"api_key": "ALICE-KNOWN-API-KEY-7c1e", "secret": KRAKEN_SECRET}
BOB_KEYS = {"api_key": "BOB-KNOWN-API-KEY-93ad", "secret": "BOB-KNOWN-SECRET-5f0b"}
SECRETS = (ALICE_KEYS["api_key"], KRAKEN_SECRET, BOB_KEYS["api_key"], BOB_KEYS["secret"])


def dm(user_id: str, platform: str = "telegram") -> Caller:
    return Caller(
        platform=platform,
        user_id=user_id,
        chat_id=user_id,
        is_private_chat=True,
        display_name=f"user {user_id}",
    )


def in_group(
    user_id: str, *, moderator: bool = False, platform: str = "telegram", group: str = "-100500"
) -> Caller:
    return Caller(
        platform=platform,
        user_id=user_id,
        chat_id=group,
        is_private_chat=False,
        is_moderator=moderator,
        display_name=f"user {user_id}",
        community_id=group,
    )


ALICE, BOB = dm("1001"), dm("1002")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(limits_speed=LIMITS_SPEED) as simulator:
        add_kraken_long(simulator, ALICE_KEYS["api_key"], KRAKEN_SECRET)
        add_bybit_long(simulator, BOB_KEYS["api_key"], BOB_KEYS["secret"])
        yield simulator


@pytest.fixture
def core(store: Store, hub: ExchangeHub) -> Core:
    return Core(store, hub, SUPPORTED_VENUES, clock=Clock())
