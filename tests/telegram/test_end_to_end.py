"""The acceptance story, end to end: the real python-telegram-bot Application (updater long-polling
over real HTTP) against the fake Bot API, the real core on SQLite, ccxt reading the exchange
simulator, and the monitor delivering its outbox through the Telegram transport."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.chat.telegram.app import TelegramFrontend
from bot.chat.telegram.settings import TelegramSettings
from bot.core import texts
from bot.core.presenter import CorePresenter
from bot.core.usecases import Core
from bot.exchanges.hub import ExchangeHub
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import Transports
from bot.sim.server import Simulator
from bot.store import Store
from tests.fakes.telegram_api import ChatMessage, FakeTelegramAPI, scope_key, too_many_requests
from tests.telegram.conftest import BTC, KRAKEN_KEY, KRAKEN_SECRET

ALICE, BOB, CAROL = 3001, 3002, 3003
GROUP, TOPIC = -1003005001, 42

# Loggers of the parts this adapter controls (ccxt's own DEBUG output is the exchanges' business).
_OUR_LOGGERS = ("telegram", "httpx", "httpcore", "bot.chat")


@dataclass
class World:
    api: FakeTelegramAPI
    frontend: TelegramFrontend
    monitor: Monitor
    store: Store
    sim: Simulator
    clock: ManualClock
    moves: list[tuple[str, str]] = field(default_factory=list)

    async def say(
        self, user: int, chat: int, text: str, *, expect: str, thread: int | None = None
    ) -> ChatMessage:
        """A user types; the bot's first later message in that chat containing ``expect``."""
        after = self.api.last_message_id()
        self.api.user_says(user, chat, text, message_thread_id=thread)
        return await self.api.wait_for_message(chat, after=after, contains=expect)

    async def poll_after(self, seconds: float) -> None:
        """Let ``seconds`` pass and run the monitor until nothing is due."""
        self.clock.advance(seconds)
        await self.monitor.run_until_idle()

    def alerts(self, chat: int, title: str) -> list[ChatMessage]:
        return [m for m in self.api.sent(chat) if title in m.text]


