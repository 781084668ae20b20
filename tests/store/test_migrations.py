"""The schema comes from recorded, ordered migrations that can run any number of times."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from bot.store import Store, Vault
from bot.store.connection import connect, migrate
from bot.store.schema import MIGRATION_SET, migrations

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
