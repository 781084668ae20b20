"""`marginwatch db migrate|backup FILE`: update the schema; copy the database while it runs."""

from __future__ import annotations

import argparse
import os
import sqlite3
from pathlib import Path

from bot.store.cli_common import KNOWN_ERRORS, add_database_argument, fail
from bot.store.connection import (
    connect,
    create_private,
    database_path,
    describe_error,
    migrate,
    preflight,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    migrate_parser = actions.add_parser(
        "migrate",
        help="apply pending schema migrations and print what ran",
        description="Apply pending schema migrations (safe to repeat) and print what ran.",
    )
    add_database_argument(migrate_parser)
    backup = actions.add_parser(
        "backup",
        help="copy the database to FILE with SQLite's online backup (safe while running)",
        description=(
            "Copy the database to FILE with SQLite's online backup API; safe while the bot runs. "
            "Stored secrets stay encrypted: back up the master keys separately."
        ),
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy (must not exist)")
    add_database_argument(backup)


def run(args: argparse.Namespace) -> int:
    try:
        path = database_path(args.database)
        if args.db_action == "migrate":
            return _migrate(path)
        return _backup(path, Path(args.file))
    except KNOWN_ERRORS as exc:
        return fail(str(exc))


def _migrate(path: Path) -> int:
    preflight(path, None)
    db = connect(path)
    try:
        report = migrate(db)
    finally:
        db.close()
    if report.applied:
        for name in report.applied:
            print(f"applied {name}")
        print(f"database {path} is up to date ({len(report.applied)} migration(s) applied)")
    else:
        print(f"database {path} is already up to date ({len(report.already)} migration(s))")
    return 0


def _backup(path: Path, target: Path) -> int:
    if not path.is_file():
        return fail(f"the database {path} does not exist")
    if target.exists():
        return fail(f"{target} already exists; choose a new file name for the backup")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        return fail(f"cannot write the backup {target}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        return fail(f"cannot write the backup {target}: the folder {parent} is not writable")
    try:
        source = sqlite3.connect(str(path), timeout=5.0)
    except sqlite3.DatabaseError as exc:
        return fail(describe_error(path, exc))
    try:
        try:
            create_private(target)  # a copy of everything: as private as the database
            destination = sqlite3.connect(str(target))
        except (sqlite3.DatabaseError, OSError) as exc:
            return fail(f"cannot write the backup {target}: {exc}")
        try:
            source.backup(destination)
        except sqlite3.DatabaseError as exc:
            destination.close()
            target.unlink(missing_ok=True)
            return fail(describe_error(path, exc))
        destination.close()
    finally:
        source.close()
    print(f"backed up {path} to {target} ({target.stat().st_size} bytes)")
    return 0
