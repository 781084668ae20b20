"""A locked database and a full disk: a clear error, nothing half-written, and no corruption
(``PRAGMA integrity_check``). The full disk is SQLite's own size limit (``PRAGMA
max_page_count`` on the store's connection), which fails writes exactly as a full filesystem
does (SQLITE_FULL) without needing a loop device or root."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import (
    AccountSecrets,
    Destination,
    NewMessage,
    Store,
    StoreError,
    Vault,
    generate_key,
)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


async def owner_with_account(store: Store) -> int:
    user = await store.ensure_user("console", "1", now=0.0)
    account = await store.add_account(
        user.id, "kraken", "main", AccountSecrets(api_key="k", secret="s"), now=0.0
    )
    return account.id


async def test_a_database_locked_by_another_process_is_a_clear_error_and_then_works(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    store = await Store.open(path, Vault.from_strings([generate_key()]))
    try:
        account_id = await owner_with_account(store)
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # e.g. a backup or a second bot on the same file
        try:
            with pytest.raises(StoreError) as locked:
                await store.schedule_poll(account_id, 123.0)
            assert "locked by another process" in str(locked.value)
            # Reads still work meanwhile (WAL), and see the last committed state.
            found = await store.get_account(account_id)
            assert found is not None and found.next_poll_at != 123.0
        finally:
            other.rollback()
            other.close()
        await store.schedule_poll(account_id, 123.0)  # the same write works once it is free
        found = await store.get_account(account_id)
        assert found is not None and found.next_poll_at == 123.0
    finally:
        await store.close()
    assert integrity(path) == "ok"


async def test_opening_a_database_another_process_holds_is_refused_in_one_sentence(
    tmp_path: Path,
) -> None:
    path = tmp_path / "held.db"
    vault = Vault.from_strings([generate_key()])
    await (await Store.open(path, vault)).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as held:
            await Store.open(path, vault)
        assert "locked by another process" in str(held.value)
    finally:
        other.rollback()
        other.close()
    assert integrity(path) == "ok"


async def test_a_full_disk_fails_the_write_whole_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    store = await Store.open(path, Vault.from_strings([generate_key()]))
    try:
        account_id = await owner_with_account(store)
        pages = await store.read(lambda tx: tx.db.execute("PRAGMA page_count").fetchone()[0])
        await store.run(lambda tx: tx.db.execute(f"PRAGMA max_page_count = {pages + 2}"))
        where = Destination("console", "1", is_dm=True)
        big = {"title": "x" * 20_000}

        def fill(tx: object) -> None:  # one transaction far larger than what is left
            for n in range(50):
                tx.outbox.enqueue(NewMessage(f"k{n}", where, big), now=0.0)  # type: ignore[attr-defined]

        with pytest.raises(StoreError) as full:
            await store.run(fill)
        assert "full" in str(full.value)
        assert await store.outbox_depth() == 0  # all or nothing: no half of the batch
        # Small writes that fit still work, and nothing stored before was touched.
        await store.schedule_poll(account_id, 5.0)
        assert (await store.account_credentials(account_id)).api_key == "k"
        await store.run(lambda tx: tx.db.execute("PRAGMA max_page_count = 1073741823"))
        await store.run(fill)  # space again: the same batch goes in whole
        assert await store.outbox_depth() == 50
    finally:
        await store.close()
    assert integrity(path) == "ok"
