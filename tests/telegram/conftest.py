"""Fixtures for the Telegram tests: the fake Bot API, over HTTP or in process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.telegram_api import FakeTelegramAPI, FakeTelegramServer


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramAPI]:
    """A fake Bot API served on 127.0.0.1; fails the test if the bot called an unknown method."""
    async with FakeTelegramServer() as api:
        yield api
    assert not api.unknown_methods, f"bot called methods the fake lacks: {api.unknown_methods}"


@pytest.fixture
def offline_api() -> FakeTelegramAPI:
    """The same fake for handler tests, reached through InProcessRequest (no socket at all)."""
    return FakeTelegramAPI()
