"""Handlers driven through Application.process_update, answered by the fake Bot API in process,
with the real core behind them (SQLite store, ccxt against the exchange simulator)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.chat.telegram.app import build_application
from bot.chat.telegram.menu import telegram_commands
from bot.chat.telegram.settings import TelegramSettings
from bot.core import texts
from bot.core.refs import fill
from bot.core.registry import Audience
from bot.core.registry import command as registry_command
from bot.core.usecases import Core
from bot.sim.server import Simulator
from bot.store import Store
from tests.fakes.telegram_api import BotApiError, FakeTelegramAPI, InProcessRequest
from tests.telegram.conftest import BTC, KRAKEN_KEY, KRAKEN_SECRET

# Handler tasks run on an initialized but not running application (no updater); deliver() awaits
# them itself, which is what PTB's warning is about.
pytestmark = pytest.mark.filterwarnings("ignore:Tasks created via:UserWarning")

ALICE, BOB = 1001, 1002
GROUP = -1005001

# Non-blocking handlers run as tasks the Application starts through its public create_task (PTB's
# documented way to run a handler concurrently); the fixture records them for deliver().
_handler_tasks: list[asyncio.Task[Any]] = []


@pytest.fixture
async def app(
    offline_api: FakeTelegramAPI, core: Core, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Application]:
    offline_api.user(ALICE, "Alice <3")
    offline_api.user(BOB, "Bob")
    offline_api.private_chat(ALICE)
    offline_api.private_chat(BOB)
    offline_api.group(GROUP, "Desk & Co", forum=True)
    settings = TelegramSettings(
        token=offline_api.token, api_url=offline_api.base_url, private_chat_pace=0
    )
    application = build_application(
        settings,
        core,
        request=InProcessRequest(offline_api),
        get_updates_request=InProcessRequest(offline_api),
    )
    create_task = Application.create_task

    def recorded(
        self: Application, coroutine: Any, update: object = None, *, name: str | None = None
    ) -> asyncio.Task[Any]:
        task = create_task(self, coroutine, update, name=name)
        if self is application:
            _handler_tasks.append(task)
        return task

    _handler_tasks.clear()
    monkeypatch.setattr(Application, "create_task", recorded)
    async with application:
        yield application


async def deliver(app: Application, api: FakeTelegramAPI) -> None:
    """Feed every pending update to the application and wait for its handler tasks."""
    for raw in api.take_updates():
        await app.process_update(Update.de_json(raw, app.bot))
        # Only the handlers' tasks: other tasks in the loop (the simulator's and ccxt's
        # connections) live on and are not ours to wait for.
        while pending := [task for task in _handler_tasks if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)


async def link_kraken(app: Application, api: FakeTelegramAPI, label: str = "main") -> list[int]:
    """Alice links the simulated Kraken account; the ids of the messages holding secrets."""
    api.user_says(ALICE, ALICE, f"/link kraken {label}")
    await deliver(app, api)
    typed = [api.user_says(ALICE, ALICE, KRAKEN_KEY)]
    await deliver(app, api)
    typed.append(api.user_says(ALICE, ALICE, KRAKEN_SECRET))
    await deliver(app, api)
    return typed


async def test_start_shows_help_from_the_registry(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.user_says(ALICE, ALICE, "/start")
    await deliver(app, offline_api)
    [reply] = offline_api.sent(ALICE)
    assert reply.text.startswith(texts.HELP_TITLE)
    assert "/link <venue> [label] — Link an exchange account" in reply.text
    assert reply.disable_notification


async def test_link_collects_key_and_secret_deletes_both_and_answers_with_status(
    app: Application, offline_api: FakeTelegramAPI, store: Store
) -> None:
    typed = await link_kraken(app, offline_api)
    assert all(offline_api.message(ALICE, mid).deleted for mid in typed)
    linked = offline_api.sent(ALICE)[-1]
    assert "Linked main on Kraken" in linked.text
    assert "Margin level" in linked.text
    [account] = await store.all_accounts()
    secrets = await store.account_credentials(account.id)
    assert (secrets.api_key, secrets.secret) == (KRAKEN_KEY, KRAKEN_SECRET)
    assert app.user_data[ALICE] == {}  # nothing of the credentials stays behind
    for shown in offline_api.sent(ALICE, include_deleted=True):
        assert KRAKEN_KEY not in shown.text and KRAKEN_SECRET not in shown.text


async def test_link_can_be_cancelled_and_a_stray_text_afterwards_is_not_a_key(
    app: Application, offline_api: FakeTelegramAPI, store: Store
) -> None:
    offline_api.user_says(ALICE, ALICE, "/link kraken swing")
    await deliver(app, offline_api)
    assert "read permission only" in offline_api.sent(ALICE)[-1].text
    offline_api.user_says(ALICE, ALICE, KRAKEN_KEY)
    offline_api.user_says(ALICE, ALICE, "/cancel")
    await deliver(app, offline_api)
    assert texts.LINK_CANCELLED in offline_api.sent(ALICE)[-1].text
    stray = offline_api.user_says(ALICE, ALICE, "just chatting")
    await deliver(app, offline_api)
    assert not offline_api.message(ALICE, stray).deleted
    assert await store.all_accounts() == []


async def test_link_asks_the_venue_when_not_given_and_names_the_supported_ones(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.user_says(ALICE, ALICE, "/link")
    await deliver(app, offline_api)
    assert "Which exchange?" in offline_api.sent(ALICE)[-1].text
    assert "kraken" in offline_api.sent(ALICE)[-1].text
    offline_api.user_says(ALICE, ALICE, "ftx")
    await deliver(app, offline_api)
    assert "I cannot watch 'ftx'" in offline_api.sent(ALICE)[-1].text
    offline_api.user_says(ALICE, ALICE, "kraken")
    await deliver(app, offline_api)
    assert "Send your API key" in offline_api.sent(ALICE)[-1].text


async def test_a_wrong_key_is_refused_and_nothing_is_stored(
    app: Application, offline_api: FakeTelegramAPI, store: Store
) -> None:
    offline_api.user_says(ALICE, ALICE, "/link kraken")
    offline_api.user_says(ALICE, ALICE, "nobody-has-this-key-123456")
    offline_api.user_says(ALICE, ALICE, "bm9wZQ==")
    await deliver(app, offline_api)
    assert "I could not read the account" in offline_api.sent(ALICE)[-1].text
    assert await store.all_accounts() == []


async def test_link_refuses_to_run_in_a_group(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.user_says(ALICE, GROUP, "/link kraken")
    offline_api.user_says(ALICE, GROUP, "some text")
    await deliver(app, offline_api)
    [refusal] = offline_api.sent(GROUP)
    assert texts.NEEDS_PRIVATE in refusal.text


async def test_status_card_has_refresh_and_snooze_buttons(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "/status main")
    await deliver(app, offline_api)
    card = offline_api.sent(ALICE)[-1]
    labels = [label for label, _ in card.buttons()]
    assert labels[:2] == ["Refresh", "Positions"] and "Snooze 4h" in labels
    assert card.disable_notification


async def test_bad_arguments_get_core_sentence(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.user_says(ALICE, ALICE, "/status a b c")
    await deliver(app, offline_api)
    assert "Too many values. Usage: /status [account]" in offline_api.sent(ALICE)[-1].text


async def test_a_private_command_in_a_group_is_refused_without_balances(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, GROUP, "/status")
    await deliver(app, offline_api)
    [reply] = offline_api.sent(GROUP)
    assert texts.NEEDS_PRIVATE in reply.text and "Margin level" not in reply.text


async def test_a_non_administrator_is_refused_and_admin_rights_are_asked_every_time(
    app: Application, offline_api: FakeTelegramAPI, store: Store
) -> None:
    offline_api.set_member(GROUP, BOB, "member")
    offline_api.user_says(BOB, GROUP, "/setalerts")
    await deliver(app, offline_api)
    assert texts.NEEDS_MODERATOR in offline_api.sent(GROUP)[-1].text
    assert (await store.community_settings("telegram", str(GROUP))).alert_channel_id is None

    offline_api.set_member(GROUP, BOB, "administrator")
    offline_api.user_says(BOB, GROUP, "/setalerts", message_thread_id=77)
    await deliver(app, offline_api)
    reply = offline_api.sent(GROUP)[-1]
    assert "Shared alerts of this community now go to this topic." in reply.text
    assert reply.message_thread_id == 77
    settings = await store.community_settings("telegram", str(GROUP))
    assert (settings.alert_channel_id, settings.alert_thread_id) == (str(GROUP), "77")

    offline_api.set_member(GROUP, BOB, "member")  # demoted in Telegram: no cached rights
    offline_api.user_says(BOB, GROUP, "/settings")
    await deliver(app, offline_api)
    assert texts.NEEDS_MODERATOR in offline_api.sent(GROUP)[-1].text
    assert len(offline_api.calls_of("getChatMember")) == 3


async def test_a_key_pasted_into_a_group_is_deleted_and_its_owner_warned(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    pasted = offline_api.user_says(ALICE, GROUP, "my key: 9fK2mQ8xLp4Rt7Vw1Zb3Nc6Hd0Jy5Ue2")
    harmless = offline_api.user_says(BOB, GROUP, "BTC at 97,500.25 and ETH/USDT:USDT too")
    await deliver(app, offline_api)
    assert offline_api.message(GROUP, pasted).deleted
    assert not offline_api.message(GROUP, harmless).deleted
    [warning] = offline_api.sent(GROUP)
    assert warning.text.startswith("Alice <3, your message looked like an API key")
    assert f"tg://user?id={ALICE}" in warning.raw


async def test_a_key_typed_after_a_command_in_a_group_is_deleted_before_any_handler(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    typed = offline_api.user_says(ALICE, GROUP, f"/link kraken {KRAKEN_SECRET}xyz123")
    await deliver(app, offline_api)
    assert offline_api.message(GROUP, typed).deleted
    [warning] = offline_api.sent(GROUP)  # the warning only, no refusal from /link
    assert "looked like an API key" in warning.text


async def test_refresh_edits_the_card_in_place_and_snooze_answers_below(
    app: Application, offline_api: FakeTelegramAPI, sim: Simulator
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "/status")
    await deliver(app, offline_api)
    card = offline_api.sent(ALICE)[-1]
    before = card.text
    sim.set_price("kraken", BTC, 52000.0)
    refresh = dict(card.buttons())["Refresh"]
    offline_api.user_presses(ALICE, card, refresh)
    await deliver(app, offline_api)
    assert card.edits == 1 and card.text != before
    offline_api.user_presses(ALICE, card, refresh)  # nothing changed: not an error
    await deliver(app, offline_api)

    offline_api.user_presses(ALICE, card, dict(card.buttons())["Snooze 4h"])
    await deliver(app, offline_api)
    snoozed = offline_api.sent(ALICE)[-1]
    assert "snoozed until" in snoozed.text
    assert len(offline_api.callback_answers) == 3


async def test_someone_elses_button_is_refused_in_a_popup(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "/status")
    await deliver(app, offline_api)
    card = offline_api.sent(ALICE)[-1]
    sent_before = len(offline_api.sent(BOB))
    query = offline_api.user_presses(BOB, card, dict(card.buttons())["Snooze 1h"])
    await deliver(app, offline_api)
    assert offline_api.callback_answers[query]["show_alert"]
    assert len(offline_api.sent(BOB)) == sent_before


async def test_an_unknown_command_in_private_is_named_and_in_groups_ignored(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.user_says(ALICE, ALICE, "/frobnicate")
    offline_api.user_says(ALICE, GROUP, "/otherbotcommand")
    await deliver(app, offline_api)
    assert fill(texts.UNKNOWN_COMMAND, name="frobnicate") in offline_api.sent(ALICE)[-1].text
    assert "Send /help" in offline_api.sent(ALICE)[-1].text  # Telegram's spelling here
    assert offline_api.sent(GROUP) == []


async def test_an_adapter_failure_is_told_briefly_and_logged_without_the_token(
    app: Application, offline_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "/status")
    await deliver(app, offline_api)
    card = offline_api.sent(ALICE)[-1]
    caplog.set_level(logging.DEBUG)
    offline_api.fail_next(
        "editMessageText", BotApiError(400, "Bad Request: message can't be edited")
    )
    offline_api.user_presses(ALICE, card, dict(card.buttons())["Refresh"])
    await deliver(app, offline_api)
    assert texts.ERROR_INTERNAL in offline_api.sent(ALICE)[-1].text
    assert "BadRequest" in caplog.text
    assert offline_api.token not in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


async def test_chart_arrives_as_a_png_photo_with_a_caption(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "/chart main")
    await deliver(app, offline_api)
    chart = offline_api.sent(ALICE)[-1]
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    assert "main" in chart.text


@pytest.mark.parametrize("command", [c.name for c in telegram_commands()])
async def test_every_command_answers_in_telegram_without_an_adapter_error(
    command: str, app: Application, offline_api: FakeTelegramAPI
) -> None:
    spec = registry_command(command)
    await link_kraken(app, offline_api)
    offline_api.set_member(GROUP, ALICE, "administrator")
    chat = ALICE if spec.audience is Audience.PRIVATE else GROUP
    after = offline_api.last_message_id()
    offline_api.user_says(ALICE, chat, f"/{command}")
    await deliver(app, offline_api)
    replies = [m for m in offline_api.sent(chat) if m.message_id > after]
    assert replies, f"/{command} got no answer"
    assert texts.ERROR_INTERNAL not in replies[-1].text
    assert not [
        c for c in offline_api.calls if c.failed is not None and c.method.startswith("send")
    ], "Telegram rejected what the bot sent"


async def test_a_key_added_by_editing_a_group_message_is_deleted_too(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    said = offline_api.user_says(ALICE, GROUP, "/help")
    await deliver(app, offline_api)
    answered = len(offline_api.sent(GROUP))
    offline_api.user_edits(ALICE, GROUP, said, "/help 9fK2mQ8xLp4Rt7Vw1Zb3Nc6Hd0Jy5Ue2")
    await deliver(app, offline_api)
    assert offline_api.message(GROUP, said).deleted
    new = offline_api.sent(GROUP)[answered:]
    assert [("looked like an API key" in m.text) for m in new] == [True]  # no second /help


async def test_help_in_a_group_shows_administrators_their_commands(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.set_member(GROUP, BOB, "member")
    offline_api.user_says(BOB, GROUP, "/help")
    await deliver(app, offline_api)
    assert "/setalerts" not in offline_api.sent(GROUP)[-1].text
    offline_api.set_member(GROUP, BOB, "administrator")
    offline_api.user_says(BOB, GROUP, "/help")
    await deliver(app, offline_api)
    assert "/setalerts" in offline_api.sent(GROUP)[-1].text


async def test_deletemydata_asks_first_and_its_button_deletes_everything(
    app: Application, offline_api: FakeTelegramAPI, store: Store
) -> None:
    await link_kraken(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "/deletemydata")
    await deliver(app, offline_api)
    ask = offline_api.sent(ALICE)[-1]
    assert len(await store.all_accounts()) == 1  # asking deletes nothing
    offline_api.user_presses(ALICE, ask, dict(ask.buttons())[texts.DELETE_BUTTON])
    await deliver(app, offline_api)
    assert "All your data is deleted" in offline_api.sent(ALICE)[-1].text
    assert await store.all_accounts() == []


async def test_removing_the_bot_from_a_group_forgets_that_communitys_settings(
    app: Application, offline_api: FakeTelegramAPI, core: Core, store: Store
) -> None:
    await link_kraken(app, offline_api)
    offline_api.set_member(GROUP, ALICE, "creator")
    offline_api.user_says(ALICE, GROUP, "/setalerts")
    await deliver(app, offline_api)
    offline_api.user_says(ALICE, GROUP, "/subscribe main")
    await deliver(app, offline_api)
    assert await store.read(lambda tx: tx.subscriptions.for_community("telegram", str(GROUP)))

    offline_api.bot_removed(ALICE, GROUP)
    await deliver(app, offline_api)

    assert await store.read(lambda tx: tx.subscriptions.for_community("telegram", str(GROUP))) == []
    settings = await store.read(lambda tx: tx.communities.get("telegram", str(GROUP)))
    assert settings.alert_channel_id is None
    # Alice's own account and private alerts stay.
    assert [a.label for a in await store.all_accounts()] == ["main"]


async def test_a_bad_or_taken_label_is_refused_before_any_key_is_asked(
    app: Application, offline_api: FakeTelegramAPI, store: Store
) -> None:
    offline_api.user_says(ALICE, ALICE, '/link kraken "no/slashes"')
    await deliver(app, offline_api)
    reply = offline_api.sent(ALICE)[-1]
    assert "A label is 1 to 32" in reply.text
    assert "Send your API key" not in reply.text
    assert app.user_data[ALICE] == {}  # no conversation waits for a key
    offline_api.user_says(ALICE, ALICE, "this is not a key")  # so this is just chat
    await deliver(app, offline_api)
    assert await store.all_accounts() == []

    await link_kraken(app, offline_api, "main")
    # The venue asked for first, then the label found taken: still before any key.
    offline_api.user_says(ALICE, ALICE, "/link label=MAIN")
    await deliver(app, offline_api)
    offline_api.user_says(ALICE, ALICE, "bybit")
    await deliver(app, offline_api)
    reply = offline_api.sent(ALICE)[-1]
    assert "You already have an account called MAIN" in reply.text
    assert "Send your API key" not in reply.text
    assert app.user_data[ALICE] == {}


async def test_a_huge_label_is_refused_with_its_reason_and_numbers_keep_their_range(
    app: Application, offline_api: FakeTelegramAPI
) -> None:
    offline_api.user_says(ALICE, ALICE, "/link kraken " + "x" * 10_000)
    await deliver(app, offline_api)
    reply = offline_api.sent(ALICE)[-1]
    assert reply.text.startswith("⚠️ Not done\nA label is 1 to 32 letters")
    assert reply.text.endswith("is not.")  # the echo was cut, not the reason
    await link_kraken(app, offline_api)
    for typed, reason in (
        ("/chart main 500", "Days must be a whole number from 1 to 90; not '500'."),
        ("/chart main -3", "Days must be a whole number from 1 to 90; not '-3'."),
        ("/snooze main " + "9" * 5000, "Snooze for 5m to 7d"),
        ("/digest main timezone=berlin", "Did you mean Europe/Berlin?"),
    ):
        offline_api.user_says(ALICE, ALICE, typed)
        await deliver(app, offline_api)
        assert reason in offline_api.sent(ALICE)[-1].text, typed
        assert len(offline_api.sent(ALICE)[-1].text) < 300
