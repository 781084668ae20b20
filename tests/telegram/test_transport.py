"""Outbox delivery through the real Bot client: 429 waited out, 403 gone, migrations followed,
a message Telegram will never take told apart from a chat that is gone."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram import Bot
from telegram.ext import ApplicationBuilder

from bot.chat.telegram.pace import PacedRateLimiter, PrivateChatPace
from bot.chat.telegram.transport import TelegramTransport
from bot.core.delivery import DeliveryRefused, DeliveryRetry, DestinationGone
from bot.core.messages import message, to_payload
from bot.core.presenter import CorePresenter
from bot.monitor.clock import ManualClock
from bot.monitor.outbox import OutboxDispatcher
from bot.monitor.transport import Transports
from bot.store import PRIORITY_CRITICAL, AccountSecrets, Destination, NewMessage, Store
from tests.fakes.telegram_api import (
    BotApiError,
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


@pytest.mark.parametrize(
    "description",
    [
        "Bad Request: message is too long",
        'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3',
        "Bad Request: BUTTON_DATA_INVALID",
    ],
)
async def test_a_message_telegram_will_never_take_is_refused_not_retried(
    bot: Bot, telegram_api: FakeTelegramAPI, description: str
) -> None:
    telegram_api.fail_next("sendMessage", BotApiError(400, description), chat_id=TRADER)
    with pytest.raises(DeliveryRefused) as refused:
        await TelegramTransport(bot).send(
            Where("telegram", str(TRADER), is_dm=True), message("x", "ok")
        )
    # python-telegram-bot drops the "Bad Request: " and capitalizes what is left.
    assert description.removeprefix("Bad Request: ").lower() in refused.value.reason.lower()
    assert refused.value.reason.startswith("Telegram refused the message (")


async def test_an_invalid_peer_is_a_chat_gone_not_a_refused_message(
    bot: Bot, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.fail_next("sendMessage", BotApiError(400, "Bad Request: PEER_ID_INVALID"))
    with pytest.raises(DestinationGone, match=r"(?i)peer_id_invalid"):
        await TelegramTransport(bot).send(Where("telegram", str(TRADER)), message("x", "ok"))


async def test_a_refused_alert_no_longer_holds_back_the_chats_critical_one(
    bot: Bot, telegram_api: FakeTelegramAPI, store: Store, clock: ManualClock
) -> None:
    # The real Bot client, the real dispatcher, a real store: Telegram refuses one alert for
    # good; the critical queued after it arrives in the same round, the bad one is dropped and
    # its owner told (the notice is short and plain, so it gets through).
    now = clock.now()
    user = await store.run(lambda tx: tx.users.ensure("telegram", str(TRADER), now=now))
    secrets = AccountSecrets(api_key="k", secret="s")
    account = await store.run(
        lambda tx: tx.accounts.add(user.id, "kraken", "main", secrets, now=now, next_poll_at=now)
    )
    dm = await store.run(
        lambda tx: tx.subscriptions.add(
            account.id, Destination("telegram", str(TRADER), is_dm=True), now=now
        )
    )
    telegram_api.refuse_messages_containing("UNSHOWABLE")
    for key, title, severity, priority in (
        ("bad", "main: watch UNSHOWABLE", "watch", 0),
        ("crit", "main: CRITICAL", "critical", PRIORITY_CRITICAL),
    ):
        payload = {**to_payload(message(title, severity)), "alert": {"level": severity}}  # type: ignore[arg-type]
        await store.run(
            lambda tx, k=key, p=payload, pr=priority: tx.outbox.enqueue(
                NewMessage(k, dm.destination, p, pr, dm.id), now=now
            )
        )
    transports = Transports()
    transports.register("telegram", TelegramTransport(bot))
    outbox = OutboxDispatcher(store, transports, clock, CorePresenter(), rng=lambda: 0.0)
    report = await outbox.deliver_due()
    assert report.delivered == 2 and report.refused == 1
    shown = [m.text for m in telegram_api.sent(TRADER)]
    assert shown == [
        "🔴 main: CRITICAL",
        "🟡 main: an alert could not be shown\n"
        "An alert for main (watch) was refused by a Telegram chat and could not be shown. "
        "/status main shows the account now.",
    ]
    bad = await store.read(lambda tx: tx.outbox.by_key("bad"))
    assert bad is not None and bad.status == "dropped"
    assert (
        bad.last_error == "refused: Telegram refused the message (Can't parse entities: bad entity)"
    )
