"""Outbox delivery through the real Bot client: 429 waited out, 403 gone, migrations followed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram import Bot
from telegram.ext import ApplicationBuilder

from bot.chat.telegram.pace import PacedRateLimiter, PrivateChatPace
from bot.chat.telegram.transport import TelegramTransport
from bot.core.delivery import DeliveryRetry, DestinationGone
from bot.core.messages import message
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    chat_migrated,
    forbidden,
    too_many_requests,
)

TRADER = 5001
GROUP = -4001


@dataclass(frozen=True)
class Where:
    platform: str
    chat_id: str
    thread_id: str | None = None
    is_dm: bool = False


@pytest.fixture
async def bot(telegram_api: FakeTelegramAPI) -> AsyncIterator[Bot]:
    telegram_api.private_chat(TRADER)
    telegram_api.group(GROUP, "Desk", forum=True)
    app = (
        ApplicationBuilder()
        .token(telegram_api.token)
        .base_url(telegram_api.base_url)
        .rate_limiter(PacedRateLimiter(PrivateChatPace(0.0)))
        .build()
    )
    async with app:
        yield app.bot


async def test_a_429_goes_back_to_the_outbox_with_its_wait_and_nothing_is_sent(
    bot: Bot, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.fail_next("sendMessage", too_many_requests(3), chat_id=TRADER)
    transport = TelegramTransport(bot)
    began = time.monotonic()
    with pytest.raises(DeliveryRetry) as retry:
        await transport.send(
            Where("telegram", str(TRADER), is_dm=True), message("acct: MARGIN CALL", "margin_call")
        )
    assert retry.value.retry_after == 3.0
    assert time.monotonic() - began < 1.0  # no worker sleeps on it; the outbox reschedules
    assert telegram_api.sent(TRADER) == []
    # The outbox's retry then delivers it, once, with sound.
    await transport.send(
        Where("telegram", str(TRADER), is_dm=True), message("acct: MARGIN CALL", "margin_call")
    )
    [alert] = telegram_api.sent(TRADER)
    assert alert.text == "🟠 acct: MARGIN CALL" and not alert.disable_notification


async def test_a_blocked_bot_reports_the_destination_gone(
    bot: Bot, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.fail_next("sendMessage", forbidden("bot was blocked by the user"))
    with pytest.raises(DestinationGone, match="blocked"):
        await TelegramTransport(bot).send(Where("telegram", str(TRADER)), message("x", "ok"))


async def test_an_unknown_chat_is_gone_too(bot: Bot) -> None:
    with pytest.raises(DestinationGone, match=r"(?i)chat not found"):
        await TelegramTransport(bot).send(Where("telegram", "-999"), message("x", "ok"))


async def test_a_migrated_group_gets_the_alert_and_the_move_is_reported(
    bot: Bot, telegram_api: FakeTelegramAPI
) -> None:
    new_id = -1004001
    telegram_api.group(new_id, "Desk", forum=True)
    telegram_api.fail_next("sendMessage", chat_migrated(new_id), chat_id=GROUP)
    moves: list[tuple[str, str]] = []

    async def record(old: str, new: str) -> None:
        moves.append((old, new))

    await TelegramTransport(bot, record).send(
        Where("telegram", str(GROUP), thread_id="77"), message("shared: watch", "watch")
    )
    assert moves == [(str(GROUP), str(new_id))]
    [delivered] = telegram_api.sent(new_id)
    assert (delivered.text, delivered.message_thread_id) == ("🟡 shared: watch", 77)
    assert delivered.disable_notification
