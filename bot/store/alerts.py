"""Alert state per subscription, and the one way to change it: together with its outbox messages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from bot.store.outbox import Outbox
from bot.store.records import AlertState, NewMessage


class AlertStates:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("alert_state")

    def get(self, subscription_id: int) -> AlertState | None:
        rows = self._select("where subscription_id = ?", [subscription_id])
        return rows[0] if rows else None

    def get_or_default(self, subscription_id: int) -> AlertState:
        """The stored state, or "ok, never alerted" for a subscription not yet judged."""
        return self.get(subscription_id) or AlertState(subscription_id=subscription_id)

    def for_account(self, account_id: int) -> dict[int, AlertState]:
        """States of the account's subscriptions, by subscription id (missing = never judged)."""
        rows = self._select(
            "where subscription_id in (select id from subscriptions where account_id = ?)",
            [account_id],
        )
        return {state.subscription_id: state for state in rows}

    def all(self) -> list[AlertState]:
        return self._select("order by subscription_id", [])

    def save(self, state: AlertState, *, now: float) -> AlertState:
        stored = replace(state, updated_at=now)
        # Plain SQL rather than Table.upsert: this runs on every judged poll, and upsert
        # re-reads the table's schema each call.
        self._db.execute(
            "insert into alert_state (subscription_id, level, since, last_alert_at, "
            "last_reminder_at, last_positions, feed_status, feed_since, stale_polls, details, "
            "updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "on conflict (subscription_id) do update set level = excluded.level, "
            "since = excluded.since, last_alert_at = excluded.last_alert_at, "
            "last_reminder_at = excluded.last_reminder_at, "
            "last_positions = excluded.last_positions, feed_status = excluded.feed_status, "
            "feed_since = excluded.feed_since, stale_polls = excluded.stale_polls, "
            "details = excluded.details, updated_at = excluded.updated_at",
            [
                stored.subscription_id,
                stored.level,
                stored.since,
                stored.last_alert_at,
                stored.last_reminder_at,
                json.dumps(list(stored.last_positions)),
                stored.feed_status,
                stored.feed_since,
                stored.stale_polls,
                json.dumps(dict(stored.details), separators=(",", ":")),
                now,
            ],
        )
        return stored

    def transition(
        self,
        states: Iterable[AlertState],
        messages: Iterable[NewMessage] = (),
        *,
        now: float,
    ) -> list[int]:
        """Save new states and enqueue the alerts they caused; ids of the newly queued messages.

        Atomic only inside one transaction: use `Store.transition` (or `Store.run`), which is one.
        A message whose idempotency key is already queued is skipped, so replaying a transition
        after a crash does not alert twice.
        """
        for state in states:
            self.save(state, now=now)
        return Outbox(self._db).enqueue_many(messages, now=now)

    def _select(self, where: str, params: list[Any]) -> list[AlertState]:
        cursor = self._db.execute(f"select * from alert_state {where}", params)
        names = [d[0] for d in cursor.description]
        return [_state(dict(zip(names, row, strict=True))) for row in cursor]


def _state(row: dict[str, Any]) -> AlertState:
    return AlertState(
        subscription_id=row["subscription_id"],
        level=row["level"],
        since=row["since"],
        last_alert_at=row["last_alert_at"],
        last_reminder_at=row["last_reminder_at"],
        last_positions=tuple(json.loads(row["last_positions"] or "[]")),
        feed_status=row["feed_status"],
        feed_since=row["feed_since"],
        stale_polls=row["stale_polls"],
        details=json.loads(row["details"] or "{}"),
        updated_at=row["updated_at"],
    )
