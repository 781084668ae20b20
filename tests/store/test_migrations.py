"""The schema comes from recorded, ordered migrations that can run any number of times."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from bot.monitor.policy import AlertRules, FeedFailure, Subject, evaluate
from bot.store import AlertState, HealthPoint, Store, Vault
from bot.store.connection import StoreError, connect, migrate
from bot.store.schema import MIGRATION_SET, migrations
from tests.monitor.healthbuilder import binance_futures_health

TABLES = {
    "users",
    "accounts",
    "subscriptions",
    "community_settings",
    "alert_state",
    "outbox",
    "health_history",
    "audit_log",
}


async def test_opening_a_new_file_creates_every_table_and_records_the_migrations(
    db_path: Path, vault: Vault
) -> None:
    store = await Store.open(db_path, vault)
    await store.close()
    db = Database(db_path)
    assert set(db.table_names()) >= TABLES
    recorded = [
        row["name"]
        for row in db.table("_sqlite_migrations").rows_where("migration_set = ?", [MIGRATION_SET])
    ]
    assert recorded == [m.name for m in migrations._migrations]
    db.close()


def test_migrate_twice_applies_nothing_the_second_time(db_path: Path) -> None:
    db = connect(db_path)
    first = migrate(db)
    second = migrate(db)
    db.close()
    assert first.applied == tuple(m.name for m in migrations._migrations)
    assert second.applied == ()
    assert second.already == first.applied


async def test_reopening_keeps_data_and_does_not_rerun_migrations(
    db_path: Path, vault: Vault
) -> None:
    store = await Store.open(db_path, vault)
    user = await store.ensure_user("telegram", "1001", now=1.0)
    await store.close()
    store = await Store.open(db_path, vault)
    assert await store.find_user("telegram", "1001") == user
    await store.close()
    count = sqlite3.connect(db_path).execute("select count(*) from _sqlite_migrations").fetchone()
    assert count == (len(migrations._migrations),)


async def test_connection_uses_wal_normal_sync_and_foreign_keys(
    db_path: Path, vault: Vault
) -> None:
    store = await Store.open(db_path, vault)
    pragmas = await store.read(
        lambda tx: (
            tx.db.execute("PRAGMA journal_mode").fetchone()[0],
            tx.db.execute("PRAGMA synchronous").fetchone()[0],
            tx.db.execute("PRAGMA foreign_keys").fetchone()[0],
            tx.db.execute("PRAGMA secure_delete").fetchone()[0],
        )
    )
    await store.close()
    # synchronous: 1 = NORMAL
    assert pragmas == ("wal", 1, 1, 1)


def _database_at_m001(path: Path) -> None:
    """A database as the first release left it: m001 only, one alerted subscription of each kind
    of old state (told a level, told a stale feed, never told anything) and queued alerts."""
    db = connect(path)
    migrations.apply(db, stop_before="m002_alert_state_one_record")
    db.execute(
        "insert into users (id, platform, platform_user_id, created_at) "
        "values (1, 'telegram', '42', 1.0)"
    )
    for account_id in (1, 2, 3):
        db.execute(
            "insert into accounts (id, owner_id, venue, label, status, consecutive_failures, "
            "created_at) values (?, 1, 'kraken', ?, 'active', 0, 1.0)",
            [account_id, f"a{account_id}"],
        )
        db.execute(
            "insert into subscriptions (id, account_id, platform, chat_id, is_dm, created_at) "
            "values (?, ?, 'telegram', '42', 1, 1.0)",
            [account_id, account_id],
        )
    old = (
        "insert into alert_state (subscription_id, level, since, last_alert_at, last_reminder_at, "
        "last_positions, feed_status, feed_since, stale_polls, details, updated_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    db.execute(
        old,
        [
            1,
            "margin_call",
            100.0,
            160.0,
            160.0,
            '["BTC/USD"]',
            "ok",
            None,
            0,
            '{"told_level":"margin_call","last_success_at":170.0}',
            170.0,
        ],
    )
    db.execute(
        old,
        [
            2,
            "watch",
            50.0,
            60.0,
            None,
            "[]",
            "stale",
            150.0,
            4,
            '{"told_level":"watch","last_success_at":90.0}',
            180.0,
        ],
    )
    db.execute(old, [3, "ok", None, None, None, "[]", "ok", None, 0, "{}", 5.0])
    db.execute(
        "insert into outbox (idempotency_key, subscription_id, platform, chat_id, is_dm, "
        "payload, status, created_at, attempts, next_attempt_at) "
        "values ('sub1:escalation:ok>margin_call:0', 1, 'telegram', '42', 1, '{}', 'pending', "
        "160.0, 0, 160.0)"
    )
    db.close()


async def test_an_m001_database_migrates_keeping_every_subscriptions_alert_state(
    db_path: Path, vault: Vault
) -> None:
    _database_at_m001(db_path)
    store = await Store.open(db_path, vault)
    states = {s.subscription_id: s for s in await store.read(lambda tx: tx.alerts.all())}
    pending = await store.outbox_depth()
    await store.close()
    assert states == {
        1: AlertState(
            1, "margin_call", "margin_call", 160.0, 0, None, ("BTC/USD",), 170.0, 0, None, 170.0
        ),
        2: AlertState(2, "watch", "watch", 60.0, 4, "data_stale", (), 90.0, 0, None, 180.0),
        3: AlertState(3, "ok", "ok", None, 0, None, (), None, 0, None, 5.0),
    }
    assert pending == 1  # the alert queued before the upgrade is still there


async def test_the_migrated_state_is_judged_as_before_nothing_is_told_again(
    db_path: Path, vault: Vault
) -> None:
    _database_at_m001(db_path)
    store = await Store.open(db_path, vault)
    told = await store.alert_state(1)
    stale = await store.alert_state(2)
    await store.close()
    # Still told margin call 160 s ago: no reminder before 30 minutes, no new escalation.
    again = evaluate(
        told,
        binance_futures_health(0.85, symbols=("BTC/USD",)),
        AlertRules(),
        Subject(1, "a1", "kraken"),
        200.0,
    )
    assert again.events == ()
    # Told "stale" already: another failure is not told twice; the next good read says so once.
    assert (
        evaluate(
            stale, FeedFailure("rate_limited"), AlertRules(), Subject(2, "a2", "kraken"), 200.0
        ).events
        == ()
    )


def test_a_migration_killed_halfway_leaves_the_old_schema_whole(db_path: Path) -> None:
    _database_at_m001(db_path)
    db = connect(db_path)
    m002 = next(m for m in migrations._migrations if m.name == "m002_alert_state_one_record")
    body = m002.fn

    def failing(database: Database) -> None:
        body(database)
        raise sqlite3.OperationalError("disk I/O error")

    m002.fn = failing
    try:
        with contextlib.suppress(StoreError):
            migrate(db)
        columns = {c.name for c in db.table("alert_state").columns}
        assert "details" in columns and "sequence" not in columns
        assert db.execute("select count(*) from alert_state").fetchone()[0] == 3
    finally:
        m002.fn = body
        db.close()


def _database_at_m003(path: Path) -> None:
    """A database before m004: health samples with the account's own figures only."""
    db = connect(path)
    migrations.apply(db, stop_before="m004_history_keeps_the_closest_pool")
    db.execute(
        "insert into users (id, platform, platform_user_id, created_at) "
        "values (1, 'telegram', '42', 1.0)"
    )
    db.execute(
        "insert into accounts (id, owner_id, venue, label, status, consecutive_failures, "
        "created_at) values (1, 1, 'hyperliquid', 'perps', 'active', 0, 1.0)"
    )
    for at, state, move in ((100.0, "ok", -0.2), (200.0, "warning", -0.08)):
        db.execute(
            "insert into health_history (account_id, at, state, equity, ratio, ratio_name, "
            "maintenance_margin, move_to_liquidation, effective_leverage) "
            "values (1, ?, ?, 1000.0, 0.3, 'maintenance_ratio', 300.0, ?, 4.0)",
            [at, state, move],
        )
    db.close()


