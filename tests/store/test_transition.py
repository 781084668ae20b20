"""An alert and the state change that caused it are written together or not at all."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.store import PRIORITY_CRITICAL, AlertState, NewMessage, Store, Tx
from tests.store.helpers import subscribed_account


class Boom(Exception):
    pass


async def test_transition_writes_state_and_messages_together(store: Store) -> None:
    sub = await subscribed_account(store)
    state = AlertState(
        subscription_id=sub.id,
        level="margin_call",
        told_level="margin_call",
        told_at=100.0,
        failed_polls=0,
        feed_told="data_stale",
        positions=("BTC/USD", "ETH/USD"),
        last_success_at=99.0,
        sequence=7,
        withheld="hysteresis",
    )
    alert = NewMessage(
        idempotency_key=f"{sub.id}:margin_call:100",
        destination=sub.destination,
        payload={"title": "Margin call"},
        priority=PRIORITY_CRITICAL,
        subscription_id=sub.id,
    )
    ids = await store.transition(state, [alert], now=100.0)
    assert len(ids) == 1
    stored = await store.alert_state(sub.id)
    # Every field of the one record comes back as it was saved (the store adds updated_at).
    assert stored == replace(state, updated_at=100.0)
    (queued,) = await store.claim_outbox(now=100.0)
    assert queued.subscription_id == sub.id and queued.priority == PRIORITY_CRITICAL


async def test_replaying_a_transition_after_a_crash_does_not_queue_the_alert_twice(
    store: Store,
) -> None:
    sub = await subscribed_account(store)
    state = AlertState(subscription_id=sub.id, level="critical", told_level="critical")
    alert = NewMessage(f"{sub.id}:critical:5", sub.destination, {"title": "Critical"})
    assert len(await store.transition(state, [alert], now=5.0)) == 1
    assert await store.transition(state, [alert], now=6.0) == []
    assert await store.outbox_depth() == 1


async def test_an_exception_inside_the_transaction_leaves_neither_state_nor_outbox_row(
    store: Store,
) -> None:
    sub = await subscribed_account(store)
    before = await store.alert_state(sub.id)

    def escalate_then_fail(tx: Tx) -> None:
        tx.alerts.transition(
            [AlertState(subscription_id=sub.id, level="critical", told_level="critical")],
            [NewMessage("k-critical", sub.destination, {"title": "Critical"})],
            now=9.0,
        )
        raise Boom("the monitor failed after writing")

    with pytest.raises(Boom):
        await store.run(escalate_then_fail)
    assert await store.alert_state(sub.id) == before
    assert await store.outbox_depth() == 0
    # And the key is free: the retry after the failure is queued normally.
    assert await store.enqueue(NewMessage("k-critical", sub.destination, {}), now=10.0)


async def test_a_bad_second_message_rolls_back_the_state_and_the_first_message(
    store: Store,
) -> None:
    sub = await subscribed_account(store)
    good = NewMessage("good", sub.destination, {"title": "ok"})
    bad = NewMessage("bad", sub.destination, {"chart": b"not json"})
    with pytest.raises(TypeError):
        await store.transition(
            AlertState(subscription_id=sub.id, level="watch"), [good, bad], now=3.0
        )
    assert (await store.alert_state(sub.id)).level == "ok"
    assert await store.outbox_depth() == 0


async def test_states_for_an_account_are_read_back_per_subscription(store: Store) -> None:
    sub = await subscribed_account(store)
    assert await store.alert_states_for_account(sub.account_id) == {}
    await store.transition(AlertState(subscription_id=sub.id, level="watch"), now=1.0)
    states = await store.alert_states_for_account(sub.account_id)
    assert list(states) == [sub.id] and states[sub.id].level == "watch"
