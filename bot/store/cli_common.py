"""Shared bits of the `keys` and `db` commands: the --database option and error reporting."""

from __future__ import annotations

import argparse
import sys

from bot.store.connection import ENV_DATABASE, StoreError
from bot.store.vault import VaultError


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="FILE",
        help=f"SQLite database file (default: ${ENV_DATABASE})",
    )


def fail(message: str) -> int:
    """Print one clear sentence to stderr; exit status 1."""
    print(f"marginwatch: {message}", file=sys.stderr)
    return 1


KNOWN_ERRORS = (StoreError, VaultError)