async def test_an_m003_history_migrates_and_its_samples_read_as_the_accounts_own(
    db_path: Path, vault: Vault
) -> None:
    _database_at_m003(db_path)
    store = await Store.open(db_path, vault)
    old = await store.read(lambda tx: tx.history.series(1))
    assert [(p.at, p.state, p.move_to_liquidation) for p in old] == [
        (100.0, "ok", -0.2),
        (200.0, "warning", -0.08),
    ]
    # Nothing was kept of any pool then: the account's own figures stand in.
    assert all(p.closest_kind is None and p.worst_state is None for p in old)
    assert [(p.level_state, p.nearest_move, p.nearest_ratio) for p in old] == [
        ("ok", -0.2, 0.3),
        ("warning", -0.08, 0.3),
    ]
    # New samples keep the pool nearest liquidation beside them.
    new = HealthPoint(
        account_id=1,
        at=300.0,
        state="ok",
        ratio=0.0,
        worst_state="liquidation",
        closest_kind="isolated",
        closest_name="ETH/USDC:USDC",
        closest_side="long",
        closest_state="liquidation",
        closest_ratio=1.2,
        closest_move=0.0,
    )
    await store.run(lambda tx: tx.history.add(new))
    assert await store.read(lambda tx: tx.history.latest(1)) == new
    await store.close()
    db = Database(db_path)
    columns = {c.name for c in db.table("health_history").columns}
    db.close()
    assert {"worst_state", "closest_kind", "closest_move"} <= columns


def test_m005_indexes_the_outbox_by_subscription_and_keeps_the_rows(db_path: Path) -> None:
    # /chart's alert markers (Outbox.for_subscription) read the whole outbox before m005.
    db = connect(db_path)
    migrations.apply(db, stop_before="m005_outbox_by_subscription")
    for n in range(3):
        db.execute(
            "insert into outbox (idempotency_key, subscription_id, platform, chat_id, is_dm, "
            "payload, status, created_at, attempts, next_attempt_at, send_token) "
            "values (?, ?, 'telegram', '42', 1, '{}', 'delivered', ?, 1, 0.0, null)",
            [f"sub{n % 2}:{n}:escalation", n % 2, float(n)],
        )
    query = (
        "select * from outbox where subscription_id = ? and created_at >= ? "
        "and status = 'delivered' order by created_at, id"
    )

    def plan() -> str:
        return " ".join(row[-1] for row in db.execute(f"explain query plan {query}", [1, 0.0]))

    # Before: every delivered row of every chat read (by the status index) and sorted.
    assert "subscription_id" not in plan() and "TEMP B-TREE" in plan()
    report = migrate(db)
    assert report.applied == ("m005_outbox_by_subscription",)
    assert "USING INDEX idx_outbox_subscription_id_created_at (subscription_id=?" in plan()
    assert [r[0] for r in db.execute(query, [0, 0.0])] == [1, 3]  # ids; every row kept
    assert migrate(db).applied == ()
    db.close()
