"""Handlers driven through Application.process_update, answered by the fake Bot API in process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from telegram import Update
from telegram.ext import Application

from bot.chat.telegram.app import build_application
from bot.chat.telegram.settings import TelegramSettings
from bot.core import texts
from tests.fakes.telegram_api import FakeTelegramAPI, InProcessRequest
from tests.telegram.corestub import StubCore

# Handler tasks run on an initialized but not running application (no updater); deliver() awaits
# them itself, which is what PTB's warning is about.
pytestmark = pytest.mark.filterwarnings("ignore:Tasks created via:UserWarning")

ALICE, BOB = 1001, 1002
GROUP = -1005001


@pytest.fixture
def core() -> StubCore:
    return StubCore()


@pytest.fixture
async def app(offline_api: FakeTelegramAPI, core: StubCore) -> AsyncIterator[Application]:
    offline_api.user(ALICE, "Alice <3")
    offline_api.user(BOB, "Bob")
    offline_api.private_chat(ALICE)
    offline_api.private_chat(BOB)
    offline_api.group(GROUP, "Desk & Co", forum=True)
    settings = TelegramSettings(token=offline_api.token, api_url=offline_api.base_url,
                                private_chat_pace=0)
    application = build_application(settings, core,
                                    request=InProcessRequest(offline_api),
                                    get_updates_request=InProcessRequest(offline_api))
    async with application:
        yield application


async def deliver(app: Application, api: FakeTelegramAPI) -> None:
    """Feed every pending update to the application and wait for its handler tasks."""
    for raw in api.take_updates():
        await app.process_update(Update.de_json(raw, app.bot))
    current = asyncio.current_task()
    while pending := [t for t in asyncio.all_tasks() if t is not current and not t.done()]:
        await asyncio.gather(*pending, return_exceptions=True)


async def test_start_answers_in_html_with_the_users_text_escaped(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, ALICE, "/start")
    await deliver(app, offline_api)
    [reply] = offline_api.sent(ALICE)
    assert reply.text.startswith(texts.HELP_TITLE)
    [(caller, _)] = core.called("help")
    assert (caller.platform, caller.user_id, caller.is_private_chat) == ("telegram", str(ALICE),
                                                                        True)
    assert caller.display_name == "Alice <3"


async def test_status_card_comes_with_buttons_and_user_labels_escaped(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, ALICE, '/status "main <acct>"')
    await deliver(app, offline_api)
    [reply] = offline_api.sent(ALICE)
    assert "main <acct>" in reply.text and "&lt;acct&gt;" in reply.raw
    assert [label for label, _ in reply.buttons()] == ["Refresh", "Snooze 1h", "Snooze 4h",
                                                      "Snooze 24h"]
    assert core.called("status")[0][1] == {"account": "main <acct>"}
    assert reply.disable_notification  # a status card is routine


async def test_bad_arguments_get_core_sentence_and_reach_no_use_case(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, ALICE, "/status a b c")
    await deliver(app, offline_api)
    [reply] = offline_api.sent(ALICE)
    assert "Too many values. Usage: /status [account]" in reply.text
    assert core.called("status") == []


async def test_a_private_command_in_a_group_is_refused_by_core_without_balances(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, GROUP, "/status")
    await deliver(app, offline_api)
    [reply] = offline_api.sent(GROUP)
    assert texts.NEEDS_PRIVATE in reply.text
    [(caller, _)] = core.called("status")
    assert caller.community_id == str(GROUP) and not caller.replies_privately


async def test_a_non_administrator_is_refused_and_admin_rights_are_asked_every_time(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.set_member(GROUP, BOB, "member")
    offline_api.user_says(BOB, GROUP, "/setalerts")
    await deliver(app, offline_api)
    assert texts.NEEDS_MODERATOR in offline_api.sent(GROUP)[-1].text
    assert core.called("set_alert_channel") == []

    offline_api.set_member(GROUP, BOB, "administrator")
    offline_api.user_says(BOB, GROUP, "/setalerts", message_thread_id=77)
    await deliver(app, offline_api)
    reply = offline_api.sent(GROUP)[-1]
    assert texts.SETALERTS_DONE.format(where=texts.SETALERTS_WHERE_TOPIC) in reply.text
    assert reply.message_thread_id == 77
    [(caller, _)] = core.called("set_alert_channel")
    assert caller.is_moderator and caller.topic_id == "77"

    offline_api.set_member(GROUP, BOB, "member")  # demoted in Telegram: no cached rights
    offline_api.user_says(BOB, GROUP, "/setalerts")
    await deliver(app, offline_api)
    assert texts.NEEDS_MODERATOR in offline_api.sent(GROUP)[-1].text
    assert len(offline_api.calls_of("getChatMember")) == 3


async def test_link_collects_credentials_one_by_one_and_deletes_each_secret(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, ALICE, "/link")
    await deliver(app, offline_api)
    assert "Which exchange?" in offline_api.sent(ALICE)[-1].text
    offline_api.user_says(ALICE, ALICE, "okx")
    await deliver(app, offline_api)
    assert "Send your API key" in offline_api.sent(ALICE)[-1].text
    typed = [offline_api.user_says(ALICE, ALICE, "key-AAAA1111"),
             offline_api.user_says(ALICE, ALICE, "secret-BBBB2222"),
             offline_api.user_says(ALICE, ALICE, "pass-CCCC3333")]
    await deliver(app, offline_api)
    assert all(offline_api.message(ALICE, mid).deleted for mid in typed)
    [(caller, arguments)] = core.called("link")
    assert arguments == {"venue": "okx", "label": None, "credentials": {
        "api_key": "key-AAAA1111", "secret": "secret-BBBB2222", "passphrase": "pass-CCCC3333"}}
    assert caller.is_private_chat
    assert "Linked okx on OKX" in offline_api.sent(ALICE)[-1].text
    assert app.user_data[ALICE] == {}  # nothing of the credentials stays behind
    for message in offline_api.sent(ALICE):
        assert "AAAA1111" not in message.text and "BBBB2222" not in message.text


async def test_link_with_venue_and_label_asks_only_for_the_key_and_can_be_cancelled(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, ALICE, "/link kraken swing")
    await deliver(app, offline_api)
    assert "read permission only" in offline_api.sent(ALICE)[-1].text
    offline_api.user_says(ALICE, ALICE, "key-AAAA1111")
    offline_api.user_says(ALICE, ALICE, "/cancel")
    await deliver(app, offline_api)
    assert texts.LINK_CANCELLED in offline_api.sent(ALICE)[-1].text
    assert core.called("link") == []
    offline_api.user_says(ALICE, ALICE, "secret-that-is-not-asked-for")
    await deliver(app, offline_api)  # conversation over: a stray text is not taken as a key
    assert core.called("link") == []


async def test_link_refuses_to_run_in_a_group(app: Application, offline_api: FakeTelegramAPI,
                                              core: StubCore) -> None:
    offline_api.user_says(ALICE, GROUP, "/link kraken")
    await deliver(app, offline_api)
    assert texts.NEEDS_PRIVATE in offline_api.sent(GROUP)[-1].text
    offline_api.user_says(ALICE, GROUP, "some text")
    await deliver(app, offline_api)
    assert len(offline_api.sent(GROUP)) == 1 and core.calls == []


async def test_an_unknown_venue_is_refused_with_the_supported_ones(
        app: Application, offline_api: FakeTelegramAPI) -> None:
    offline_api.user_says(ALICE, ALICE, "/link ftx")
    await deliver(app, offline_api)
    assert "I cannot watch ftx. I support: hyperliquid, kraken, okx." in offline_api.sent(
        ALICE)[-1].text


async def test_a_key_pasted_into_a_group_is_deleted_and_its_owner_warned(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    pasted = offline_api.user_says(ALICE, GROUP, "my key: 9fK2mQ8xLp4Rt7Vw1Zb3Nc6Hd0Jy5Ue2")
    harmless = offline_api.user_says(BOB, GROUP, "BTC at 97,500.25 and ETH/USDT:USDT too")
    await deliver(app, offline_api)
    assert offline_api.message(GROUP, pasted).deleted
    assert not offline_api.message(GROUP, harmless).deleted
    [warning] = offline_api.sent(GROUP)
    assert warning.text.startswith("Alice <3, your message looked like an API key")
    assert f"tg://user?id={ALICE}" in warning.raw


async def test_a_key_typed_after_a_command_in_a_group_never_reaches_core(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, GROUP, "/link kraken 9fK2mQ8xLp4Rt7Vw1Zb3Nc6Hd0Jy5Ue2")
    await deliver(app, offline_api)
    assert core.calls == []
    assert len(offline_api.sent(GROUP)) == 1  # the warning only


async def test_refresh_edits_the_card_in_place_and_snooze_answers_below(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore) -> None:
    offline_api.user_says(ALICE, ALICE, "/status")
    await deliver(app, offline_api)
    [status] = offline_api.sent(ALICE)
    core.equity = "900.00"
    offline_api.user_presses(ALICE, status, "mw:rs:a1")
    await deliver(app, offline_api)
    assert "900.00" in offline_api.message(ALICE, status.message_id).text
    assert offline_api.message(ALICE, status.message_id).edits == 1
    offline_api.user_presses(ALICE, status, "mw:rs:a1")  # nothing changed: not an error
    await deliver(app, offline_api)

    offline_api.user_presses(ALICE, status, "mw:sn:a1:4h")
    await deliver(app, offline_api)
    snoozed = offline_api.sent(ALICE)[-1]
    assert "snoozed until 12:00 UTC" in snoozed.text
    assert snoozed.buttons() == [("Unsnooze", "mw:us:a1")]
    [_, _, (caller, arguments)] = core.called("act")
    assert arguments["action"].args == ("a1", "4h") and caller.user_id == str(ALICE)
    assert len(offline_api.callback_answers) == 3


async def test_a_refused_button_shows_an_alert_and_changes_nothing(
        app: Application, offline_api: FakeTelegramAPI) -> None:
    offline_api.user_says(ALICE, ALICE, "/status")
    await deliver(app, offline_api)
    [status] = offline_api.sent(ALICE)
    query = offline_api.user_presses(ALICE, status, "mw:us:a1")
    await deliver(app, offline_api)
    assert offline_api.callback_answers[query] == {"text": texts.UNKNOWN_ACTION,
                                                   "show_alert": True}
    assert len(offline_api.sent(ALICE)) == 1


async def test_an_unknown_command_in_private_is_named_and_in_groups_ignored(
        app: Application, offline_api: FakeTelegramAPI) -> None:
    offline_api.user_says(ALICE, ALICE, "/frobnicate")
    offline_api.user_says(ALICE, GROUP, "/otherbotcommand")
    await deliver(app, offline_api)
    assert texts.UNKNOWN_COMMAND.format(name="frobnicate") in offline_api.sent(ALICE)[-1].text
    assert offline_api.sent(GROUP) == []


async def test_a_failure_is_told_briefly_and_logged_without_the_token(
        app: Application, offline_api: FakeTelegramAPI, core: StubCore,
        caplog: pytest.LogCaptureFixture) -> None:
    core.fail_with = RuntimeError("database is locked")
    caplog.set_level(logging.DEBUG)
    offline_api.user_says(ALICE, ALICE, "/status")
    await deliver(app, offline_api)
    assert texts.ERROR_INTERNAL in offline_api.sent(ALICE)[-1].text
    assert "RuntimeError" in caplog.text
    assert offline_api.token not in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


async def test_typed_secrets_never_reach_the_logs_even_at_debug(
        app: Application, offline_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    offline_api.user_says(ALICE, ALICE, "/link kraken")
    offline_api.user_says(ALICE, ALICE, "key-AAAA1111")
    offline_api.user_says(ALICE, ALICE, "secret-BBBB2222")
    await deliver(app, offline_api)
    assert "Linked" in offline_api.sent(ALICE)[-1].text
    assert "AAAA1111" not in caplog.text and "BBBB2222" not in caplog.text
