"""Fixtures for the Discord front end: the fake Discord and a real discord.py client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.discord_api import FakeDiscord, make_guild, redirect_discord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord([make_guild("Traders")]) as fake:
        with redirect_discord(fake):
            yield fake
