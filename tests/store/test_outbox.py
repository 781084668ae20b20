"""The outbox: deduplicated, leased, retried with backoff, urgent first, dropped for gone chats."""

from __future__ import annotations

import pytest

from bot.store import (
    PRIORITY_CRITICAL,
    PRIORITY_ROUTINE,
    Destination,
    NewMessage,
    Store,
    backoff_seconds,
)
from tests.store.helpers import CHAT, DM, subscribed_account


def _message(key: str, *, priority: int = PRIORITY_ROUTINE, to: Destination = CHAT) -> NewMessage:
    return NewMessage(
        idempotency_key=key, destination=to, payload={"title": key}, priority=priority
    )


async def test_enqueueing_the_same_idempotency_key_twice_stores_one_message(store: Store) -> None:
    first = await store.enqueue(_message("sub1:margin_call:1700000000"), now=10.0)
    again = await store.enqueue(_message("sub1:margin_call:1700000000"), now=11.0)
    assert first is not None and again is None
    assert await store.outbox_depth() == 1
    stored = await store.outbox_message(first)
    assert stored is not None and stored.created_at == 10.0


async def test_a_delivered_key_is_not_queued_again(store: Store) -> None:
    message_id = await store.enqueue(_message("k"), now=1.0)
    assert message_id is not None
    await store.mark_delivered([message_id], now=2.0)
    assert await store.enqueue(_message("k"), now=3.0) is None
    assert await store.claim_outbox(now=4.0) == []


async def test_critical_is_claimed_before_routine_then_oldest_first(store: Store) -> None:
    await store.enqueue(_message("routine-old"), now=1.0)
    await store.enqueue(_message("routine-new"), now=2.0)
    await store.enqueue(_message("critical", priority=PRIORITY_CRITICAL), now=3.0)
    claimed = await store.claim_outbox(now=5.0)
    assert [m.idempotency_key for m in claimed] == ["critical", "routine-old", "routine-new"]
    assert claimed[0].destination == CHAT and claimed[0].payload == {"title": "critical"}


async def test_a_claimed_message_is_leased_until_the_lease_ends(store: Store) -> None:
    await store.enqueue(_message("k"), now=1.0)
    assert len(await store.claim_outbox(now=2.0, lease_seconds=30)) == 1
    assert await store.claim_outbox(now=10.0) == []  # a second sender sees nothing
    # The sender crashed: after the lease the message comes back by itself.
    again = await store.claim_outbox(now=33.0)
    assert [m.idempotency_key for m in again] == ["k"]


async def test_release_claims_at_start_up_brings_leased_messages_back_at_once(
    store: Store,
) -> None:
    await store.enqueue(_message("k"), now=1.0)
    await store.claim_outbox(now=2.0, lease_seconds=600)
    assert await store.release_outbox_claims() == 1
    assert [m.idempotency_key for m in await store.claim_outbox(now=3.0)] == ["k"]


async def test_failures_back_off_exponentially(store: Store) -> None:
    message_id = await store.enqueue(_message("k"), now=0.0)
    assert message_id is not None
    now = 0.0
    for attempt in (1, 2, 3):
        (claimed,) = await store.claim_outbox(now=now)
        failed = await store.mark_failed(claimed.id, now=now, error="HTTP 502")
        assert failed.attempts == attempt
        assert failed.next_attempt_at == now + backoff_seconds(attempt)
        assert await store.claim_outbox(now=failed.next_attempt_at - 0.01) == []
        now = failed.next_attempt_at
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert backoff_seconds(50) == 900.0


async def test_a_transports_retry_after_wins_over_the_backoff(store: Store) -> None:
    await store.enqueue(_message("k"), now=0.0)
    (claimed,) = await store.claim_outbox(now=0.0)
    failed = await store.mark_failed(claimed.id, now=0.0, error="429", retry_after=42.0)
    assert failed.next_attempt_at == 42.0 and failed.last_error == "429"
    assert await store.claim_outbox(now=41.0) == []
    assert len(await store.claim_outbox(now=42.0)) == 1


async def test_delivery_is_recorded(store: Store) -> None:
    message_id = await store.enqueue(_message("k"), now=0.0)
    assert message_id is not None
    await store.claim_outbox(now=1.0)
    await store.mark_delivered([message_id], now=2.5)
    delivered = await store.outbox_message(message_id)
    assert delivered is not None
    assert (delivered.status, delivered.delivered_at, delivered.claimed_until) == (
        "delivered",
        2.5,
        None,
    )
    assert await store.outbox_depth() == 0


