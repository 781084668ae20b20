"""Outbox delivery on a real SQLite file: coalescing, ordering, retries, gone chats."""

from __future__ import annotations

from bot.core.messages import message, to_payload
from bot.core.presenter import CorePresenter
from bot.monitor.clock import ManualClock
from bot.monitor.outbox import OutboxDispatcher, backoff_delay
from bot.monitor.transport import DeliveryRetry, DestinationGone, Transports
from bot.store import (
    PRIORITY_CRITICAL,
    PRIORITY_ROUTINE,
    Destination,
    NewMessage,
    Store,
    backoff_seconds,
)

from .world import RecordingChat, link


def dispatcher(store: Store, chat: RecordingChat, clock: ManualClock) -> OutboxDispatcher:
    transports = Transports()
    transports.register("console", chat)
    return OutboxDispatcher(store, transports, clock, CorePresenter(), rng=lambda: 0.0)


async def queue(
    store: Store,
    clock: ManualClock,
    key: str,
    title: str,
    *,
    chat: str = "1001",
    priority: int = PRIORITY_ROUTINE,
    severity: str = "watch",
    subscription_id: int | None = None,
) -> None:
    await store.enqueue(
        NewMessage(
            idempotency_key=key,
            destination=Destination("console", chat, is_dm=True),
            payload=to_payload(message(title, severity)),  # type: ignore[arg-type]
            priority=priority,
            subscription_id=subscription_id,
        ),
        now=clock.now(),
    )


async def test_several_alerts_for_one_chat_arrive_as_one_message_critical_first(
    store: Store, clock: ManualClock
) -> None:
    chat = RecordingChat()
    await queue(store, clock, "a", "main: watch")
    clock.advance(1)
    await queue(store, clock, "b", "alt: CRITICAL", priority=PRIORITY_CRITICAL, severity="critical")
    await queue(store, clock, "c", "other chat", chat="2002")
    report = await dispatcher(store, chat, clock).deliver_due()
    assert report.delivered == 3 and report.sends == 2
    first_dest, first = chat.sent[0]
    assert first_dest.chat_id == "1001"  # the chat with a critical alert was served first
    assert first.title == "alt: CRITICAL (+1 more)"
    assert first.severity == "critical"
    assert first.lines[0] == "• alt: CRITICAL" and "• main: watch" in first.lines
    assert chat.sent[1][1].title == "other chat"
    assert await store.outbox_depth() == 0


async def test_same_idempotency_key_is_queued_and_sent_once(
    store: Store, clock: ManualClock
) -> None:
    chat = RecordingChat()
    await queue(store, clock, "same", "main: MARGIN CALL")
    await queue(store, clock, "same", "main: MARGIN CALL")
    await dispatcher(store, chat, clock).deliver_due()
    await dispatcher(store, chat, clock).deliver_due()
    assert chat.titles == ["main: MARGIN CALL"]


async def test_platform_asking_to_wait_is_honoured(store: Store, clock: ManualClock) -> None:
    chat = RecordingChat(failures=[DeliveryRetry(42.0)])
    await queue(store, clock, "k", "main: MARGIN CALL")
    outbox = dispatcher(store, chat, clock)
    assert (await outbox.deliver_due()).retried == 1
    clock.advance(41)
    assert (await outbox.deliver_due()).delivered == 0
    clock.advance(1)
    assert (await outbox.deliver_due()).delivered == 1
    assert chat.titles == ["main: MARGIN CALL"]


async def test_transient_failures_back_off_then_deliver(store: Store, clock: ManualClock) -> None:
    chat = RecordingChat(failures=[ConnectionError("reset"), TimeoutError()])
    await queue(store, clock, "k", "main: MARGIN CALL")
    outbox = dispatcher(store, chat, clock)
    await outbox.deliver_due()
    row = await store.run(lambda tx: tx.outbox.by_key("k"))
    assert row is not None and row.attempts == 1
    assert row.next_attempt_at == clock.now() + backoff_delay(1, rng=lambda: 0.0)
    assert row.last_error == "ConnectionError: reset"
    clock.advance(backoff_seconds(1))
    await outbox.deliver_due()  # the timeout
    clock.advance(backoff_seconds(2))
    await outbox.deliver_due()
    assert chat.titles == ["main: MARGIN CALL"]


async def test_chat_that_is_gone_disables_its_subscription_and_tells_the_owner(
    store: Store, clock: ManualClock
) -> None:
    account, dm = await link(store, clock.now(), chat="dm")
    channel = await store.add_subscription(
        account.id, Destination("console", "kicked", is_dm=False), now=clock.now(), share="state"
    )
    await store.enqueue(
        NewMessage(
            "k",
            channel.destination,
            to_payload(message("main: watch", "watch")),
            subscription_id=channel.id,
        ),
        now=clock.now(),
    )
    chat = RecordingChat(failures=[DestinationGone("the bot was removed from the group")])
    outbox = dispatcher(store, chat, clock)
    assert (await outbox.deliver_due()).gone == 1
    gone = await store.get_subscription(channel.id)
    assert gone is not None and not gone.enabled
    assert gone.disabled_reason == "the bot was removed from the group"
    still = await store.get_subscription(dm.id)
    assert still is not None and still.enabled
    await outbox.deliver_due()
    assert [dest.chat_id for dest, _ in chat.sent] == ["dm"]
    assert "the bot was removed from the group" in chat.sent[0][1].text
    audit = await store.run(
        lambda tx: tx.db.execute("select action, detail from audit_log").fetchall()
    )
    assert audit == [("destination_disabled", "the bot was removed from the group")]


async def test_platform_without_a_transport_waits_instead_of_being_lost(
    store: Store, clock: ManualClock
) -> None:
    await store.enqueue(
        NewMessage("k", Destination("discord", "55"), to_payload(message("main: watch"))),
        now=clock.now(),
    )
    outbox = dispatcher(store, RecordingChat(), clock)
    assert (await outbox.deliver_due()).retried == 1
    row = await store.run(lambda tx: tx.outbox.by_key("k"))
    assert row is not None and row.status == "pending"
    assert row.last_error == "no transport is registered for 'discord'"


def test_backoff_follows_the_store_curve_with_jitter_in_the_upper_half() -> None:
    low = [backoff_delay(n, rng=lambda: 0.0) for n in range(1, 12)]
    high = [backoff_delay(n, rng=lambda: 0.999) for n in range(1, 12)]
    assert low[:4] == [2.5, 5.0, 10.0, 20.0]
    assert high[-1] < backoff_seconds(11) == 2 * low[-1]
    assert all(lo < hi for lo, hi in zip(low, high, strict=True))
