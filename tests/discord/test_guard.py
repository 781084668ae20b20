"""A key pasted into a server channel is deleted and its author warned (opt-in intent)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.chat.discord.frontend import DiscordFrontEnd, MemoryStamp
from bot.core import texts
from tests.discord.conftest import TOKEN, RecordingCore
from tests.fakes.discord_api import FakeDiscord

PASTED = "here you go: api key Xk29sLq0PzT7vBn3Mw8RyU1e secret 9fJd0QpLmZ3xW7vB2nT8sK4h"


@pytest.fixture
async def guarded(fake_discord: FakeDiscord) -> AsyncIterator[DiscordFrontEnd]:
    front = DiscordFrontEnd(
        RecordingCore(),
        TOKEN,
        stamp=MemoryStamp(),
        guard_keys=True,
        client_options={"guild_ready_timeout": 0.05},
    )
    task = front.start()
    await front.wait_ready(5)
    yield front
    await front.stop()
    await asyncio.wait_for(task, 5)


async def test_a_pasted_key_is_deleted_and_its_author_warned(
    guarded: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    channel = guild.channel("general")
    pasted = await fake_discord.post(guild, "general", alice, PASTED)

    [deleted] = await fake_discord.wait_for("DELETE", rf"^/channels/{channel}/messages/\d+$")
    assert deleted.path.endswith(f"/{pasted['id']}")
    [warning] = await fake_discord.wait_for("POST", rf"^/channels/{channel}/messages$")
    expected = texts.KEY_IN_GROUP_DELETED.format(member=f"<@{alice.user_id}>")
    assert warning.body["content"] == expected
    assert "Xk29sLq0" not in repr(warning.body)
    assert guarded.client.intents.message_content


async def test_ordinary_chat_is_left_alone_and_the_intent_is_off_by_default(
    guarded: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    guild = fake_discord.guilds[0]
    channel = guild.channel("general")
    ordinary = await fake_discord.post(
        guild,
        "general",
        guild.member("alice"),
        "BTC looks weak, my margin ratio is 41 % on binanceusdm",
    )
    # The gateway delivers in order: once a later pasted key is dealt with, so is the chat.
    pasted = await fake_discord.post(guild, "general", guild.member("deskmod"), PASTED)
    await fake_discord.wait_for("POST", rf"^/channels/{channel}/messages$")
    [deleted] = fake_discord.find("DELETE", r"/messages/")
    assert deleted.path.endswith(f"/{pasted['id']}") and ordinary["id"] != pasted["id"]
    [warning] = fake_discord.find("POST", r"^/channels/\d+/messages$")  # about the key only
    pasted_by = f"<@{guild.member('deskmod').user_id}>"
    assert warning.body["content"] == texts.KEY_IN_GROUP_DELETED.format(member=pasted_by)
    assert not DiscordFrontEnd(RecordingCore(), TOKEN).client.intents.message_content
