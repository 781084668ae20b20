"""Users: one row per (platform, platform user id), created on first contact."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from bot.store.records import User


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("users")

    def ensure(
        self, platform: str, platform_user_id: str, *, now: float, display_name: str | None = None
    ) -> User:
        """The user, created if new; a changed display name is updated."""
        existing = self.find(platform, platform_user_id)
        if existing is None:
            row_id = self._table.insert(
                {
                    "platform": platform,
                    "platform_user_id": str(platform_user_id),
                    "display_name": display_name,
                    "created_at": now,
                }
            ).last_pk
            return self._get_or_fail(int(row_id))
        if display_name is not None and display_name != existing.display_name:
            self._table.update(existing.id, {"display_name": display_name})
            return self._get_or_fail(existing.id)
        return existing

    def get(self, user_id: int) -> User | None:
        rows = list(self._table.rows_where("id = ?", [user_id]))
        return _user(rows[0]) if rows else None

    def find(self, platform: str, platform_user_id: str) -> User | None:
        rows = list(
            self._table.rows_where(
                "platform = ? and platform_user_id = ?", [platform, str(platform_user_id)]
            )
        )
        return _user(rows[0]) if rows else None

    def _get_or_fail(self, user_id: int) -> User:
        user = self.get(user_id)
        if user is None:  # pragma: no cover - just written in the same transaction
            raise LookupError(f"user {user_id} vanished")
        return user


def _user(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        platform=row["platform"],
        platform_user_id=row["platform_user_id"],
        display_name=row["display_name"],
        created_at=row["created_at"],
    )
