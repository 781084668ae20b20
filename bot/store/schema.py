"""The database schema as an ordered list of migrations (recorded in `_sqlite_migrations`).

Never edit a migration that has shipped: add a new one below it. Each runs in a transaction
together with its record, so a failed migration leaves the database as it was.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATION_SET = "marginwatch"
migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    """Users, accounts, subscriptions, community settings, alert state, outbox, history, audit."""
    db.table("users").create(
        {
            "id": int,
            "platform": str,
            "platform_user_id": str,
            "display_name": str,
            "created_at": float,
        },
        pk="id",
        not_null={"platform", "platform_user_id", "created_at"},
    )
    db.table("users").create_index(["platform", "platform_user_id"], unique=True)

    db.table("accounts").create(
        {
            "id": int,
            "owner_id": int,
            "venue": str,
            "label": str,
            # AES-GCM blob (see vault.py); bound to (id, owner_id, venue) by associated data.
            "credentials": bytes,
            "key_id": str,
            "status": str,
            "last_error": str,
            "next_poll_at": float,
            "last_polled_at": float,
            "last_ok_at": float,
            "consecutive_failures": int,
            "created_at": float,
        },
        pk="id",
        not_null={"owner_id", "venue", "label", "status", "consecutive_failures", "created_at"},
        defaults={"status": "active", "consecutive_failures": 0},
        foreign_keys=[("owner_id", "users", "id")],
    )
    db.table("accounts").create_index(["owner_id", "venue", "label"], unique=True)
    db.table("accounts").create_index(["status", "next_poll_at"])

    db.table("subscriptions").create(
        {
            "id": int,
            "account_id": int,
            # The Discord guild / Telegram group the chat belongs to; NULL for a DM.
            "community_id": str,
            "platform": str,
            "chat_id": str,
            # '' rather than NULL so the unique index below treats "no thread" as one value.
            "thread_id": str,
            "is_dm": int,
            "thresholds": str,  # JSON of records.Thresholds
            "snoozed_until": float,
            "digest": str,
            "digest_time": str,
            "digest_weekday": int,
            "timezone": str,
            "last_digest_at": float,
            "share": str,
            "enabled": int,
            "disabled_reason": str,
            "created_at": float,
        },
        pk="id",
        not_null={
            "account_id",
            "platform",
            "chat_id",
            "thread_id",
            "is_dm",
            "thresholds",
            "digest",
            "digest_time",
            "timezone",
            "share",
            "enabled",
            "created_at",
        },
        defaults={
            "thread_id": "",
            "is_dm": 0,
            "thresholds": "{}",
            "digest": "off",
            "digest_time": "08:00",
            "timezone": "UTC",
            "share": "none",
            "enabled": 1,
        },
        foreign_keys=[("account_id", "accounts", "id")],
    )
    db.table("subscriptions").create_index(
        ["account_id", "platform", "chat_id", "thread_id"], unique=True
    )
    db.table("subscriptions").create_index(["platform", "chat_id", "thread_id"])
    db.table("subscriptions").create_index(["platform", "community_id"])

    db.table("community_settings").create(
        {
            "platform": str,
            "community_id": str,
            "alert_channel_id": str,
            "alert_thread_id": str,
            "moderator_role_id": str,
            "default_thresholds": str,  # JSON of records.Thresholds
            "default_share": str,
            "allowed_venues": str,  # JSON list; empty = all
            "enabled": int,
            "updated_at": float,
        },
        pk=("platform", "community_id"),
        not_null={"default_thresholds", "default_share", "allowed_venues", "enabled"},
        defaults={
            "default_thresholds": "{}",
            "default_share": "state",
            "allowed_venues": "[]",
            "enabled": 1,
        },
    )

    db.table("alert_state").create(
        {
            "subscription_id": int,
            "level": str,
            "since": float,
            "last_alert_at": float,
            "last_reminder_at": float,
            "last_positions": str,  # JSON list of symbols
            "feed_status": str,
            "feed_since": float,
            "stale_polls": int,
            "details": str,  # JSON object, the policy's memo
            "updated_at": float,
        },
        pk="subscription_id",
        not_null={"level", "last_positions", "feed_status", "stale_polls", "details"},
        defaults={
            "level": "ok",
            "last_positions": "[]",
            "feed_status": "ok",
            "stale_polls": 0,
            "details": "{}",
        },
        foreign_keys=[("subscription_id", "subscriptions", "id")],
    )

    db.table("outbox").create(
        {
            "id": int,
            "idempotency_key": str,
            "subscription_id": int,
            "platform": str,
            "chat_id": str,
            "thread_id": str,
            "is_dm": int,
            "priority": int,
            "payload": str,  # JSON object (the neutral message)
            "status": str,
            "created_at": float,
            "attempts": int,
            "next_attempt_at": float,
            "claimed_until": float,
            "delivered_at": float,
            "last_error": str,
        },
        pk="id",
        not_null={
            "idempotency_key",
            "platform",
            "chat_id",
            "thread_id",
            "is_dm",
            "priority",
            "payload",
            "status",
            "created_at",
            "attempts",
            "next_attempt_at",
        },
        defaults={"thread_id": "", "is_dm": 0, "priority": 0, "status": "pending", "attempts": 0},
    )
    db.table("outbox").create_index(["idempotency_key"], unique=True)
    db.table("outbox").create_index(["status", "next_attempt_at"])

    db.table("health_history").create(
        {
            "account_id": int,
            "at": float,
            "state": str,
            "equity": float,
            "ratio": float,
            "ratio_name": str,
            "maintenance_margin": float,
            "move_to_liquidation": float,
            "effective_leverage": float,
        },
        not_null={"account_id", "at", "state"},
    )
    db.table("health_history").create_index(["account_id", "at"])
    db.table("health_history").create_index(["at"])

    db.table("audit_log").create(
        {
            "id": int,
            "at": float,
            "actor_platform": str,
            "actor_id": str,
            "action": str,
            "community_id": str,
            "target": str,
            "detail": str,
        },
        pk="id",
        not_null={"at", "actor_platform", "actor_id", "action"},
    )
    db.table("audit_log").create_index(["actor_platform", "community_id", "at"])


# The feed_status words of m001 against the alert kinds the policy tells (m002 keeps the kinds).
_M002_FEED_TOLD = {
    "stale": "data_stale",
    "key_invalid": "key_invalid",
    "exchange_down": "exchange_down",
}


@migrations()
def m002_alert_state_one_record(db: Database) -> None:
    """alert_state holds records.AlertState field by field, the policy's own words.

    m001 kept half of the policy's state in a JSON ``details`` memo, named the rest differently
    (``stale``/``data_stale``, ``last_alert_at``/``told_at``, ``stale_polls``/``failed_polls``)
    and had columns nothing read (``since``, ``last_reminder_at``, ``feed_since``). Every row is
    carried over with what the policy read from it, plus the transition ``sequence`` that numbers
    each subscription's alerts from now on (the outbox key of every new alert).
    """
    import json

    rows = list(db.execute("select * from alert_state").fetchall())
    names = [d[0] for d in db.execute("select * from alert_state limit 0").description]
    db.execute("drop table alert_state")
    db.table("alert_state").create(
        {
            "subscription_id": int,
            "level": str,
            "told_level": str,
            "told_at": float,
            "failed_polls": int,
            "feed_told": str,  # NULL: no feed problem told
            "positions": str,  # JSON list of symbols
            "last_success_at": float,
            "sequence": int,
            "withheld": str,  # NULL: nothing held back
            "updated_at": float,
        },
        pk="subscription_id",
        not_null={"level", "told_level", "failed_polls", "positions", "sequence"},
        defaults={
            "level": "ok",
            "told_level": "ok",
            "failed_polls": 0,
            "positions": "[]",
            "sequence": 0,
        },
        foreign_keys=[("subscription_id", "subscriptions", "id")],
    )
    for values in rows:
        old = dict(zip(names, values, strict=True))
        details = json.loads(old["details"] or "{}")
        db.execute(
            "insert into alert_state (subscription_id, level, told_level, told_at, failed_polls, "
            "feed_told, positions, last_success_at, sequence, withheld, updated_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, 0, null, ?)",
            [
                old["subscription_id"],
                old["level"],
                details.get("told_level", "ok"),
                old["last_alert_at"],
                old["stale_polls"],
                _M002_FEED_TOLD.get(old["feed_status"]),
                old["last_positions"] or "[]",
                details.get("last_success_at"),
                old["updated_at"],
            ],
        )


@migrations()
def m003_outbox_send_token(db: Database) -> None:
    """Each outbox row remembers the send it first went out in (``send_token``).

    A resend after a crash repeats that send exactly: the same rows together, under the same
    token, which Discord takes as the message's nonce and so drops the copy itself.
    """
    db.execute("alter table outbox add column send_token text")
    db.table("outbox").create_index(["send_token"])


@migrations()
def m004_history_keeps_the_closest_pool(db: Database) -> None:
    """Each health sample keeps the pools judged on their own, not only the account's figures.

    ``worst_state`` is the worst venue state of the account and every pool (an isolated
    position, another coin's pool); ``closest_*`` name the pool closest to liquidation and keep
    its state, ratio and move, which charts and digests show. Existing rows keep what they had
    (the columns are empty: the account's own figures stand in for them). Columns only, no
    rewrite: a large history migrates in milliseconds.
    """
    table = db.table("health_history")
    for name, kind in (
        ("worst_state", str),
        ("closest_kind", str),
        ("closest_name", str),
        ("closest_side", str),
        ("closest_state", str),
        ("closest_ratio", float),
        ("closest_move", float),
    ):
        table.add_column(name, kind)


@migrations()
def m005_outbox_by_subscription(db: Database) -> None:
    """An index on ``outbox.subscription_id``, oldest first within it.

    ``/chart`` marks where alerts went out (``Outbox.for_subscription``), and removing a
    subscription deletes its rows: both scanned the whole outbox without it.
    """
    db.table("outbox").create_index(["subscription_id", "created_at"])
