"""A flood from one user never delays another user's answer (issue 12), through the real PTB
Application long-polling the fake Bot API over HTTP, with the production pace of one message a
second per private chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.chat.telegram.app import TelegramFrontend
from bot.chat.telegram.settings import TelegramSettings
from bot.core import texts
from bot.core.usecases import Core
from tests.fakes.telegram_api import FakeTelegramAPI

FLOODER, BOB, CAROL = 4001, 4002, 4003


@pytest.fixture
async def frontend(telegram_api: FakeTelegramAPI, core: Core) -> AsyncIterator[TelegramFrontend]:
    for user_id, name in ((FLOODER, "Flo"), (BOB, "Bob"), (CAROL, "Carol")):
        telegram_api.user(user_id, name)
        telegram_api.private_chat(user_id)
    settings = TelegramSettings(
        token=telegram_api.token, api_url=telegram_api.base_url, private_chat_pace=1.0
    )
    front = TelegramFrontend(settings, core)
    await front.start(poll_timeout=1, menus=False)
    try:
        yield front
    finally:
        if front.application.running:
            await front.stop()


async def flood(api: FakeTelegramAPI, count: int, seconds: float) -> None:
    commands = ("/help", "/nosuchcommand", "/link", "/accounts", "/status")
    for n in range(count):
        api.user_says(FLOODER, FLOODER, commands[n % len(commands)])
        await asyncio.sleep(seconds / count)


async def test_two_hundred_commands_from_one_user_never_delay_another_users_answer(
    telegram_api: FakeTelegramAPI, frontend: TelegramFrontend
) -> None:
    flooding = asyncio.create_task(flood(telegram_api, 200, 2.0))
    waits: list[float] = []

    async def ask(user: int) -> None:
        # No faster than their own chat's pace (a second), which is theirs to wait.
        while not flooding.done():
            after = telegram_api.last_message_id()
            asked = time.monotonic()
            telegram_api.user_says(user, user, "/help")
            await telegram_api.wait_for_message(user, after=after, contains=texts.HELP_TITLE)
            waits.append(time.monotonic() - asked)
            await asyncio.sleep(max(0.0, asked + 1.05 - time.monotonic()))

    await asyncio.gather(ask(BOB), ask(CAROL), flooding)
    assert len(waits) >= 4
    # bench/flood_fairness.py measures the waits (p99 well under the 1 s target); a handler that
    # held the update loop made every other user wait for the flooder's paced replies (13 s for
    # 15 commands before issue 12), which this bound cannot miss on a loaded machine.
    assert max(waits) < 3.0, f"another user waited {max(waits):.2f} s during the flood"
    # The flooder: the limit's worth of answers, then one slow-down (paced behind them in their
    # own chat, a message a second), then silence.
    await telegram_api.wait_for_message(FLOODER, contains=texts.SLOW_DOWN_TITLE, timeout=15)
    await asyncio.sleep(1.5)
    sent = telegram_api.sent(FLOODER)
    assert len([m for m in sent if texts.SLOW_DOWN_TITLE in m.text]) == 1
    assert len(sent) <= 9  # eight answers and the notice, of 200 commands


async def test_stopping_with_a_paced_backlog_drops_the_pending_replies_at_once(
    telegram_api: FakeTelegramAPI, frontend: TelegramFrontend
) -> None:
    # Eight admitted commands to one chat at one message a second: seven seconds of replies.
    for _ in range(8):
        telegram_api.user_says(FLOODER, FLOODER, "/help")
    await telegram_api.wait_for_message(FLOODER, contains=texts.HELP_TITLE)
    began = time.monotonic()
    dropped = await frontend.stop()
    assert time.monotonic() - began < 2.0
    assert dropped >= 5
    assert len(telegram_api.sent(FLOODER)) < 8
