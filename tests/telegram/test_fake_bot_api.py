"""The fake Bot API is faithful enough for the real python-telegram-bot client, polling included."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    InProcessRequest,
    UnexpectedNetworkCall,
    chat_migrated,
    forbidden,
    too_many_requests,
)

ALICE = 4242


async def _greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /start with the user's name in bold."""
    assert update.effective_chat and update.effective_user
    await context.bot.send_message(
        update.effective_chat.id,
        f"hello <b>{update.effective_user.first_name}</b>",
        parse_mode="HTML",
    )


def _http_app(api: FakeTelegramAPI) -> Application:
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )


async def test_real_application_polls_the_fake_and_answers_start(
    telegram_api: FakeTelegramAPI,
) -> None:
    app = _http_app(telegram_api)
    app.add_handler(CommandHandler("start", _greet))
    telegram_api.user(ALICE, "Alice")
    telegram_api.private_chat(ALICE)

    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=2)
    await app.start()
    try:
        telegram_api.user_says(ALICE, ALICE, "/start")
        reply = await telegram_api.wait_for_message(ALICE, contains="hello")
    finally:
        began = time.monotonic()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        stop_seconds = time.monotonic() - began

    assert reply.text == "hello Alice"
    assert reply.raw == "hello <b>Alice</b>"
    methods = [c.method for c in telegram_api.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert "getUpdates" in methods
    # The updater's last getUpdates confirms what it fetched, so the update is gone from the fake.
    assert telegram_api.calls_of("getUpdates")[-1].params["timeout"] == "0"
    assert telegram_api._updates == []
    assert stop_seconds < 2.5  # a held long poll must not keep shutdown waiting its full timeout


async def test_a_wrong_token_is_refused_like_telegram_does(telegram_api: FakeTelegramAPI) -> None:
    app = ApplicationBuilder().token("999:wrong").base_url(telegram_api.base_url).build()
    with pytest.raises(InvalidToken):
        await app.initialize()


async def test_scripted_faults_surface_as_ptb_errors(telegram_api: FakeTelegramAPI) -> None:
    app = _http_app(telegram_api)
    telegram_api.private_chat(ALICE)
    telegram_api.group(-100200, "Desk")
    async with app:
        telegram_api.fail_next("sendMessage", too_many_requests(3), chat_id=ALICE)
        with pytest.raises(RetryAfter) as slow:
            await app.bot.send_message(ALICE, "one")
        assert "Retry in 3 seconds" in str(slow.value)

        telegram_api.fail_next("sendMessage", forbidden())
        with pytest.raises(Forbidden, match="blocked"):
            await app.bot.send_message(ALICE, "two")

        telegram_api.fail_next("sendMessage", chat_migrated(-1009999), chat_id=-100200)
        with pytest.raises(ChatMigrated) as moved:
            await app.bot.send_message(-100200, "three")
        assert moved.value.new_chat_id == -1009999

        # Faults are one-shot: the next send goes through.
        sent = await app.bot.send_message(ALICE, "four")
    assert sent.text == "four"
    assert [m.text for m in telegram_api.sent(ALICE)] == ["four"]


async def test_unescaped_html_is_rejected_as_telegram_would(telegram_api: FakeTelegramAPI) -> None:
    app = _http_app(telegram_api)
    telegram_api.private_chat(ALICE)
    async with app:
        with pytest.raises(BadRequest, match="parse entities"):
            await app.bot.send_message(ALICE, "BTC < 5 & falling", parse_mode="HTML")
        with pytest.raises(BadRequest, match="parse entities"):
            await app.bot.send_message(ALICE, "<script>x</script>", parse_mode="HTML")
        ok = await app.bot.send_message(ALICE, "BTC &lt; 5 &amp; <i>falling</i>", parse_mode="HTML")
    assert ok.text == "BTC < 5 & falling"


async def test_photos_edits_deletes_buttons_and_members_round_trip(
    telegram_api: FakeTelegramAPI,
) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    app = _http_app(telegram_api)
    telegram_api.private_chat(ALICE)
    telegram_api.group(-100300, "Desk")
    telegram_api.set_member(-100300, ALICE, "administrator")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Snooze 1h", callback_data="s:1")]])
    async with app:
        photo = await app.bot.send_photo(ALICE, b"\x89PNG fake bytes", caption="health")
        text = await app.bot.send_message(ALICE, "status v1", reply_markup=keyboard)
        await app.bot.edit_message_text("status v2", ALICE, text.message_id, reply_markup=keyboard)
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_text(
                "status v2", ALICE, text.message_id, reply_markup=keyboard
            )
        assert await app.bot.delete_message(ALICE, photo.message_id)
        admin = await app.bot.get_chat_member(-100300, ALICE)
        member = await app.bot.get_chat_member(-100300, 77)
    assert telegram_api.message(ALICE, photo.message_id).photo == b"\x89PNG fake bytes"
    assert telegram_api.message(ALICE, photo.message_id).deleted
    edited = telegram_api.message(ALICE, text.message_id)
    assert (edited.text, edited.edits, edited.buttons()) == ("status v2", 1, [("Snooze 1h", "s:1")])
    assert (admin.status, member.status) == ("administrator", "member")


async def test_handlers_run_through_process_update_without_any_socket(
    offline_api: FakeTelegramAPI,
) -> None:
    app = (
        ApplicationBuilder()
        .token(offline_api.token)
        .base_url(offline_api.base_url)
        .request(InProcessRequest(offline_api))
        .get_updates_request(InProcessRequest(offline_api))
        .build()
    )
    app.add_handler(CommandHandler("start", _greet))
    offline_api.user(ALICE, "Alice <admin>")
    offline_api.private_chat(ALICE)
    offline_api.user_says(ALICE, ALICE, "/start")
    async with app:
        for raw in offline_api._updates:
            await app.process_update(Update.de_json(raw, app.bot))
        # Unescaped user text reaches the fake, which rejects it exactly like Telegram.
        assert offline_api.calls_of("sendMessage")[-1].failed is not None


async def test_in_process_request_fails_on_anything_but_the_fake(
    offline_api: FakeTelegramAPI,
) -> None:
    request = InProcessRequest(offline_api)
    with pytest.raises(UnexpectedNetworkCall):
        await request.do_request("https://api.telegram.org/bot1:x/getMe", "POST")
    with pytest.raises(UnexpectedNetworkCall, match="unknown"):
        await request.do_request(f"{offline_api.base_url}{offline_api.token}/sendDice", "POST")


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    telegram_api: FakeTelegramAPI,
) -> None:
    app = _http_app(telegram_api)
    telegram_api.private_chat(ALICE)
    async with app:
        poll = asyncio.create_task(app.bot.get_updates(timeout=5))
        await telegram_api.wait_until(lambda: telegram_api.calls_of("getUpdates"))  # in flight
        began = time.monotonic()
        telegram_api.user_says(ALICE, ALICE, "hi")
        updates = await poll
    assert [u.message.text for u in updates] == ["hi"]
    assert time.monotonic() - began < 1.0
