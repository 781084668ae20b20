"""Opening the SQLite file: a pre-flight check that touches nothing, pragmas, migrations."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from bot.store.schema import migrations
from bot.store.vault import (
    MasterKeyMismatch,
    MasterKeyMissing,
    Vault,
    VaultError,
    associated_data,
)

ENV_DATABASE = "MARGINWATCH_DATABASE"
BUSY_TIMEOUT_SECONDS = 5.0


class StoreError(Exception):
    """The database cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class MigrationReport:
    applied: tuple[str, ...]  # names that ran now, in order
    already: tuple[str, ...]  # names that had run before


def database_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`--database`, else MARGINWATCH_DATABASE; a clear error when neither is set."""
    value = cli_value or os.environ.get(ENV_DATABASE, "")
    if not value:
        raise StoreError(f"no database given: pass --database FILE or set {ENV_DATABASE}")
    return Path(value)


def preflight(path: Path, vault: Vault | None) -> None:
    """Refuse to open a database whose credentials the configured keys cannot decrypt.

    Runs on a read-only connection before anything writes, so a wrong or missing key leaves the
    file byte-identical (no WAL switch, no migration, no journal). `vault=None` checks only that
    the path is usable (for commands that never decrypt, such as migrate and backup).
    """
    if not path.exists():
        _check_creatable(path)
        return
    if path.is_dir():
        raise StoreError(f"the database path {path} is a directory, not a file")
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the database {path}: {exc}") from None
    try:
        try:
            has_accounts = conn.execute(
                "select 1 from sqlite_master where type = 'table' and name = 'accounts'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(_describe(path, exc)) from None
        if not has_accounts or vault is None:
            return
        rows = conn.execute(
            "select id, owner_id, venue, credentials from accounts where credentials is not null"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreError(_describe(path, exc)) from None
    finally:
        conn.close()
    if rows and vault is not None:
        _check_keys_open_credentials(rows, vault)


def _check_keys_open_credentials(rows: list[tuple[int, int, str, bytes]], vault: Vault) -> None:
    """Every master key the stored blobs name must be configured and must really open one."""
    if not vault.has_keys():
        raise MasterKeyMissing(
            f"the database holds encrypted credentials for {len(rows)} account(s) but no master "
            "key is configured: set MARGINWATCH_MASTER_KEYS or MARGINWATCH_MASTER_KEYS_FILE to "
            "the key(s) it was encrypted with; nothing was changed"
        )
    by_key: dict[str, list[tuple[int, int, str, bytes]]] = {}
    for row in rows:
        by_key.setdefault(vault.blob_key_id(bytes(row[3])), []).append(row)
    missing = sorted(key_id for key_id in by_key if key_id not in vault.key_ids)
    unopened = sorted(
        key_id
        for key_id, blobs in by_key.items()
        if key_id not in missing and not any(_opens(vault, row) for row in blobs)
    )
    if missing or unopened:
        raise MasterKeyMismatch(
            f"the configured master keys ({', '.join(vault.key_ids)}) cannot decrypt the stored "
            f"credentials, which need key(s) {', '.join(missing + unopened)}: wrong or missing "
            "master key; nothing was changed"
        )


def _opens(vault: Vault, row: tuple[int, int, str, bytes]) -> bool:
    account_id, owner_id, venue, blob = row
    try:
        vault.decrypt(bytes(blob), associated_data(account_id, owner_id, venue))
    except VaultError:
        # One altered or moved blob is that account's problem (reported when it is polled),
        # not proof of a wrong key; another blob under the same key may open.
        return False
    return True


def create_private(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only (0600), if it is new.

    SQLite creates a database with the umask's mode (world-readable under the usual 022) and
    gives its -wal and -shm files the database's own mode, so making the file first is enough.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def connect(path: Path, *, timeout: float | None = None) -> Database:
    """Open the one read-write connection: WAL, synchronous=NORMAL, foreign keys, secure delete.

    A new database file is created private to its owner (:func:`create_private`)."""
    busy = BUSY_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        if str(path) != ":memory:":
            create_private(path)
        # isolation_level=None: transactions are explicit (see `transaction`), never implicit.
        conn = sqlite3.connect(str(path), timeout=busy, isolation_level=None)
        db = Database(conn, execute_plugins=False)
        db.enable_wal()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (purged credentials, a user's data) are overwritten, not left in free pages.
        db.execute("PRAGMA secure_delete=ON")
    except sqlite3.DatabaseError as exc:
        raise StoreError(_describe(path, exc)) from None
    except OSError as exc:
        raise StoreError(f"cannot create the database {path}: {exc.strerror or exc}") from None
    return db


def migrate(db: Database) -> MigrationReport:
    """Apply pending migrations; safe to run any number of times."""
    already = tuple(m.name for m in migrations.applied(db))
    try:
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"migration failed: {_describe(_db_path(db), exc)}") from None
    now = tuple(m.name for m in migrations.applied(db))
    return MigrationReport(applied=tuple(n for n in now if n not in already), already=already)


def pending_migrations(db: Database) -> tuple[str, ...]:
    return tuple(m.name for m in migrations.pending(db))


@contextlib.contextmanager
def transaction(db: Database, *, write: bool = True) -> Iterator[Database]:
    """One transaction; writers BEGIN IMMEDIATE so a lock is never upgraded mid-way (deadlock)."""
    db.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    else:
        db.conn.commit()


def _read_only_uri(path: Path) -> str:
    """A URI that reads `path` without creating anything next to it.

    Without a -wal file everything is in the main file, so `immutable=1` reads it with no
    -wal/-shm files created; with one (another process has it open), a normal read-only open
    sees that process's committed data.
    """
    uri = path.resolve().as_uri()
    if path.with_name(path.name + "-wal").exists():
        return f"{uri}?mode=ro"
    return f"{uri}?mode=ro&immutable=1"


def _db_path(db: Database) -> Path:
    row = db.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else Path(":memory:")


def _check_creatable(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise StoreError(f"cannot create the database {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot create the database {path}: the folder {parent} is not writable")


def describe_error(path: Path, exc: sqlite3.Error) -> str:
    """One sentence for an sqlite3 error on `path` (locked, read-only, not a database…)."""
    return _describe(path, exc)


def _describe(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another process; try again when it is done"
    if "full" in text:
        return (
            f"the disk holding the database {path} is full (or the database reached its "
            "size limit): free some space; the change that failed was not saved"
        )
    if "readonly" in text or "unable to open" in text or "attempt to write" in text:
        return f"the database {path} cannot be written: check the path and its permissions"
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a marginwatch database (or it is damaged): {text}"
    return f"the database {path} cannot be used: {text}"
