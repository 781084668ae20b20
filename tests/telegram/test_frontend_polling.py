"""The whole Telegram front end, started by hand in this loop, against the fake Bot API over HTTP.

Real updater long-polling, real httpx, the real rate limiter; only core is a stand-in (see
test_end_to_end.py for the run with the real core, store, monitor and exchange simulator).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.chat.telegram.app import TelegramFrontend
from bot.chat.telegram.settings import TelegramSettings
from bot.core import texts
from bot.core.messages import message
from bot.monitor.transport import DestinationGone
from tests.fakes.telegram_api import FakeTelegramAPI, forbidden, scope_key, too_many_requests
from tests.telegram.corestub import StubCore

ALICE, BOB = 2001, 2002
GROUP = -2005001


@dataclass(frozen=True)
class Where:
    platform: str
    chat_id: str
    thread_id: str | None = None
    is_dm: bool = False


@pytest.fixture
async def running(telegram_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
                  ) -> AsyncIterator[tuple[TelegramFrontend, StubCore, list[tuple[str, str]]]]:
    caplog.set_level(logging.DEBUG)
    for user_id, name in ((ALICE, "Alice"), (BOB, "Bob")):
        telegram_api.user(user_id, name)
        telegram_api.private_chat(user_id)
    telegram_api.group(GROUP, "Desk")
    core = StubCore()
    moves: list[tuple[str, str]] = []

    async def moved(old: str, new: str) -> None:
        moves.append((old, new))

    settings = TelegramSettings(token=telegram_api.token, api_url=telegram_api.base_url,
                                private_chat_pace=0.05)
    frontend = TelegramFrontend(settings, core, on_chat_moved=moved)
    await frontend.start(poll_timeout=1)
    try:
        yield frontend, core, moves
    finally:
        began = time.monotonic()
        await frontend.stop()
        assert time.monotonic() - began < 2.0
        assert not frontend.application.running
    assert telegram_api.token not in caplog.text  # not in any log line, at DEBUG either


async def test_menus_are_published_at_start_and_start_round_trips(running, telegram_api
                                                                  ) -> None:
    assert {scope_key("all_private_chats"), scope_key("all_group_chats"),
            scope_key("all_chat_administrators")} <= set(telegram_api.commands)
    telegram_api.user_says(ALICE, ALICE, "/start")
    reply = await telegram_api.wait_for_message(ALICE, contains=texts.HELP_TITLE)
    assert reply.disable_notification


async def test_link_over_polling_deletes_secrets_and_keeps_them_out_of_logs(
        running, telegram_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture) -> None:
    _, core, _ = running
    telegram_api.user_says(ALICE, ALICE, "/link kraken")
    await telegram_api.wait_for_message(ALICE, contains="Send your API key")
    key = telegram_api.user_says(ALICE, ALICE, "KEYzz9fK2mQ8xLp4Rt7Vw1Zb3")
    await telegram_api.wait_for_message(ALICE, contains="Send your API secret")
    secret = telegram_api.user_says(ALICE, ALICE, "SECzz9fK2mQ8xLp4Rt7Vw1Zb3")
    await telegram_api.wait_for_message(ALICE, contains="Linked")
    assert telegram_api.message(ALICE, key).deleted and telegram_api.message(ALICE, secret).deleted
    assert core.called("link")[0][1]["credentials"] == {"api_key": "KEYzz9fK2mQ8xLp4Rt7Vw1Zb3",
                                                        "secret": "SECzz9fK2mQ8xLp4Rt7Vw1Zb3"}
    assert "9fK2mQ8xLp4Rt7Vw1Zb3" not in caplog.text


async def test_admin_rights_are_checked_live_over_http(running, telegram_api: FakeTelegramAPI
                                                       ) -> None:
    telegram_api.set_member(GROUP, BOB, "member")
    telegram_api.user_says(BOB, GROUP, "/setalerts")
    await telegram_api.wait_for_message(GROUP, contains=texts.NEEDS_MODERATOR)
    telegram_api.set_member(GROUP, ALICE, "creator")
    telegram_api.user_says(ALICE, GROUP, "/setalerts")
    await telegram_api.wait_for_message(GROUP, contains="Shared alerts of this community")


async def test_buttons_over_http_refresh_in_place(running, telegram_api: FakeTelegramAPI
                                                  ) -> None:
    _, core, _ = running
    telegram_api.user_says(ALICE, ALICE, "/status")
    card = await telegram_api.wait_for_message(ALICE, contains="Equity")
    core.equity = "850.00"
    telegram_api.user_presses(ALICE, card, "mw:rs:a1")
    await telegram_api.wait_until(lambda: "850.00" in card.text)
    assert card.edits == 1 and len(telegram_api.sent(ALICE)) == 1


async def test_a_429_on_a_reply_is_waited_out_and_the_reply_arrives_once(
        running, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.fail_next("sendMessage", too_many_requests(1), chat_id=ALICE)
    telegram_api.user_says(ALICE, ALICE, "/help")
    await telegram_api.wait_for_message(ALICE, contains=texts.HELP_TITLE, timeout=5)
    assert len(telegram_api.sent(ALICE)) == 1
    assert [c.failed is not None for c in telegram_api.calls_of("sendMessage")] == [True, False]


async def test_the_transport_reports_a_blocked_chat_gone(running, telegram_api: FakeTelegramAPI
                                                         ) -> None:
    frontend, _, _ = running
    telegram_api.fail_next("sendMessage", forbidden("bot was blocked by the user"))
    with pytest.raises(DestinationGone):
        await frontend.transport.send(Where("telegram", str(ALICE), is_dm=True),
                                      message("acct: MARGIN CALL", "margin_call"))


async def test_an_upgraded_group_is_followed(running, telegram_api: FakeTelegramAPI) -> None:
    frontend, _, moves = running
    new_id = -1002005001
    telegram_api.group_upgraded(ALICE, GROUP, new_id)
    await telegram_api.wait_until(lambda: moves)
    assert moves == [(str(GROUP), str(new_id))]
    # An alert still addressed to the old id is redirected and delivered once.
    await frontend.transport.send(Where("telegram", str(GROUP)), message("shared: watch", "watch"))
    assert [m.text for m in telegram_api.sent(new_id)] == ["🟡 shared: watch"]
    assert moves[-1] == (str(GROUP), str(new_id))
