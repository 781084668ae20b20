"""The fake Discord is faithful enough for a real discord.py client: login, READY, slash command."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from tests.fakes.discord_api import FakeDiscord, slash_payload


async def test_real_client_logs_in_gets_guild_and_answers_a_slash_command(
    fake_discord: FakeDiscord,
) -> None:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Answer pong.")
    async def ping(interaction: discord.Interaction, word: str) -> None:
        await interaction.response.send_message(f"pong {word}", ephemeral=True)

    async with client:
        task = asyncio.create_task(client.start("fake-token"))
        await asyncio.wait_for(client.wait_until_ready(), 5)
        guild = fake_discord.guilds[0]
        assert [g.name for g in client.guilds] == ["Traders"]
        assert client.get_guild(guild.guild_id).get_channel(guild.channel("alerts")) is not None
        assert fake_discord.token_seen == "Bot fake-token"

        payload = slash_payload("ping", {"word": "hi"}, member=guild.member("alice"), guild=guild)
        [callback] = await fake_discord.answer(payload)
        assert callback.path.endswith("/callback")
        assert callback.body["type"] == 4
        assert callback.content == "pong hi"
        assert callback.ephemeral
        await client.close()
        await task


async def test_channel_send_retries_after_429_and_raises_forbidden_on_403(
    fake_discord: FakeDiscord,
) -> None:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    async with client:
        task = asyncio.create_task(client.start("fake-token"))
        await asyncio.wait_for(client.wait_until_ready(), 5)
        guild = fake_discord.guilds[0]
        channel = client.get_channel(guild.channel("alerts"))
        assert isinstance(channel, discord.TextChannel)

        fake_discord.fail_next("POST", r"/channels/\d+/messages", 429, retry_after=0.05)
        message = await channel.send("after a pause")
        assert message.content == "after a pause"
        statuses = [r.status for r in fake_discord.find("POST", r"/channels/\d+/messages")]
        assert statuses == [429, 200]

        fake_discord.fail_next("POST", r"/channels/\d+/messages", 403)
        try:
            await channel.send("nobody hears this")
        except discord.Forbidden as exc:
            assert exc.code == 50001
        else:
            raise AssertionError("a 403 must surface as discord.Forbidden")

        removed: asyncio.Future[discord.Guild] = asyncio.get_running_loop().create_future()
        client.event(_set_on_remove(removed))
        await fake_discord.remove_from_guild(guild)
        gone = await asyncio.wait_for(removed, 5)
        assert gone.id == guild.guild_id
        await client.close()
        await task


def _set_on_remove(future: asyncio.Future[discord.Guild]):  # type: ignore[no-untyped-def]
    async def on_guild_remove(guild: discord.Guild) -> None:
        future.set_result(guild)

    return on_guild_remove


async def test_a_rejected_token_ends_the_front_end_with_login_failure(
    fake_discord: FakeDiscord,
) -> None:
    """The composition root supervises run(): a bad token must end it, not hang."""
    from bot.chat.discord.frontend import DiscordFrontEnd

    fake_discord.fail_next("GET", r"^/users/@me$", 401)
    front = DiscordFrontEnd(object(), "revoked-token")
    try:
        await asyncio.wait_for(front.run(), 5)
    except discord.LoginFailure as exc:
        assert "revoked-token" not in str(exc)
    else:
        raise AssertionError("a 401 at login must raise LoginFailure")
    assert front.client.is_closed()
    assert "revoked-token" not in repr(front)


async def test_the_fake_keeps_discords_nonce_rules(fake_discord: FakeDiscord) -> None:
    # Create Message: enforce_nonce makes a repeated nonce answer with the first message; without
    # it every request creates one; a nonce over 25 characters is refused.
    import aiohttp

    channel = fake_discord.guilds[0].channel("alerts")
    url = f"{fake_discord.base_url}/channels/{channel}/messages"
    async with aiohttp.ClientSession() as http:

        async def post(body: dict[str, object]) -> tuple[int, dict[str, object]]:
            async with http.post(url, json=body) as response:
                return response.status, await response.json()

        status, first = await post({"content": "a", "nonce": "n-1", "enforce_nonce": True})
        again_status, again = await post({"content": "a", "nonce": "n-1", "enforce_nonce": True})
        assert status == again_status == 200 and again["id"] == first["id"]
        _, loose = await post({"content": "a", "nonce": "n-1"})
        assert loose["id"] != first["id"]
        too_long, error = await post({"content": "a", "nonce": "x" * 26, "enforce_nonce": True})
        assert too_long == 400 and error["code"] == 50035
    assert len(fake_discord.channel_messages(channel)) == 2
    assert fake_discord.nonce_repeats == 1
