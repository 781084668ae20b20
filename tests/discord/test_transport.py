"""Outbox delivery to Discord: DMs, alert channels, role mentions, pace and failures."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat.discord import transport as transport_module
from bot.chat.discord.frontend import DiscordFrontEnd
from bot.chat.discord.render import SEVERITY_COLOURS
from bot.chat.discord.transport import DiscordTransport, Pace
from bot.core.delivery import DeliveryRetry, DestinationGone
from bot.core.messages import Field, message
from bot.store.records import Destination
from tests.fakes.discord_api import FakeDiscord

SUPPRESS_NOTIFICATIONS = 1 << 12


def _alert(severity: str = "critical", *, mention: bool = False):  # type: ignore[no-untyped-def]
    return message(
        "main: CRITICAL — close to liquidation",
        severity,  # type: ignore[arg-type]
        lines=("A 3.1 % fall liquidates.",),
        fields=(Field("Margin ratio", "92 %"),),
        mention=mention,
    )


async def test_private_alert_goes_to_the_owners_dms_loudly(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    alice = fake_discord.guilds[0].member("alice")
    transport = DiscordTransport(front.client)
    await transport.send(Destination("discord", str(alice.user_id), is_dm=True), _alert())
    await transport.send(Destination("discord", str(alice.user_id), is_dm=True), _alert())

    [dm] = fake_discord.find("POST", r"^/users/@me/channels$")  # opened once, then cached
    assert dm.body == {"recipient_id": alice.user_id}
    sent, _ = fake_discord.find("POST", rf"^/channels/{fake_discord.dm_channels[alice.user_id]}/")
    assert not fake_discord.find("GET", r"^/users/\d+$")
    assert sent.body["embeds"][0]["color"] == SEVERITY_COLOURS["critical"]
    assert not int(sent.body.get("flags") or 0) & SUPPRESS_NOTIFICATIONS  # critical is loud
    assert "content" not in sent.body or not sent.body["content"]


async def test_shared_critical_alert_mentions_the_alert_role_and_a_watch_does_not(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    guild = fake_discord.guilds[0]
    channel = Destination("discord", str(guild.channel("alerts")))
    transport = DiscordTransport(front.client)

    await transport.send(channel, _alert("critical", mention=True))
    await transport.send(channel, _alert("watch", mention=True))
    critical, watch = fake_discord.find("POST", rf"^/channels/{guild.channel('alerts')}/messages")

    role = guild.roles["margin-alerts"]
    assert critical.body["content"] == f"<@&{role}>"
    assert [int(r) for r in critical.body["allowed_mentions"]["roles"]] == [role]
    assert not watch.body.get("content")
    assert watch.body["allowed_mentions"]["parse"] == []  # nobody is pinged
    assert "roles" not in watch.body["allowed_mentions"]
    assert int(watch.body.get("flags") or 0) & SUPPRESS_NOTIFICATIONS  # routine: silent


@pytest.mark.parametrize("status", [403, 404])
async def test_a_closed_or_deleted_destination_is_gone(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, status: int
) -> None:
    guild = fake_discord.guilds[0]
    fake_discord.fail_next("POST", r"/channels/\d+/messages", status)
    transport = DiscordTransport(front.client)
    with pytest.raises(DestinationGone) as gone:
        await transport.send(Destination("discord", str(guild.channel("alerts"))), _alert())
    assert "Discord" in gone.value.reason


async def test_short_429_is_absorbed_and_long_429_asks_the_outbox_to_retry_later(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    guild = fake_discord.guilds[0]
    channel = Destination("discord", str(guild.channel("alerts")))
    transport = DiscordTransport(front.client)

    fake_discord.fail_next("POST", r"/channels/\d+/messages", 429, retry_after=0.05)
    await transport.send(channel, _alert())
    assert [r.status for r in fake_discord.find("POST", r"/channels/\d+/messages")] == [429, 200]

    fake_discord.fail_next("POST", r"/channels/\d+/messages", 429, retry_after=120)
    with pytest.raises(DeliveryRetry) as retry:
        await transport.send(channel, _alert())
    assert retry.value.retry_after == 120


async def test_pace_spaces_sends_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    monkeypatch.setattr(transport_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(transport_module.asyncio, "sleep", fake_sleep)
    pace = Pace(per_second=4)
    for _ in range(3):
        await pace.wait()
    assert slept == [0.25, 0.5]  # the first goes at once, then one every 0.25 s
    clock[0] += 10  # after a quiet spell there is no backlog to pay off
    await pace.wait()
    assert slept == [0.25, 0.5]


async def test_sends_wait_for_ready_and_give_up_with_a_retry_when_closed(
    fake_discord: FakeDiscord,
) -> None:
    import discord

    client = discord.Client(intents=discord.Intents.default())
    transport = DiscordTransport(client, ready_timeout=0.1)
    with pytest.raises(DeliveryRetry):
        await transport.send(Destination("discord", "1"), _alert())
    await asyncio.sleep(0)


async def test_a_resend_under_the_same_key_is_dropped_by_discord_itself(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    # The outbox resends an unfinished send with its key after a crash: the nonce makes Discord
    # answer with the message it already has instead of posting it twice.
    channel_id = fake_discord.guilds[0].channel("alerts")
    channel = Destination("discord", str(channel_id))
    transport = DiscordTransport(front.client)
    await transport.send(channel, _alert(), "send-token-0001")
    await transport.send(channel, _alert(), "send-token-0001")
    await transport.send(channel, _alert(), "send-token-0002")
    posts = fake_discord.find("POST", rf"^/channels/{channel_id}/messages$")
    assert [(p.body["nonce"], p.body["enforce_nonce"]) for p in posts] == [
        ("send-token-0001", True),
        ("send-token-0001", True),
        ("send-token-0002", True),
    ]
    assert len(fake_discord.channel_messages(channel_id)) == 2
    assert fake_discord.nonce_repeats == 1
