"""Community settings: per Discord guild / Telegram group, written by its moderators."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from bot.store.records import SHARE_LEVELS, CommunitySettings, Thresholds
from bot.store.subscriptions import thresholds_from_json


class Communities:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("community_settings")

    def get(self, platform: str, community_id: str) -> CommunitySettings:
        """The stored settings, or the defaults for a community never configured."""
        rows = list(
            self._table.rows_where(
                "platform = ? and community_id = ?", [platform, str(community_id)]
            )
        )
        if not rows:
            return CommunitySettings(platform=platform, community_id=str(community_id))
        return _settings(rows[0])

    def save(self, settings: CommunitySettings, *, now: float) -> CommunitySettings:
        """Write all fields (read with `get`, change with `dataclasses.replace`, save)."""
        if settings.default_share not in SHARE_LEVELS:
            raise ValueError(
                f"sharing must be one of {', '.join(SHARE_LEVELS)}, not {settings.default_share!r}"
            )
        stored = replace(settings, community_id=str(settings.community_id), updated_at=now)
        self._table.upsert(
            {
                "platform": stored.platform,
                "community_id": stored.community_id,
                "alert_channel_id": stored.alert_channel_id,
                "alert_thread_id": stored.alert_thread_id,
                "moderator_role_id": stored.moderator_role_id,
                "default_thresholds": json.dumps(
                    {k: v for k, v in stored.default_thresholds.as_dict().items() if v is not None}
                ),
                "default_share": stored.default_share,
                "allowed_venues": json.dumps(list(stored.allowed_venues)),
                "enabled": int(stored.enabled),
                "updated_at": now,
            },
            pk=("platform", "community_id"),
        )
        return stored

    def remove(self, platform: str, community_id: str) -> bool:
        cursor = self._db.execute(
            "delete from community_settings where platform = ? and community_id = ?",
            [platform, str(community_id)],
        )
        return cursor.rowcount > 0


def _settings(row: dict[str, Any]) -> CommunitySettings:
    thresholds: Thresholds = thresholds_from_json(row["default_thresholds"])
    return CommunitySettings(
        platform=row["platform"],
        community_id=row["community_id"],
        alert_channel_id=row["alert_channel_id"],
        alert_thread_id=row["alert_thread_id"],
        moderator_role_id=row["moderator_role_id"],
        default_thresholds=thresholds,
        default_share=row["default_share"],
        allowed_venues=tuple(json.loads(row["allowed_venues"] or "[]")),
        enabled=bool(row["enabled"]),
        updated_at=row["updated_at"],
    )
