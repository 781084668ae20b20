"""Alert state per subscription, and the one way to change it: together with its outbox messages."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from bot.store.outbox import Outbox
from bot.store.records import FEED_TOLD, AlertState, NewMessage

# The columns of alert_state, in the order of the record's fields (see records.AlertState).
_COLUMNS = (
    "subscription_id",
    "level",
    "told_level",
    "told_at",
    "failed_polls",
    "feed_told",
    "positions",
    "last_success_at",
    "sequence",
    "withheld",
    "updated_at",
)
_UPSERT = (
    f"insert into alert_state ({', '.join(_COLUMNS)}) "
    f"values ({', '.join('?' for _ in _COLUMNS)}) "
    "on conflict (subscription_id) do update set "
    + ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[1:])
)


class AlertStates:
    def __init__(self, db: Database) -> None:
        self._db = db

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

    def accounts_at(self, levels: Collection[str]) -> set[int]:
        """Ids of the accounts an enabled subscription last judged at one of ``levels``."""
        if not levels:
            return set()
        marks = ", ".join("?" for _ in levels)
        rows = self._db.execute(
            "select distinct s.account_id from alert_state a "
            "join subscriptions s on s.id = a.subscription_id "
            f"where s.enabled = 1 and a.level in ({marks})",
            list(levels),
        )
        return {row[0] for row in rows}

    def save(self, state: AlertState, *, now: float) -> AlertState:
        stored = replace(state, updated_at=now)
        # Plain SQL rather than Table.upsert: this runs on every judged poll, and upsert
        # re-reads the table's schema each call.
        self._db.execute(
            _UPSERT,
            [
                stored.subscription_id,
                stored.level,
                stored.told_level,
                stored.told_at,
                stored.failed_polls,
                stored.feed_told,
                json.dumps(list(stored.positions)),
                stored.last_success_at,
                stored.sequence,
                stored.withheld,
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
        cursor = self._db.execute(f"select {', '.join(_COLUMNS)} from alert_state {where}", params)
        return [_state(dict(zip(_COLUMNS, row, strict=True))) for row in cursor]


def _state(row: dict[str, Any]) -> AlertState:
    feed_told = row["feed_told"]
    return AlertState(
        subscription_id=row["subscription_id"],
        level=row["level"],
        told_level=row["told_level"],
        told_at=row["told_at"],
        failed_polls=row["failed_polls"],
        feed_told=feed_told if feed_told in FEED_TOLD else None,
        positions=tuple(json.loads(row["positions"] or "[]")),
        last_success_at=row["last_success_at"],
        sequence=row["sequence"],
        withheld=row["withheld"],
        updated_at=row["updated_at"],
    )
