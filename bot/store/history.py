"""Health history: a sample per poll per account, for charts and digests; bounded retention."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from bot.store.records import HealthPoint

DEFAULT_RETENTION_SECONDS = 30 * 24 * 3600
DEFAULT_MAX_POINTS_PER_ACCOUNT = 10_000
# Older than a day, one sample per state per quarter hour: the 30 days of retention fit in
# ~4,300 samples an account (the 10,000 cap alone kept 7 days of minutely polls), a chart of
# 1-30 days still shows every swing and state change, and 90 days would stay under the cap.
FULL_RESOLUTION_SECONDS = 24 * 3600.0
BUCKET_SECONDS = 15 * 60.0
# How far before the full-resolution edge each prune looks for samples to thin: the hours aged
# out since the last (hourly) prune, with margin for a bot that was down a few hours.
THIN_LOOKBACK_SECONDS = 6 * 3600.0
# Rows per delete and accounts per step: each prune transaction holds the database thread for
# tens of milliseconds at most (bench/history_prune.py), so polls wait for no prune.
PRUNE_CHUNK = 2000
PRUNE_ACCOUNTS_PER_STEP = 25


@dataclass(frozen=True)
class PrunePlan:
    """What one prune removes: which times expire, where thinning applies, the per-account cap."""

    expire_before: float
    thin_from: float
    thin_until: float
    bucket_seconds: float
    max_points_per_account: int

    @classmethod
    def at(
        cls,
        now: float,
        *,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        max_points_per_account: int = DEFAULT_MAX_POINTS_PER_ACCOUNT,
        full_resolution_seconds: float = FULL_RESOLUTION_SECONDS,
        bucket_seconds: float = BUCKET_SECONDS,
        thin_lookback_seconds: float = THIN_LOOKBACK_SECONDS,
    ) -> PrunePlan:
        if max_points_per_account < 1 or bucket_seconds <= 0 or retention_seconds < 0:
            raise ValueError(
                "prune needs max_points_per_account >= 1, bucket_seconds > 0 and "
                "retention_seconds >= 0"
            )
        thin_until = now - full_resolution_seconds
        return cls(
            expire_before=now - retention_seconds,
            thin_from=max(thin_until - thin_lookback_seconds, now - retention_seconds),
            thin_until=thin_until,
            bucket_seconds=bucket_seconds,
            max_points_per_account=max_points_per_account,
        )


class History:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("health_history")

    def add(self, point: HealthPoint) -> None:
        self.add_many([point])

    def add_many(self, points: Iterable[HealthPoint]) -> None:
        # executemany rather than Table.insert_all: one statement, no schema look-ups per poll.
        names = list(HealthPoint.__dataclass_fields__)
        self._db.conn.executemany(
            f"insert into health_history ({', '.join(names)}) "
            f"values ({', '.join('?' for _ in names)})",
            [[getattr(point, name) for name in names] for point in points],
        )

    def series(
        self, account_id: int, *, since: float | None = None, limit: int = 5000
    ) -> list[HealthPoint]:
        """The account's samples since a time, oldest first (the newest `limit` of them)."""
        cursor = self._db.execute(
            "select * from (select * from health_history where account_id = ? and at >= ? "
            "order by at desc limit ?) order by at",
            [account_id, since if since is not None else float("-inf"), limit],
        )
        names = [d[0] for d in cursor.description]
        return [_point(dict(zip(names, row, strict=True))) for row in cursor]

    def latest(self, account_id: int) -> HealthPoint | None:
        points = self.series(account_id, limit=1)
        return points[0] if points else None

    def prune(
        self,
        *,
        now: float,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        max_points_per_account: int = DEFAULT_MAX_POINTS_PER_ACCOUNT,
        full_resolution_seconds: float = FULL_RESOLUTION_SECONDS,
        bucket_seconds: float = BUCKET_SECONDS,
    ) -> int:
        """Every prune step in this one transaction; `Store.prune_history` spreads them out."""
        plan = PrunePlan.at(
            now,
            retention_seconds=retention_seconds,
            max_points_per_account=max_points_per_account,
            full_resolution_seconds=full_resolution_seconds,
            bucket_seconds=bucket_seconds,
        )
        removed = 0
        while (expired := self.prune_expired(plan, limit=PRUNE_CHUNK)) > 0:
            removed += expired
        after: int | None = None
        while True:
            done, after, count = self.prune_accounts_step(plan, after=after, limit=PRUNE_CHUNK)
            removed += count
            if done:
                return removed

    def prune_expired(self, plan: PrunePlan, *, limit: int) -> int:
        """Delete up to `limit` samples older than the retention (walks the `at` index)."""
        return self._db.execute(
            "delete from health_history where rowid in ("
            " select rowid from health_history where at < ? limit ?)",
            [plan.expire_before, limit],
        ).rowcount

    def prune_accounts_step(
        self,
        plan: PrunePlan,
        *,
        after: int | None,
        limit: int,
        max_accounts: int = PRUNE_ACCOUNTS_PER_STEP,
    ) -> tuple[bool, int | None, int]:
        """Cap and thin the accounts after `after` (None: from the first), deleting at most `limit`.

        Returns whether every account is done, where to resume, and how many were deleted.
        Both bounds keep one call to a few milliseconds whatever the table's size.
        """
        removed = 0
        cursor = after
        for _ in range(max_accounts):
            account_id = self._next_account(cursor)
            if account_id is None:
                return True, cursor, removed
            budget = limit - removed
            removed += self._thin(account_id, plan, limit=budget)
            if removed < limit:
                removed += self._cap(account_id, plan, limit=limit - removed)
            if removed >= limit:
                # The account may hold more to delete: the next step starts on it again.
                return False, cursor, removed
            cursor = account_id
        return False, cursor, removed

    def _next_account(self, after: int | None) -> int | None:
        # min() over the (account_id, at) index: a seek, not a scan of the table.
        return self._db.execute(
            "select min(account_id) from health_history where account_id > ?",
            [after if after is not None else float("-inf")],
        ).fetchone()[0]

    def _cap(self, account_id: int, plan: PrunePlan, *, limit: int) -> int:
        oldest_kept = self._db.execute(
            "select at from health_history where account_id = ? order by at desc limit 1 offset ?",
            [account_id, plan.max_points_per_account - 1],
        ).fetchone()
        if oldest_kept is None:
            return 0
        return self._db.execute(
            "delete from health_history where rowid in ("
            " select rowid from health_history where account_id = ? and at < ? limit ?)",
            [account_id, oldest_kept[0], limit],
        ).rowcount

    def _thin(self, account_id: int, plan: PrunePlan, *, limit: int) -> int:
        # Keep the first sample of each state in each bucket: charts keep their shape and
        # every change of state stays visible, at a fraction of the rows. The state is the
        # worst of the account's and its own-margin pools' (m004; the account's before it), so
        # an isolated position's critical spell survives thinning like the account's would.
        return self._db.execute(
            "delete from health_history where rowid in ("
            " select rowid from health_history as h"
            " where h.account_id = ? and h.at >= ? and h.at < ? and exists ("
            "  select 1 from health_history as o where o.account_id = h.account_id"
            "  and o.at < h.at and o.at >= cast(h.at / ? as integer) * ?"
            "  and coalesce(o.worst_state, o.state) = coalesce(h.worst_state, h.state))"
            " limit ?)",
            [
                account_id,
                plan.thin_from,
                plan.thin_until,
                plan.bucket_seconds,
                plan.bucket_seconds,
                limit,
            ],
        ).rowcount

    def count(self, account_id: int | None = None) -> int:
        if account_id is None:
            return self._db.execute("select count(*) from health_history").fetchone()[0]
        return self._db.execute(
            "select count(*) from health_history where account_id = ?", [account_id]
        ).fetchone()[0]


def _point(row: dict[str, Any]) -> HealthPoint:
    return HealthPoint(**{name: row[name] for name in HealthPoint.__dataclass_fields__})
