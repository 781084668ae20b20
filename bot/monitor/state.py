"""Translation between the store's records and the alert policy's values (state, rules)."""

from __future__ import annotations

from dataclasses import replace

from bot.monitor import policy
from bot.store import records

# The policy's "what the user was told about the feed" against the store's feed_status words.
_FEED_STATUS = {
    None: "ok",
    "data_stale": "stale",
    "key_invalid": "key_invalid",
    "exchange_down": "exchange_down",
}
_FEED_TOLD = {status: told for told, status in _FEED_STATUS.items()}


def from_record(record: records.AlertState) -> policy.AlertState:
    """The policy's view of a stored state (a never-judged subscription gives the default)."""
    details = record.details
    return policy.AlertState(
        level=_level(record.level),
        told_level=_level(details.get("told_level", "ok")),
        told_at=record.last_alert_at,
        failed_polls=record.stale_polls,
        feed_told=_FEED_TOLD.get(record.feed_status),  # type: ignore[arg-type]
        positions=tuple(record.last_positions),
        last_success_at=details.get("last_success_at"),
    )


def to_record(
    subscription_id: int,
    previous: records.AlertState,
    state: policy.AlertState,
    events: tuple[policy.AlertEvent, ...],
    now: float,
) -> records.AlertState:
    """The stored form of ``state``; ``since`` fields move only when the level or feed changes."""
    feed_status = _FEED_STATUS[state.feed_told]
    reminded = any(event.kind == "reminder" for event in events)
    return replace(
        previous,
        subscription_id=subscription_id,
        level=state.level,
        since=previous.since if previous.level == state.level and previous.since else now,
        last_alert_at=state.told_at,
        last_reminder_at=now if reminded else previous.last_reminder_at,
        last_positions=state.positions,
        feed_status=feed_status,
        feed_since=previous.feed_since if previous.feed_status == feed_status else now,
        stale_polls=state.failed_polls,
        details={
            **previous.details,
            "told_level": state.told_level,
            "last_success_at": state.last_success_at,
        },
    )


def rules_for(subscription: records.Subscription, base: policy.AlertRules) -> policy.AlertRules:
    """The product's rules with this subscription's thresholds and snooze."""
    return replace(
        base,
        thresholds=policy.UserThresholds(**subscription.thresholds.as_dict()),
        snoozed_until=subscription.snoozed_until,
    )


def subject_for(subscription: records.Subscription, account: records.Account) -> policy.Subject:
    return policy.Subject(
        subscription_id=subscription.id, account_label=account.label, venue=account.venue
    )


def priority_of(event: policy.AlertEvent) -> int:
    """The outbox priority: critical first, then anything at margin call, then the rest."""
    if event.priority == "critical":
        return records.PRIORITY_CRITICAL
    if policy.rank(event.level) >= policy.rank("margin_call"):
        return records.PRIORITY_WARNING
    return records.PRIORITY_ROUTINE


def _level(value: object) -> policy.Level:
    return value if value in policy.LEVELS else "ok"  # type: ignore[return-value]
