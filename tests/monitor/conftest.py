"""Fixtures for monitor tests: a real SQLite store in tmp_path and a stepped clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.monitor.clock import ManualClock
from bot.store import Store, Vault, generate_key


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def vault() -> Vault:
    return Vault.from_strings([generate_key()])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "monitor.db"


@pytest.fixture
async def store(db_path: Path, vault: Vault) -> AsyncIterator[Store]:
    opened = await Store.open(db_path, vault)
    try:
        yield opened
    finally:
        await opened.close()
