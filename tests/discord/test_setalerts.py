"""`/margin-admin setalerts channel:` takes only a channel of the server it is typed in.

Real parts: discord.py on the fake Discord (which serves two servers to the bot), the real core
and store. Discord's picker offers the server's own channels, but nothing in an interaction's
data enforces that: the bot checks which server the channel belongs to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.chat.discord.frontend import DiscordFrontEnd
from bot.core import texts
from bot.monitor.scheduler import Monitor
from bot.store import Store
from tests.discord.test_end_to_end import _text
from tests.discord.test_end_to_end import sim as sim
from tests.discord.test_end_to_end import world as world
from tests.fakes.discord_api import (
    ChannelRef,
    FakeDiscord,
    make_guild,
    redirect_discord,
    slash_payload,
    snowflake,
)
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import hub as hub
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord([make_guild("Traders"), make_guild("Elsewhere")]) as fake:
        with redirect_discord(fake):
            yield fake


async def test_a_channel_of_another_server_or_none_at_all_is_refused(
    world: tuple[DiscordFrontEnd, Monitor], fake_discord: FakeDiscord, store: Store
) -> None:
    traders, elsewhere = fake_discord.guilds
    owner = traders.member("owner")

    async def setalerts(channel: ChannelRef) -> str:
        payload = slash_payload(
            "margin-admin setalerts", {"channel": channel}, member=owner, guild=traders
        )
        [answer] = await fake_discord.answer(payload)
        assert answer.ephemeral
        return _text(answer)

    async def alert_channel() -> str | None:
        settings = await store.read(lambda tx: tx.communities.get("discord", str(traders.guild_id)))
        return settings.alert_channel_id

    # A channel of the other server, as a forged or confused interaction would carry it.
    foreign = ChannelRef(elsewhere, elsewhere.channel("alerts"))
    assert texts.SETALERTS_OTHER_COMMUNITY in await setalerts(foreign)
    # A channel deleted since the option was filled: neither cached nor known to Discord.
    gone = snowflake()
    traders.channels["gone"] = gone
    payload = slash_payload(
        "margin-admin setalerts",
        {"channel": ChannelRef(traders, gone)},
        member=owner,
        guild=traders,
    )
    del traders.channels["gone"]
    [answer] = await fake_discord.answer(payload)
    assert texts.SETALERTS_NOT_FOUND in _text(answer) and str(gone) not in _text(answer)
    assert await alert_channel() is None

    own = traders.channel("alerts")
    done = await setalerts(ChannelRef(traders, own))
    assert f"<#{own}>" in done and texts.SETALERTS_DONE.split("{")[0] in done
    assert await alert_channel() == str(own)
