"""`marginwatch keys new|rotate`: make a master key; re-encrypt stored secrets under the newest."""

from __future__ import annotations

import argparse
import sqlite3

from bot.store.cli_common import KNOWN_ERRORS, add_database_argument, fail
from bot.store.connection import database_path, describe_error, transaction
from bot.store.store import open_database
from bot.store.tx import Tx
from bot.store.vault import ENV_KEYS, ENV_KEYS_FILE, MasterKeyMissing, Vault, generate_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    actions.add_parser(
        "new",
        help="print a fresh master key (the last line of output is the key alone)",
        description="Print a fresh master key. The last line of the output is the key alone.",
    )
    rotate = actions.add_parser(
        "rotate",
        help="re-encrypt every stored secret under the newest master key",
        description=(
            f"Re-encrypt every stored secret under the first key of {ENV_KEYS} (or the first "
            f"line of {ENV_KEYS_FILE}). Keep the older keys listed after it until this is done."
        ),
    )
    add_database_argument(rotate)


def run(args: argparse.Namespace) -> int:
    if args.keys_action == "new":
        return _new()
    return _rotate(args)


def _new() -> int:
    print(
        f"# A new master key. Put it FIRST in {ENV_KEYS} (comma-separated, newest first) or in\n"
        f"# the file named by {ENV_KEYS_FILE}, keep the older keys after it, then run\n"
        "# `marginwatch keys rotate`. Store a copy apart from the database backups:\n"
        "# without it the stored exchange keys cannot be read."
    )
    print(generate_key())
    return 0


def _rotate(args: argparse.Namespace) -> int:
    try:
        path = database_path(args.database)
        # The composition root (bot/cli.py) passes what Settings resolved, secrets directory
        # included; called directly, the process environment is read.
        vault = Vault.from_environment(getattr(args, "vault_environ", None))
        if not vault.has_keys():
            raise MasterKeyMissing(
                f"no master key is configured: set {ENV_KEYS} or {ENV_KEYS_FILE} "
                "(newest key first) before rotating"
            )
        if not path.exists():
            return fail(f"the database {path} does not exist")
        db = open_database(path, vault)
        try:
            with transaction(db):
                tx = Tx(db, vault)
                checked = tx.accounts.verify_all_credentials()
                changed = tx.accounts.rotate_credentials()
        except sqlite3.DatabaseError as exc:
            return fail(describe_error(path, exc))
        finally:
            db.close()
    except KNOWN_ERRORS as exc:
        return fail(str(exc))
    newest = vault.newest_key_id
    print(
        f"re-encrypted {changed} of {checked} stored credential(s) under key {newest}; "
        "older keys are no longer needed by this database"
    )
    return 0
