"""Audit log: who did what, where, when (moderator actions, links, unlinks, disabled chats)."""

from __future__ import annotations

from sqlite_utils import Database

from bot.store.records import AuditEntry


class Audit:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("audit_log")

    def record(
        self,
        *,
        now: float,
        actor_platform: str,
        actor_id: str,
        action: str,
        community_id: str | None = None,
        target: str | None = None,
        detail: str | None = None,
    ) -> AuditEntry:
        """Append an entry. `detail` is shown to moderators: never put a secret in it."""
        row_id = self._table.insert(
            {
                "at": now,
                "actor_platform": actor_platform,
                "actor_id": str(actor_id),
                "action": action,
                "community_id": None if community_id is None else str(community_id),
                "target": target,
                "detail": detail,
            }
        ).last_pk
        return AuditEntry(
            id=int(row_id),
            at=now,
            actor_platform=actor_platform,
            actor_id=str(actor_id),
            action=action,
            community_id=None if community_id is None else str(community_id),
            target=target,
            detail=detail,
        )

    def for_community(
        self, platform: str, community_id: str, *, limit: int = 50
    ) -> list[AuditEntry]:
        """Newest first."""
        cursor = self._db.execute(
            "select id, at, actor_platform, actor_id, action, community_id, target, detail "
            "from audit_log where actor_platform = ? and community_id = ? "
            "order by at desc, id desc limit ?",
            [platform, str(community_id), limit],
        )
        return [AuditEntry(*row) for row in cursor.fetchall()]

    def for_actor(self, platform: str, actor_id: str, *, limit: int = 50) -> list[AuditEntry]:
        cursor = self._db.execute(
            "select id, at, actor_platform, actor_id, action, community_id, target, detail "
            "from audit_log where actor_platform = ? and actor_id = ? "
            "order by at desc, id desc limit ?",
            [platform, str(actor_id), limit],
        )
        return [AuditEntry(*row) for row in cursor.fetchall()]
