"""The issue's acceptance story on real parts: discord.py client on the fake Discord, real core,
store (SQLite file), exchange hub (ccxt) on the simulator, monitor and outbox delivery."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from bot.chat.discord.frontend import DiscordFrontEnd, MemoryStamp
from bot.chat.discord.render import SEVERITY_COLOURS
from bot.core import texts
from bot.core.presenter import CorePresenter
from bot.core.usecases import Core
from bot.exchanges.hub import ExchangeHub
from bot.exchanges.registry import SUPPORTED_VENUES
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import Transports
from bot.sim.server import Simulator
from bot.store import Destination, Store
from tests.discord.conftest import TOKEN
from tests.fakes.discord_api import (
    ChannelRef,
    FakeDiscord,
    Recorded,
    RoleRef,
    modal_submit_payload,
    slash_payload,
)
from tests.support.fixtures import add_bybit_long
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import hub as hub
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault
from tests.support.limits import LIMITS_SPEED

API_KEY = "alice-bybit-key"
API_SECRET = "alice-bybit-secret-never-shown"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(limits_speed=LIMITS_SPEED) as simulator:
        add_bybit_long(simulator, API_KEY, API_SECRET)
        yield simulator


@pytest.fixture
async def world(
    fake_discord: FakeDiscord, store: Store, hub: ExchangeHub
) -> AsyncIterator[tuple[DiscordFrontEnd, Monitor]]:
    core = Core(store, hub, SUPPORTED_VENUES)
    front = DiscordFrontEnd(
        core, TOKEN, stamp=MemoryStamp(), client_options={"guild_ready_timeout": 0.05}
    )
    transports = Transports()
    transports.register("discord", front.transport())
    monitor = Monitor(store, HubSource(store, hub), transports, presenter=CorePresenter())
    task = front.start()
    try:
        await front.wait_ready(5)
        yield front, monitor
    finally:
        await monitor.stop()
        await front.stop()
        await asyncio.wait_for(task, 5)


def _text(request: Recorded, *, content: bool = True) -> str:
    """What a reader sees in a sent message: content, embed title, lines, fields."""
    body = request.message
    parts = [body.get("content") or ""] if content else []
    for embed in body.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_member_links_checks_status_and_gets_a_private_and_a_redacted_shared_alert(
    world: tuple[DiscordFrontEnd, Monitor], fake_discord: FakeDiscord, sim: Simulator
) -> None:
    front, monitor = world
    guild = fake_discord.guilds[0]
    alice, owner = guild.member("alice"), guild.member("owner")
    assert [g.name for g in front.client.guilds] == ["Traders"]

    # 1. link through the modal: the key is typed only into the modal, answers are ephemeral
    [modal] = await fake_discord.answer(
        slash_payload("margin link", {"venue": "bybit", "label": "main"}, member=alice, guild=guild)
    )
    assert modal.body["type"] == 9
    submit = modal_submit_payload(
        modal.body["data"]["custom_id"],
        {"api_key": API_KEY, "secret": API_SECRET},
        member=alice,
        guild=guild,
    )
    defer, linked = await fake_discord.answer(submit, count=2, timeout=15)
    assert defer.ephemeral and linked.ephemeral
    assert texts.LINK_DONE.format(label="main", venue=SUPPORTED_VENUES["bybit"].label) in _text(
        linked
    )

    # 2. status: deferred (it reads the exchange), then the card, privately
    status = slash_payload("margin status", member=alice, guild=guild)
    defer, card = await fake_discord.answer(status, count=2, timeout=15)
    assert defer.body["type"] == 5 and card.ephemeral
    assert card.message["embeds"][0]["title"].startswith("main")

    # 3. a member without Manage Server is refused; the owner sets the alert channel
    refused = slash_payload("margin-admin setalerts", member=alice, guild=guild)
    [no] = await fake_discord.answer(refused)
    assert no.ephemeral and texts.NEEDS_MODERATOR in _text(no)
    alerts_channel = guild.channel("alerts")
    setalerts = slash_payload(
        "margin-admin setalerts",
        {"channel": ChannelRef(guild, alerts_channel)},
        member=owner,
        guild=guild,
    )
    [yes] = await fake_discord.answer(setalerts)
    assert texts.SETALERTS_DONE.split("{")[0] in _text(yes)
    assert f"<#{alerts_channel}>" in _text(yes)  # a channel mention, not its id

    # A client that skipped the schema's range (an old one) still meets core's check.
    days = slash_payload("margin chart", {"days": 500}, member=alice, guild=guild)
    _, refused = await fake_discord.answer(days, count=2)
    assert "Days must be a whole number from 1 to 90; not '500'." in _text(refused)

    # 4. alice shares only her alert level and subscribes the account to the community
    for payload in (
        slash_payload(
            "margin share", {"account": "main", "level": "state"}, member=alice, guild=guild
        ),
        slash_payload("margin subscribe", {"account": "main"}, member=alice, guild=guild),
    ):
        [answer] = await fake_discord.answer(payload)
        assert answer.message["embeds"][0]["color"] != SEVERITY_COLOURS["error"], _text(answer)

    # 5. a scripted price fall: one alert by DM, one redacted alert in the alert channel
    sim.move_prices(0.85, "bybit")
    await monitor.recheck_all()
    await monitor.run_until_idle()

    dm_channel = fake_discord.dm_channels[alice.user_id]
    [private] = fake_discord.find("POST", rf"^/channels/{dm_channel}/messages$")
    [shared] = fake_discord.find("POST", rf"^/channels/{alerts_channel}/messages$")
    private_text, shared_text = _text(private), _text(shared, content=False)
    # a 15 % fall leaves this 10x long 1.3 % from liquidation: critical, loud, role pinged
    assert private.message["embeds"][0]["color"] == SEVERITY_COLOURS["critical"]
    assert shared.message["embeds"][0]["color"] == SEVERITY_COLOURS["critical"]
    assert "main" in private_text and "main" in shared_text
    # the owner's DM carries figures; the channel only the level she chose to share
    assert re.search(r"\d+(\.\d+)?\s?%", private_text), private_text
    assert not re.search(r"\d", shared_text.replace(alice.name, "")), shared_text
    assert shared.message["content"] == f"<@&{guild.roles['margin-alerts']}>"
    assert not private.message.get("content")  # nobody to ping in one's own DMs
    assert not shared.files and API_SECRET not in repr(fake_discord.requests)


async def _link_share_and_subscribe(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.guilds[0]
    alice, owner = guild.member("alice"), guild.member("owner")
    [modal] = await fake_discord.answer(
        slash_payload("margin link", {"venue": "bybit", "label": "main"}, member=alice, guild=guild)
    )
    await fake_discord.answer(
        modal_submit_payload(
            modal.body["data"]["custom_id"],
            {"api_key": API_KEY, "secret": API_SECRET},
            member=alice,
            guild=guild,
        ),
        count=2,
        timeout=15,
    )
    channel = ChannelRef(guild, guild.channel("alerts"))
    for payload in (
        slash_payload("margin-admin setalerts", {"channel": channel}, member=owner, guild=guild),
        slash_payload(
            "margin share", {"account": "main", "level": "ratio"}, member=alice, guild=guild
        ),
        slash_payload("margin subscribe", {"account": "main"}, member=alice, guild=guild),
    ):
        [answer] = await fake_discord.answer(payload)
        assert answer.message["embeds"][0]["color"] != SEVERITY_COLOURS["error"], _text(answer)


async def test_a_deleted_alert_channel_disables_the_shared_subscription_not_the_dm(
    world: tuple[DiscordFrontEnd, Monitor],
    fake_discord: FakeDiscord,
    sim: Simulator,
    store: Store,
) -> None:
    _, monitor = world
    guild = fake_discord.guilds[0]
    alerts_channel = guild.channel("alerts")
    await _link_share_and_subscribe(fake_discord)

    fake_discord.fail_next("POST", rf"^/channels/{alerts_channel}/messages$", 404)
    sim.move_prices(0.85, "bybit")
    await monitor.recheck_all()
    await monitor.run_until_idle()

    shared = await store.read(
        lambda tx: tx.subscriptions.for_destination(Destination("discord", str(alerts_channel)))
    )
    assert [s.enabled for s in shared] == [False]
    assert shared[0].disabled_reason and "no longer exists" in shared[0].disabled_reason
    alice = guild.member("alice")
    private = await store.read(
        lambda tx: tx.subscriptions.for_destination(
            Destination("discord", str(alice.user_id), is_dm=True)
        )
    )
    assert [s.enabled for s in private] == [True]
    dm_channel = fake_discord.dm_channels[alice.user_id]
    assert fake_discord.find("POST", rf"^/channels/{dm_channel}/messages$")  # the alert still came
    [attempt] = fake_discord.find("POST", rf"^/channels/{alerts_channel}/messages$")
    assert attempt.status == 404  # tried once, then never again


async def test_a_configured_role_grants_moderation_and_leaving_the_server_forgets_it(
    world: tuple[DiscordFrontEnd, Monitor],
    fake_discord: FakeDiscord,
    store: Store,
) -> None:
    guild = fake_discord.guilds[0]
    deskmod, owner = guild.member("deskmod"), guild.member("owner")
    [refused] = await fake_discord.answer(
        slash_payload("margin-admin subscribers", member=deskmod, guild=guild)
    )
    assert texts.NEEDS_MODERATOR in _text(refused)

    [saved] = await fake_discord.answer(
        slash_payload(
            "margin-admin settings",
            {"role": RoleRef(guild, "risk-desk")},
            member=owner,
            guild=guild,
        )
    )
    assert saved.message["embeds"][0]["color"] != SEVERITY_COLOURS["error"], _text(saved)
    [allowed] = await fake_discord.answer(
        slash_payload("margin-admin subscribers", member=deskmod, guild=guild)
    )
    assert texts.SUBSCRIBERS_TITLE in _text(allowed)
    await _link_share_and_subscribe(fake_discord)
    community = str(guild.guild_id)
    assert await store.read(lambda tx: tx.subscriptions.for_community("discord", community))

    await fake_discord.remove_from_guild(guild)
    for _ in range(200):
        settings = await store.read(lambda tx: tx.communities.get("discord", community))
        if settings.moderator_role_id is None:
            break
        await asyncio.sleep(0.01)
    assert settings.moderator_role_id is None
    assert await store.read(lambda tx: tx.subscriptions.for_community("discord", community)) == []
