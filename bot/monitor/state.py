"""What the policy needs from the store's records besides the alert state (which it shares)."""

from __future__ import annotations

from dataclasses import replace

from bot.monitor import policy
from bot.store import records


def rules_for(subscription: records.Subscription, base: policy.AlertRules) -> policy.AlertRules:
    """The product's rules with this subscription's thresholds and snooze."""
    return replace(
        base, thresholds=subscription.thresholds, snoozed_until=subscription.snoozed_until
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