@pytest.fixture
async def world(
    telegram_api: FakeTelegramAPI,
    core: Core,
    store: Store,
    sim: Simulator,
    hub: ExchangeHub,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[World]:
    caplog.set_level(logging.DEBUG)
    for user_id, name in ((ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")):
        telegram_api.user(user_id, name)
        telegram_api.private_chat(user_id)
    telegram_api.group(GROUP, "Margin desk", forum=True)
    telegram_api.set_member(GROUP, CAROL, "creator")
    telegram_api.set_member(GROUP, BOB, "member")
    telegram_api.set_member(GROUP, ALICE, "member")
    moves: list[tuple[str, str]] = []

    async def moved(old: str, new: str) -> None:
        moves.append((old, new))

    settings = TelegramSettings(
        token=telegram_api.token, api_url=telegram_api.base_url, private_chat_pace=0.05
    )
    frontend = TelegramFrontend(settings, core, on_chat_moved=moved)
    transports = Transports()
    transports.register("telegram", frontend.transport)
    monitor = Monitor(
        store, HubSource(store, hub), transports, presenter=CorePresenter(), clock=clock
    )
    await frontend.start(poll_timeout=1)
    try:
        yield World(telegram_api, frontend, monitor, store, sim, clock, moves)
    finally:
        began = time.monotonic()
        await frontend.stop()
        assert time.monotonic() - began < 2.0, "a held long poll kept shutdown waiting"
        assert not frontend.application.running
    ours = [r for r in caplog.records if r.name.startswith(_OUR_LOGGERS)]
    for record in ours:
        text = record.getMessage()
        assert telegram_api.token not in text
        assert KRAKEN_SECRET not in text and KRAKEN_KEY not in text


async def link(world: World) -> None:
    await world.say(ALICE, ALICE, "/link kraken main", expect="Send your API key")
    key = world.api.last_message_id() + 1
    await world.say(ALICE, ALICE, KRAKEN_KEY, expect="Send your API secret")
    await world.say(ALICE, ALICE, KRAKEN_SECRET, expect="Linked main")
    assert world.api.message(ALICE, key).deleted
    assert world.api.message(ALICE, key + 2).deleted


async def test_menus_are_published_at_start_and_start_round_trips(world: World) -> None:
    assert {
        scope_key("all_private_chats"),
        scope_key("all_group_chats"),
        scope_key("all_chat_administrators"),
    } <= set(world.api.commands)
    reply = await world.say(ALICE, ALICE, "/start", expect=texts.HELP_TITLE)
    assert reply.disable_notification


async def test_a_429_on_a_reply_is_waited_out_in_place_and_the_reply_arrives_once(
    world: World,
) -> None:
    world.api.fail_next("sendMessage", too_many_requests(1), chat_id=ALICE)
    began = time.monotonic()
    await world.say(ALICE, ALICE, "/help", expect=texts.HELP_TITLE)
    assert time.monotonic() - began >= 1.0
    assert len(world.api.sent(ALICE)) == 1
    assert [c.failed is not None for c in world.api.calls_of("sendMessage")] == [True, False]


async def test_a_trader_is_warned_once_can_snooze_and_still_hears_critical(world: World) -> None:
    await link(world)
    status = await world.say(ALICE, ALICE, "/status", expect="Margin level")
    assert "Healthy" in status.text
    [account] = await world.store.all_accounts()

    await world.poll_after(0)  # first poll: healthy, nothing to say
    assert world.alerts(ALICE, "MARGIN CALL") == []

    world.sim.set_price("kraken", BTC, 48500.0)  # below Kraken's 80 % margin level
    await world.poll_after(120)
    [margin_call] = world.alerts(ALICE, "main: MARGIN CALL")
    assert not margin_call.disable_notification  # a margin call rings
    assert "Snooze 4h" in dict(margin_call.buttons())

    after = world.api.last_message_id()
    world.api.user_presses(ALICE, margin_call, dict(margin_call.buttons())["Snooze 4h"])
    await world.api.wait_for_message(ALICE, after=after, contains="snoozed until")

    await world.poll_after(31 * 60)  # a reminder would be due now, but it is snoozed
    assert len(world.alerts(ALICE, "MARGIN CALL")) == 1

    # Critical comes through the snooze. A 429 on the way sends it back to the outbox, which
    # waits retry_after and then delivers it once.
    world.api.fail_next("sendMessage", too_many_requests(2), chat_id=ALICE)
    world.sim.set_price("kraken", BTC, 46000.0)
    await world.poll_after(60)
    assert world.alerts(ALICE, "CRITICAL") == []
    assert await world.store.outbox_depth() == 1
    await world.poll_after(1)  # not yet: Telegram asked for 2 s
    assert world.alerts(ALICE, "CRITICAL") == []
    await world.poll_after(1.5)
    [critical] = world.alerts(ALICE, "CRITICAL")
    assert not critical.disable_notification
    sends = [c for c in world.api.calls_of("sendMessage") if c.params["chat_id"] == str(ALICE)]
    assert sends[-2].failed is not None and sends[-2].failed.code == 429
    assert sends[-1].failed is None
    assert await world.store.outbox_depth() == 0
    subscriptions = await world.store.subscriptions_for_account(account.id)
    assert all(s.enabled for s in subscriptions)


async def test_a_blocked_bot_disables_the_subscription(world: World) -> None:
    await link(world)
    [account] = await world.store.all_accounts()
    await world.poll_after(0)
    world.api.blocked_by.add(ALICE)
    world.sim.set_price("kraken", BTC, 48500.0)
    await world.poll_after(120)
    assert world.alerts(ALICE, "MARGIN CALL") == []
    [subscription] = await world.store.subscriptions_for_account(account.id)
    assert not subscription.enabled
    assert "blocked" in (subscription.disabled_reason or "")


async def test_a_group_administrator_sets_the_alert_topic_and_a_member_is_refused(
    world: World,
) -> None:
    await world.say(BOB, GROUP, "/setalerts", expect=texts.NEEDS_MODERATOR, thread=TOPIC)
    done = await world.say(CAROL, GROUP, "/setalerts", expect="Shared alerts", thread=TOPIC)
    assert done.message_thread_id == TOPIC
    settings = await world.store.community_settings("telegram", str(GROUP))
    assert (settings.alert_channel_id, settings.alert_thread_id) == (str(GROUP), str(TOPIC))

    # Alice shares only her alert level with the group; the group sees no figures.
    await link(world)
    await world.say(ALICE, ALICE, "/share main state", expect="Saved")
    await world.say(ALICE, GROUP, "/subscribe main", expect="now go to", thread=TOPIC)
    await world.poll_after(0)
    world.sim.set_price("kraken", BTC, 48500.0)
    await world.poll_after(120)
    [private] = world.alerts(ALICE, "MARGIN CALL")
    [shared] = world.alerts(GROUP, "MARGIN CALL")
    assert shared.message_thread_id == TOPIC
    assert "Margin level" in private.text and "Margin level" not in shared.text
    assert shared.buttons() == []  # only the owner can snooze, in private


async def test_an_upgraded_group_is_followed(world: World) -> None:
    new_id = -1009995001
    world.api.group_upgraded(CAROL, GROUP, new_id)
    await world.api.wait_until(lambda: world.moves)
    assert world.moves == [(str(GROUP), str(new_id))]
