"""Health history: a sample per poll per account, for charts and digests; bounded retention."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from bot.store.records import HealthPoint

DEFAULT_RETENTION_SECONDS = 30 * 24 * 3600
DEFAULT_MAX_POINTS_PER_ACCOUNT = 10_000


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
    ) -> int:
        """Drop samples past the retention or beyond the per-account cap; returns how many."""
        removed = self._db.execute(
            "delete from health_history where at < ?", [now - retention_seconds]
        ).rowcount
        removed += self._db.execute(
            "delete from health_history where rowid in ("
            " select rowid from (select rowid, row_number() over "
            "  (partition by account_id order by at desc) as newest_first from health_history)"
            " where newest_first > ?)",
            [max_points_per_account],
        ).rowcount
        return removed

    def count(self, account_id: int | None = None) -> int:
        if account_id is None:
            return self._db.execute("select count(*) from health_history").fetchone()[0]
        return self._db.execute(
            "select count(*) from health_history where account_id = ?", [account_id]
        ).fetchone()[0]


def _point(row: dict[str, Any]) -> HealthPoint:
    return HealthPoint(**{name: row[name] for name in HealthPoint.__dataclass_fields__})
