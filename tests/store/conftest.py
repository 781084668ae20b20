"""Fixtures for the store tests: real SQLite files in tmp_path, real master keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import AccountSecrets, Store, Vault, generate_key

# A recognisable secret: tests grep the database bytes for it.
KNOWN_SECRET = "S3cr3t-never-on-disk-7f1c2e9a"
KNOWN_API_KEY = "apikey-visible-only-to-ccxt-41d0"


def sample_secrets() -> AccountSecrets:
    return AccountSecrets(
        api_key=KNOWN_API_KEY, secret=KNOWN_SECRET, passphrase="pass-phrase-9", wallet_address=None
    )


@pytest.fixture
def key() -> str:
    return generate_key()


@pytest.fixture
def vault(key: str) -> Vault:
    return Vault.from_strings([key])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "marginwatch.db"


@pytest.fixture
async def store(db_path: Path, vault: Vault) -> AsyncIterator[Store]:
    opened = await Store.open(db_path, vault)
    try:
        yield opened
    finally:
        await opened.close()
