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
from bot.core.messages import message
from bot.monitor.transport import DeliveryRetry, DestinationGone
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
    app = (ApplicationBuilder().token(telegram_api.token).base_url(telegram_api.base_url)
           .rate_limiter(PacedRateLimiter(PrivateChatPace(0.0), max_retries=1)).build())
    async with app:
        yield app.bot


async def test_a_429_is_waited_out_and_the_alert_arrives_once(bot: Bot,
                                                              telegram_api: FakeTelegramAPI
                                                              ) -> None:
    telegram_api.fail_next("sendMessage", too_many_requests(1), chat_id=TRADER)
    began = time.monotonic()
    await TelegramTransport(bot).send(Where("telegram", str(TRADER), is_dm=True),
                                      message("acct: MARGIN CALL", "margin_call"))
    assert time.monotonic() - began >= 1.0  # the limiter slept retry_after before resending
    sent = telegram_api.sent(TRADER)
    assert [m.text for m in sent] == ["🟠 acct: MARGIN CALL"]
    assert not sent[0].disable_notification
    assert len(telegram_api.calls_of("sendMessage")) == 2


async def test_a_429_that_persists_is_handed_to_the_outbox_with_its_wait(
        bot: Bot, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.fail_next("sendMessage", too_many_requests(1), chat_id=TRADER, times=2)
    with pytest.raises(DeliveryRetry) as retry:
        await TelegramTransport(bot).send(Where("telegram", str(TRADER)), message("x", "ok"))
    assert retry.value.retry_after == 1.0
    assert telegram_api.sent(TRADER) == []


async def test_a_blocked_bot_reports_the_destination_gone(bot: Bot,
                                                          telegram_api: FakeTelegramAPI) -> None:
    telegram_api.fail_next("sendMessage", forbidden("bot was blocked by the user"))
    with pytest.raises(DestinationGone, match="blocked"):
        await TelegramTransport(bot).send(Where("telegram", str(TRADER)), message("x", "ok"))


async def test_an_unknown_chat_is_gone_too(bot: Bot) -> None:
    with pytest.raises(DestinationGone, match=r"(?i)chat not found"):
        await TelegramTransport(bot).send(Where("telegram", "-999"), message("x", "ok"))


async def test_a_migrated_group_gets_the_alert_and_the_move_is_reported(
        bot: Bot, telegram_api: FakeTelegramAPI) -> None:
    new_id = -1004001
    telegram_api.group(new_id, "Desk", forum=True)
    telegram_api.fail_next("sendMessage", chat_migrated(new_id), chat_id=GROUP)
    moves: list[tuple[str, str]] = []

    async def record(old: str, new: str) -> None:
        moves.append((old, new))

    await TelegramTransport(bot, record).send(Where("telegram", str(GROUP), thread_id="77"),
                                              message("shared: watch", "watch"))
    assert moves == [(str(GROUP), str(new_id))]
    [delivered] = telegram_api.sent(new_id)
    assert (delivered.text, delivered.message_thread_id) == ("🟡 shared: watch", 77)
    assert delivered.disable_notification
