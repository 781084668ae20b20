"""Outbox delivery to Discord: DMs, alert channels, role mentions, pace and failures."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat.discord import transport as transport_module
from bot.chat.discord.frontend import DiscordFrontEnd
from bot.chat.discord.render import SEVERITY_COLOURS
from bot.chat.discord.transport import DiscordTransport, Pace
from bot.core.delivery import DeliveryRefused, DeliveryRetry, DestinationGone
from bot.core.messages import Field, message, to_payload
from bot.core.presenter import CorePresenter
from bot.monitor.clock import ManualClock
from bot.monitor.outbox import OutboxDispatcher
from bot.monitor.transport import Transports
from bot.store import NewMessage, Store
from bot.store.records import Destination
from tests.fakes.discord_api import FakeDiscord
from tests.support.fixtures import clock as clock
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault

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


async def test_an_embed_discord_will_never_take_is_refused_not_retried_and_the_channel_stays(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    # A 400 is about this message (here an embed over its limit), not the channel: the outbox
    # must neither retry it for a day nor take the channel for gone.
    guild = fake_discord.guilds[0]
    channel = Destination("discord", str(guild.channel("alerts")))
    transport = DiscordTransport(front.client)
    fake_discord.fail_next("POST", r"/channels/\d+/messages", 400)
    with pytest.raises(DeliveryRefused) as refused:
        await transport.send(channel, _alert())
    reason = refused.value.reason
    assert reason.startswith("Discord refused the message (HTTP 400, code 50035: Invalid Form Body")
    assert "embeds.0.description" in reason and "4096" in reason
    await transport.send(channel, _alert())  # the next message goes to the same channel
    assert [r.status for r in fake_discord.find("POST", r"/channels/\d+/messages")] == [400, 200]


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


async def test_rows_sent_alone_after_a_refused_coalesced_send_carry_nonces_of_their_own(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, store: Store, clock: ManualClock
) -> None:
    # A row sent alone has other content than the coalesced send: under that send's nonce
    # Discord would answer with whatever it holds for it. Each gets its own, and both arrive.
    channel_id = fake_discord.guilds[0].channel("alerts")
    channel = Destination("discord", str(channel_id))
    for n in (1, 2):
        payload = to_payload(message(f"alert {n}", "watch"))
        await store.run(
            lambda tx, k=f"k{n}", p=payload: tx.outbox.enqueue(
                NewMessage(k, channel, p), now=clock.now()
            )
        )
    transports = Transports()
    transports.register("discord", DiscordTransport(front.client))
    fake_discord.fail_next("POST", rf"^/channels/{channel_id}/messages$", 400)
    outbox = OutboxDispatcher(store, transports, clock, CorePresenter(), rng=lambda: 0.0)
    report = await outbox.deliver_due()
    assert report.delivered == 2 and report.refused == 0
    posts = fake_discord.find("POST", rf"^/channels/{channel_id}/messages$")
    assert [p.status for p in posts] == [400, 200, 200]
    nonces = [p.body["nonce"] for p in posts]
    assert len(set(nonces)) == 3
    titles = [m["embeds"][0]["title"] for m in fake_discord.channel_messages(channel_id)]
    assert titles == ["alert 1", "alert 2"] and fake_discord.nonce_repeats == 0
