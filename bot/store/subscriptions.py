"""Subscriptions: which account's alerts go to which chat, with what thresholds and sharing."""

from __future__ import annotations

import json
import re
import zoneinfo
from typing import Any

from sqlite_utils import Database

from bot.store.connection import StoreError
from bot.store.records import (
    DIGEST_SCHEDULES,
    SHARE_LEVELS,
    Destination,
    Subscription,
    Thresholds,
)

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class DuplicateSubscription(StoreError):
    """This account already posts to this chat (and thread)."""


class Subscriptions:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("subscriptions")

    def add(
        self,
        account_id: int,
        destination: Destination,
        *,
        now: float,
        community_id: str | None = None,
        thresholds: Thresholds | None = None,
        share: str = "none",
        digest: str = "off",
        digest_time: str = "08:00",
        digest_weekday: int | None = None,
        timezone: str = "UTC",
    ) -> Subscription:
        _check_share(share)
        _check_digest(digest, digest_time, digest_weekday, timezone)
        if self.find(account_id, destination) is not None:
            raise DuplicateSubscription("this account already sends its alerts to that chat")
        row_id = self._table.insert(
            {
                "account_id": account_id,
                "community_id": community_id,
                "platform": destination.platform,
                "chat_id": str(destination.chat_id),
                "thread_id": _thread(destination.thread_id),
                "is_dm": int(destination.is_dm),
                "thresholds": _thresholds_json(thresholds or Thresholds()),
                "digest": digest,
                "digest_time": digest_time,
                "digest_weekday": digest_weekday,
                "timezone": timezone,
                "share": share,
                "enabled": 1,
                "created_at": now,
            }
        ).last_pk
        return self._get_or_fail(int(row_id))

    def get(self, subscription_id: int) -> Subscription | None:
        rows = self._select("where id = ?", [subscription_id])
        return rows[0] if rows else None

    def find(self, account_id: int, destination: Destination) -> Subscription | None:
        rows = self._select(
            "where account_id = ? and platform = ? and chat_id = ? and thread_id = ?",
            [
                account_id,
                destination.platform,
                str(destination.chat_id),
                _thread(destination.thread_id),
            ],
        )
        return rows[0] if rows else None

    def for_account(self, account_id: int, *, enabled_only: bool = False) -> list[Subscription]:
        extra = " and enabled = 1" if enabled_only else ""
        return self._select(f"where account_id = ?{extra} order by id", [account_id])

    def for_owner(self, owner_id: int) -> list[Subscription]:
        return self._select(
            "where account_id in (select id from accounts where owner_id = ?) order by id",
            [owner_id],
        )

    def for_destination(self, destination: Destination) -> list[Subscription]:
        return self._select(
            "where platform = ? and chat_id = ? and thread_id = ? order by id",
            [destination.platform, str(destination.chat_id), _thread(destination.thread_id)],
        )

    def for_community(self, platform: str, community_id: str) -> list[Subscription]:
        return self._select(
            "where platform = ? and community_id = ? order by id", [platform, str(community_id)]
        )

    def with_digest(self) -> list[Subscription]:
        """Enabled subscriptions that asked for a daily or weekly digest."""
        return self._select("where enabled = 1 and digest != 'off' order by id", [])

    def set_thresholds(self, subscription_id: int, thresholds: Thresholds) -> Subscription:
        return self._update(subscription_id, {"thresholds": _thresholds_json(thresholds)})

    def snooze(self, subscription_id: int, until: float | None) -> Subscription:
        """Snooze until a time; `None` unsnoozes."""
        return self._update(subscription_id, {"snoozed_until": until})

    def set_digest(
        self,
        subscription_id: int,
        digest: str,
        *,
        digest_time: str = "08:00",
        digest_weekday: int | None = None,
        timezone: str = "UTC",
    ) -> Subscription:
        _check_digest(digest, digest_time, digest_weekday, timezone)
        return self._update(
            subscription_id,
            {
                "digest": digest,
                "digest_time": digest_time,
                "digest_weekday": digest_weekday,
                "timezone": timezone,
            },
        )

    def mark_digest_sent(self, subscription_id: int, at: float) -> Subscription:
        return self._update(subscription_id, {"last_digest_at": at})

    def set_share(self, subscription_id: int, share: str) -> Subscription:
        _check_share(share)
        return self._update(subscription_id, {"share": share})

    def set_enabled(
        self, subscription_id: int, enabled: bool, *, reason: str | None = None
    ) -> Subscription:
        return self._update(
            subscription_id,
            {"enabled": int(enabled), "disabled_reason": None if enabled else reason},
        )

    def remove(self, subscription_id: int) -> bool:
        """Delete a subscription, its alert state and its messages.

        Delivered ones too: their keys (``sub{id}:{sequence}:…``) must not outlive the
        subscription, or a new one that reuses its id would find its first alerts "already
        queued".
        """
        self._db.execute("delete from alert_state where subscription_id = ?", [subscription_id])
        self._db.execute("delete from outbox where subscription_id = ?", [subscription_id])
        cursor = self._db.execute("delete from subscriptions where id = ?", [subscription_id])
        return cursor.rowcount > 0

    def _update(self, subscription_id: int, changes: dict[str, Any]) -> Subscription:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        cursor = self._db.execute(
            f"update subscriptions set {assignments} where id = ?",
            [*changes.values(), subscription_id],
        )
        if cursor.rowcount == 0:
            raise LookupError(f"subscription {subscription_id} does not exist")
        return self._get_or_fail(subscription_id)

    def _select(self, where: str, params: list[Any]) -> list[Subscription]:
        cursor = self._db.execute(f"select * from subscriptions {where}", params)
        names = [d[0] for d in cursor.description]
        return [subscription_from_row(dict(zip(names, row, strict=True))) for row in cursor]

    def _get_or_fail(self, subscription_id: int) -> Subscription:
        subscription = self.get(subscription_id)
        if subscription is None:
            raise LookupError(f"subscription {subscription_id} does not exist")
        return subscription