async def test_a_gone_chat_disables_its_subscriptions_drops_its_messages_and_is_audited(
    store: Store,
) -> None:
    in_group = await subscribed_account(store, user="1")
    in_dm = await subscribed_account(store, user="2", destination=DM)
    await store.enqueue(_message("to-group"), now=1.0)
    kept = await store.enqueue(_message("to-dm", to=DM), now=1.0)

    disabled = await store.disable_destination(CHAT, now=5.0, reason="bot was kicked")

    assert [s.id for s in disabled] == [in_group.id]
    assert disabled[0].enabled is False and disabled[0].disabled_reason == "bot was kicked"
    assert (await store.get_subscription(in_dm.id)).enabled is True  # type: ignore[union-attr]
    assert [m.id for m in await store.claim_outbox(now=6.0)] == [kept]
    (entry,) = await store.audit_for_community("telegram", "-100200")
    assert (entry.action, entry.target, entry.detail) == (
        "destination_disabled",
        "-100200",
        "bot was kicked",
    )


async def test_depth_and_lag_figures_for_metrics(store: Store) -> None:
    assert await store.oldest_pending_created_at() is None
    await store.enqueue(_message("a"), now=3.0)
    await store.enqueue(_message("b"), now=7.0)
    assert await store.outbox_depth() == 2
    assert await store.oldest_pending_created_at() == 3.0


async def test_pruning_forgets_only_finished_old_messages(store: Store) -> None:
    done = await store.enqueue(_message("done"), now=1.0)
    await store.enqueue(_message("pending"), now=1.0)
    assert done is not None
    await store.mark_delivered([done], now=2.0)
    assert await store.prune_outbox(older_than=100.0) == 1
    assert await store.outbox_depth() == 1


async def test_a_payload_that_is_not_json_is_refused(store: Store) -> None:
    with pytest.raises(TypeError):
        await store.enqueue(
            NewMessage(idempotency_key="x", destination=CHAT, payload={"when": object()}), now=1.0
        )
    assert await store.outbox_depth() == 0


async def test_a_first_claim_makes_one_send_per_chat_and_a_reclaim_repeats_it(
    store: Store,
) -> None:
    await store.enqueue(_message("a1"), now=1.0)
    await store.enqueue(_message("a2"), now=1.0)
    await store.enqueue(_message("b1", to=DM), now=1.0)
    first = await store.claim_outbox(now=2.0)
    tokens = {m.idempotency_key: m.send_token for m in first}
    assert tokens["a1"] == tokens["a2"] != tokens["b1"]
    assert all(t is not None and len(t) <= 25 for t in tokens.values())  # a Discord nonce
    # The process dies before recording anything; at the next start a new alert is queued.
    await store.release_outbox_claims()
    await store.enqueue(_message("a3"), now=3.0)
    again = {m.idempotency_key: m.send_token for m in await store.claim_outbox(now=4.0)}
    assert {k: again[k] for k in tokens} == tokens  # the unfinished sends, exactly as before
    assert again["a3"] not in tokens.values()  # the new alert is a send of its own


async def test_a_refused_send_is_forgotten_and_a_send_of_unknown_outcome_is_kept(
    store: Store,
) -> None:
    await store.enqueue(_message("refused"), now=1.0)
    await store.enqueue(_message("unknown", to=DM), now=1.0)
    claimed = {m.idempotency_key: m for m in await store.claim_outbox(now=2.0)}
    refused = await store.mark_failed(claimed["refused"].id, now=3.0, error="429")
    unknown = await store.mark_failed(
        claimed["unknown"].id, now=3.0, error="timed out", outcome_unknown=True
    )
    assert refused.send_token is None  # may travel with newer alerts next time
    assert unknown.send_token == claimed["unknown"].send_token  # resent as the same send


async def test_rows_older_than_the_age_limit_are_dropped_unless_a_send_holds_them(
    store: Store,
) -> None:
    await store.enqueue(_message("old"), now=0.0)
    await store.enqueue(_message("held", to=DM), now=0.0)
    await store.enqueue(_message("young"), now=90.0)
    claimed = {m.idempotency_key: m for m in await store.claim_outbox(now=95.0)}
    held = claimed.pop("held")
    await store.release_outbox([m.id for m in claimed.values()])  # only "held" is in a send
    expired = await store.run(lambda tx: tx.outbox.expire(now=100.0, max_age=50.0))
    assert [m.idempotency_key for m in expired] == ["old"]
    old = await store.run(lambda tx: tx.outbox.by_key("old"))
    assert old is not None and old.status == "dropped" and old.last_error.startswith("expired")
    assert (await store.outbox_message(held.id)).status == "pending"  # being sent right now
    assert await store.outbox_depth() == 2
