"""Many asyncio tasks share the store: every unit of work runs on the one database thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.store import NewMessage, Store, Tx
from tests.store.helpers import CHAT


async def test_concurrent_read_modify_write_units_never_lose_an_update(store: Store) -> None:
    user = await store.ensure_user("discord", "1", now=0.0)
    account = await store.add_account(user.id, "kraken", "main", None, now=0.0)

    def bump(tx: Tx) -> None:
        # Read, then write from what was read: only safe if units never interleave.
        current = tx.accounts.get(account.id)
        assert current is not None
        tx.accounts.schedule(account.id, (current.next_poll_at or 0.0) + 1.0)

    await asyncio.gather(*(store.run(bump) for _ in range(200)))
    refreshed = await store.get_account(account.id)
    assert refreshed is not None and refreshed.next_poll_at == 200.0


async def test_every_unit_runs_on_the_same_dedicated_thread(store: Store) -> None:
    threads = await asyncio.gather(
        *(store.read(lambda tx: threading.get_ident()) for _ in range(20))
    )
    assert len(set(threads)) == 1
    assert threads[0] != threading.get_ident()


async def test_the_event_loop_keeps_running_while_the_database_works(store: Store) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    def slow_unit(tx: Tx) -> None:
        # Block the database thread, not the loop.
        threading.Event().wait(0.2)

    task = asyncio.create_task(ticker())
    await store.run(slow_unit)
    stop.set()
    await task
    assert ticks > 10


async def test_concurrent_enqueues_of_one_alert_store_it_once(store: Store) -> None:
    message = NewMessage("same-alert", CHAT, {"title": "t"})
    ids = await asyncio.gather(*(store.enqueue(message, now=1.0) for _ in range(50)))
    assert len([i for i in ids if i is not None]) == 1
    assert await store.outbox_depth() == 1


async def test_a_coroutine_function_is_refused_with_a_clear_error(store: Store) -> None:
    async def not_allowed(tx: Tx) -> None:
        return None

    with pytest.raises(TypeError, match="plain function"):
        await store.run(not_allowed)  # type: ignore[arg-type]


async def test_a_closed_store_says_so(store: Store) -> None:
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(Exception, match="closed"):
        await store.get_user(1)


async def test_recording_a_delivery_jumps_the_queue_of_polls_waiting_for_the_database(
    store: Store,
) -> None:
    # The chat has the message and only the delivered mark says so: the shorter it waits, the
    # rarer a resend after a crash (Telegram has no idempotency key).
    message_id = await store.enqueue(NewMessage("k", CHAT, {"title": "t"}), now=1.0)
    assert message_id is not None
    gate = threading.Event()
    seen: list[str] = []

    def busy(tx: Tx) -> None:
        gate.wait(5)

    def poll(tx: Tx) -> None:  # a poll queued before the mark: does it still find it pending?
        found = tx.outbox.get(message_id)
        seen.append(found.status if found else "gone")

    first = asyncio.create_task(store.run(busy))
    await asyncio.sleep(0.05)  # the database thread is busy
    polls = [asyncio.create_task(store.run(poll)) for _ in range(5)]
    await asyncio.sleep(0.05)
    delivered = asyncio.create_task(store.mark_delivered([message_id], now=2.0))
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(first, *polls, delivered)
    assert seen == ["delivered"] * 5