def subscription_from_row(row: dict[str, Any]) -> Subscription:
    return Subscription(
        id=row["id"],
        account_id=row["account_id"],
        destination=Destination(
            platform=row["platform"],
            chat_id=row["chat_id"],
            thread_id=row["thread_id"] or None,
            is_dm=bool(row["is_dm"]),
        ),
        community_id=row["community_id"],
        thresholds=thresholds_from_json(row["thresholds"]),
        snoozed_until=row["snoozed_until"],
        digest=row["digest"],
        digest_time=row["digest_time"],
        digest_weekday=row["digest_weekday"],
        timezone=row["timezone"],
        last_digest_at=row["last_digest_at"],
        share=row["share"],
        enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"],
        created_at=row["created_at"],
    )


def thresholds_from_json(text: str | None) -> Thresholds:
    stored = json.loads(text or "{}")
    known = Thresholds.__dataclass_fields__
    return Thresholds(**{k: v for k, v in stored.items() if k in known})


def _thresholds_json(thresholds: Thresholds) -> str:
    return json.dumps({k: v for k, v in thresholds.as_dict().items() if v is not None})


def _thread(thread_id: str | None) -> str:
    return "" if thread_id is None else str(thread_id)


def _check_share(share: str) -> None:
    if share not in SHARE_LEVELS:
        raise ValueError(f"sharing must be one of {', '.join(SHARE_LEVELS)}, not {share!r}")


def _check_digest(digest: str, digest_time: str, weekday: int | None, timezone: str) -> None:
    if digest not in DIGEST_SCHEDULES:
        raise ValueError(f"digest must be one of {', '.join(DIGEST_SCHEDULES)}, not {digest!r}")
    if not _TIME.match(digest_time):
        raise ValueError(f"digest time must be HH:MM (24-hour), not {digest_time!r}")
    if weekday is not None and not 0 <= weekday <= 6:
        raise ValueError("digest weekday must be 0 (Monday) to 6 (Sunday)")
    if digest == "weekly" and weekday is None:
        raise ValueError("a weekly digest needs a weekday")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {timezone!r} (use a name like Europe/Berlin)"
        ) from None
