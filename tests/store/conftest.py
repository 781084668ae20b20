"""Fixtures for the store tests: real SQLite files in tmp_path, real master keys."""

from __future__ import annotations

from bot.store import AccountSecrets
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault

# A recognisable secret: tests grep the database bytes for it.
KNOWN_SECRET = "S3cr3t-never-on-disk-7f1c2e9a"
KNOWN_API_KEY = "apikey-visible-only-to-ccxt-41d0"


def sample_secrets() -> AccountSecrets:
    return AccountSecrets(
        api_key=KNOWN_API_KEY, secret=KNOWN_SECRET, passphrase="pass-phrase-9", wallet_address=None
    )
