"""A message its platform refuses for good holds nobody back (issue 12's follow-up).

Before, a coalesced send refused for good (Telegram 400 "message is too long", Discord 400 on an
embed) was retried as a whole until the outbox age limit dropped it a day later, and the chat's
later alerts, criticals included, waited behind it. Now the rows are tried one by one: the good
ones arrive, the bad one is dropped, counted, logged, and its owner told in private.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from bot.core import texts
from bot.core.messages import Message, message, to_payload
from bot.core.presenter import ALERT_KEY, CorePresenter
from bot.monitor.clock import ManualClock
from bot.monitor.outbox import OutboxDispatcher
from bot.monitor.transport import DeliveryRefused, Transports
from bot.monitor.transport import Destination as DestinationLike
from bot.ops.metrics import Metrics, installed
from bot.store import (
    PRIORITY_CRITICAL,
    PRIORITY_ROUTINE,
    PRIORITY_WARNING,
    Destination,
    NewMessage,
    OutboxMessage,
    Store,
    Subscription,
)

from .world import link

DM = "1001"


@dataclass
class RefusingChat:
    """A Transport that refuses for good what ``refuses`` gives a reason for, and records the
    rest (after timing out once on each title in ``time_out_once``)."""

    refuses: Callable[[Message], str | None]
    sent: list[tuple[DestinationLike, Message]] = field(default_factory=list)
    refused: list[Message] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    time_out_once: set[str] = field(default_factory=set)  # titles whose first send times out

    async def send(self, destination: DestinationLike, msg: Message, key: str = "") -> None:
        self.keys.append(key)
        if msg.title in self.time_out_once:
            self.time_out_once.discard(msg.title)
            raise TimeoutError
        reason = self.refuses(msg)
        if reason is not None:
            self.refused.append(msg)
            raise DeliveryRefused(reason)
        self.sent.append((destination, msg))

    @property
    def titles(self) -> list[str]:
        return [m.title for _, m in self.sent]


def containing(word: str) -> Callable[[Message], str | None]:
    """Refuses any message with ``word`` in it (one bad alert, alone or coalesced)."""
    return lambda msg: "Bad Request: can't parse entities" if word in msg.text else None


def coalesced(msg: Message) -> str | None:
    """Refuses every message of several alerts (each is fine alone: too long together)."""
    return "Bad Request: message is too long" if msg.title.endswith("more)") else None


def dispatcher(store: Store, chat: RefusingChat, clock: ManualClock) -> OutboxDispatcher:
    transports = Transports()
    transports.register("console", chat)
    return OutboxDispatcher(store, transports, clock, CorePresenter(), rng=lambda: 0.0)


async def queue(
    store: Store,
    clock: ManualClock,
    subscription: Subscription,
    key: str,
    title: str,
    level: str,
    *,
    priority: int = PRIORITY_ROUTINE,
) -> None:
    payload = {
        **to_payload(message(title, level)),  # type: ignore[arg-type]
        ALERT_KEY: {"kind": "escalation", "level": level},
    }
    await store.run(
        lambda tx: tx.outbox.enqueue(
            NewMessage(key, subscription.destination, payload, priority, subscription.id),
            now=clock.now(),
        )
    )
    clock.advance(1)


async def row(store: Store, key: str) -> OutboxMessage:
    found = await store.read(lambda tx: tx.outbox.by_key(key))
    assert found is not None
    return found


async def test_a_refused_alert_is_dropped_and_the_chats_other_alerts_arrive_at_once(
    store: Store, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    _, dm = await link(store, clock.now(), chat=DM)
    await queue(store, clock, dm, "bad", "main: watch BAD", "watch")
    await queue(store, clock, dm, "crit", "main: CRITICAL", "critical", priority=PRIORITY_CRITICAL)
    await queue(store, clock, dm, "call", "main: MARGIN CALL", "margin_call", priority=3)
    chat = RefusingChat(containing("BAD"))
    with installed(Metrics()) as metrics, caplog.at_level(logging.WARNING):
        report = await dispatcher(store, chat, clock).deliver_due()
        refused = metrics.outbox_refused.labels(platform="console")._value.get()
    # The coalesced message was refused; each row then went alone, most urgent first; the bad
    # one was refused alone too and dropped; the owner's notice went out in the same call.
    assert [m.title for m in chat.refused] == ["main: CRITICAL (+2 more)", "main: watch BAD"]
    assert chat.titles == [
        "main: CRITICAL",
        "main: MARGIN CALL",
        texts.ALERT_REFUSED_TITLE.format(label="main"),
    ]
    assert report.delivered == 3 and report.refused == 1 and report.retried == 0
    assert refused == 1
    bad = await row(store, "bad")
    assert bad.status == "dropped" and bad.last_error is not None
    assert bad.last_error.startswith("refused: Bad Request: can't parse entities")
    assert (await row(store, "crit")).status == "delivered"
    notice = chat.sent[-1][1]
    assert notice.lines == (
        "An alert for main (watch) was refused by a console chat and could not be shown. "
        "/status main shows the account now.",
    )
    assert notice.silent  # the lost alert was a watch: the notice is as quiet as it was
    assert any(
        "refused outbox message bad for good" in r.getMessage() and r.levelno == logging.WARNING
        for r in caplog.records
    )
    # Sent alone, each row had a key of its own: never the coalesced send's, never shared.
    coalesced_key, *alone = chat.keys[:4]
    assert len(set(alone)) == 3 and coalesced_key not in alone
    assert await store.read(lambda tx: tx.outbox.pending_count()) == 0


async def test_alerts_refused_only_together_each_arrive_alone_and_nothing_is_dropped(
    store: Store, clock: ManualClock
) -> None:
    _, dm = await link(store, clock.now(), chat=DM)
    for n in range(3):
        await queue(store, clock, dm, f"k{n}", f"alert {n}", "watch")
    chat = RefusingChat(coalesced)
    report = await dispatcher(store, chat, clock).deliver_due()
    assert chat.titles == ["alert 0", "alert 1", "alert 2"]
    assert report.delivered == 3 and report.refused == 0 and report.sends == 3
    statuses = await store.read(
        lambda tx: tx.db.execute("select status from outbox order by id").fetchall()
    )
    assert statuses == [("delivered",)] * 3  # no notice: nothing was lost


async def test_a_row_sent_alone_keeps_its_own_token_when_its_send_times_out(
    store: Store, clock: ManualClock
) -> None:
    # The split is stored before anything is sent: a send alone that may have arrived (a
    # timeout) goes again alone under its own token, never under the coalesced send's one.
    _, dm = await link(store, clock.now(), chat=DM)
    await queue(store, clock, dm, "c", "alert c", "watch")
    await queue(store, clock, dm, "d", "alert d", "watch")
    chat = RefusingChat(coalesced, time_out_once={"alert c"})
    outbox = dispatcher(store, chat, clock)
    await outbox.deliver_due()
    coalesced_key, alone_key = chat.keys
    assert (await row(store, "c")).send_token == alone_key != coalesced_key
    assert chat.titles == []  # "alert d" waits behind "alert c", as after any failure
    clock.advance(3600)
    chat.keys.clear()
    await outbox.deliver_due()
    assert chat.keys[0] == alone_key  # the same send alone, which Discord could drop
    assert chat.titles == ["alert c", "alert d"]


async def test_a_refused_notice_is_dropped_without_a_notice_about_it(
    store: Store, clock: ManualClock
) -> None:
    _, dm = await link(store, clock.now(), chat=DM)
    await queue(store, clock, dm, "k", "main: MARGIN CALL", "margin_call", priority=3)
    chat = RefusingChat(lambda msg: "Bad Request: everything is refused here")
    outbox = dispatcher(store, chat, clock)
    with installed(Metrics()) as metrics:
        report = await outbox.deliver_due()
        assert (await outbox.deliver_due()).refused == 0
        refused = metrics.outbox_refused.labels(platform="console")._value.get()
    assert report.refused == 2 and refused == 2  # the alert, then the notice about it
    rows = await store.read(
        lambda tx: tx.db.execute(
            "select idempotency_key, status from outbox order by id"
        ).fetchall()
    )
    assert [status for _, status in rows] == ["dropped", "dropped"]
    assert rows[1][0].startswith(f"refused:sub{dm.id}:row")


async def test_a_refused_critical_in_a_channel_is_told_loudly_in_the_owners_private_chat(
    store: Store, clock: ManualClock
) -> None:
    account, dm = await link(store, clock.now(), chat=DM)
    channel = await store.run(
        lambda tx: tx.subscriptions.add(
            account.id, Destination("console", "-500"), now=clock.now(), share="state"
        )
    )
    await queue(store, clock, channel, "k", "x: CRITICAL", "critical", priority=PRIORITY_CRITICAL)
    await queue(store, clock, channel, "later", "x: watch", "watch")
    chat = RefusingChat(lambda msg: "too long" if "CRITICAL" in msg.title else None)
    report = await dispatcher(store, chat, clock).deliver_due()
    assert report.refused == 1
    sent = [(dest.chat_id, m) for dest, m in chat.sent]
    assert [(where, m.title) for where, m in sent] == [
        ("-500", "x: watch"),  # the channel's later alert was not held
        (DM, "main: an alert could not be shown"),
    ]
    notice = sent[1][1]
    assert notice.severity == "critical" and not notice.silent  # a lost critical still rings
    assert "(critical)" in notice.lines[0]
    [queued] = await store.read(lambda tx: tx.outbox.for_subscription(dm.id, since=0.0))
    assert queued.priority == PRIORITY_CRITICAL > PRIORITY_WARNING


async def test_a_payload_that_cannot_be_read_is_a_refusal_not_a_retry(
    store: Store, clock: ManualClock
) -> None:
    # The same payload fails the same way every time: retrying it held the chat for a day.
    _, dm = await link(store, clock.now(), chat=DM)
    broken = {**to_payload(message("x", "watch")), "actions": [{"id": "no-such-button"}]}
    await store.run(
        lambda tx: tx.outbox.enqueue(NewMessage("broken", dm.destination, broken), now=0.0)
    )
    await queue(store, clock, dm, "fine", "main: CRITICAL", "critical", priority=PRIORITY_CRITICAL)
    chat = RefusingChat(lambda msg: None)
    report = await dispatcher(store, chat, clock).deliver_due()
    assert chat.titles == ["main: CRITICAL"]
    assert report.refused == 1 and (await row(store, "broken")).status == "dropped"
