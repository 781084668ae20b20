"""A command from an older command list (a client's cache after an upgrade) gets a clear answer
and a resync, logged at INFO with no traceback: never "something went wrong"."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.chat.discord.commands import build_groups, schema_hash
from bot.chat.discord.frontend import DiscordFrontEnd, MemoryStamp
from bot.core import texts
from tests.discord.conftest import TOKEN, RecordingCore
from tests.fakes.discord_api import FakeDiscord, autocomplete_payload, slash_payload


def _current_hash() -> str:
    front = DiscordFrontEnd(RecordingCore(), TOKEN)
    for group in build_groups(front):
        front.client.tree.add_command(group)
    return schema_hash(front.client.tree)


@pytest.fixture
async def synced_front(
    fake_discord: FakeDiscord, core: RecordingCore
) -> AsyncIterator[DiscordFrontEnd]:
    """A front end whose stamp says Discord already has this schema (no sync at start), as
    after a restart; users' clients may still hold an older list."""
    front = DiscordFrontEnd(
        core,
        TOKEN,
        stamp=MemoryStamp(_current_hash()),
        client_options={"guild_ready_timeout": 0.05},
    )
    task = front.start()
    await front.wait_ready(5)
    yield front
    await front.stop()
    await asyncio.wait_for(task, 5)


async def _puts(fake: FakeDiscord, count: int) -> None:
    for _ in range(200):
        if fake.command_puts >= count:
            return
        await asyncio.sleep(0.01)


async def test_an_unknown_command_is_told_the_list_changed_and_the_commands_are_resynced(
    synced_front: DiscordFrontEnd,
    fake_discord: FakeDiscord,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    assert fake_discord.command_puts == 0  # the stamp matched: nothing pushed at start
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")

    stale = slash_payload("margin portfolio", {"days": 3}, member=alice, guild=guild)
    [reply] = await fake_discord.answer(stale)
    assert reply.body["type"] == 4 and reply.ephemeral
    embed = reply.message["embeds"][0]
    assert embed["title"] == texts.STALE_COMMAND_TITLE
    assert "older version of my command list" in embed["description"]
    assert "`/margin help`" in embed["description"]  # Discord's spelling
    assert texts.ERROR_INTERNAL not in repr(reply.body)
    await _puts(fake_discord, 1)
    assert fake_discord.command_puts == 1  # resynced once
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    for _ in range(200):  # the resync's own line comes once Discord answered the PUT
        told = [r for r in caplog.records if "stale command" in r.getMessage()]
        if len(told) == 2:
            break
        await asyncio.sleep(0.01)
    assert [r.levelno for r in told] == [logging.INFO, logging.INFO]  # told, then resynced
    assert all(r.exc_info is None for r in told)
    assert "/margin portfolio" in told[0].getMessage()
    assert not core.calls  # nothing reached core

    # A second stale command soon after: answered the same, no second push.
    again = slash_payload("margin-admin purge", member=guild.member("owner"), guild=guild)
    [reply] = await fake_discord.answer(again)
    assert reply.message["embeds"][0]["title"] == texts.STALE_COMMAND_TITLE
    await asyncio.gather(*synced_front._background)  # its resync attempt has run
    assert fake_discord.command_puts == 1


async def test_a_known_command_with_options_it_no_longer_has_is_stale_too(
    synced_front: DiscordFrontEnd,
    fake_discord: FakeDiscord,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guild = fake_discord.guilds[0]
    # /margin unlink requires "account" now; an old client sends it without.
    old = slash_payload(
        "margin unlink", {"really": True}, member=guild.member("alice"), guild=guild
    )
    [reply] = await fake_discord.answer(old)
    assert reply.message["embeds"][0]["title"] == texts.STALE_COMMAND_TITLE
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [c for c in core.calls if c.usecase == "unlink"]


async def test_autocomplete_for_a_stale_command_gets_no_suggestions_and_no_error(
    synced_front: DiscordFrontEnd, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    guild = fake_discord.guilds[0]
    payload = autocomplete_payload(
        "margin portfolio", {"account": "ma"}, "account", member=guild.member("alice"), guild=guild
    )
    [reply] = await fake_discord.answer(payload)
    assert reply.body["type"] == 8 and reply.body["data"]["choices"] == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
