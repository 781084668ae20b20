"""Slash commands: real Interaction objects from raw payloads through the real CommandTree."""

from __future__ import annotations

from bot.chat.discord.frontend import DiscordFrontEnd
from bot.chat.discord.render import SEVERITY_COLOURS
from bot.core import texts
from bot.core.registry import ArgType
from tests.discord.conftest import RecordingCore, invoke
from tests.fakes.discord_api import (
    ChannelRef,
    FakeDiscord,
    MemberRef,
    RoleRef,
    autocomplete_payload,
    slash_payload,
)


async def test_status_is_deferred_then_answered_privately_with_a_coloured_embed(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    payload = slash_payload("margin status", {"account": "main"}, member=alice, guild=guild)
    await invoke(front, payload)

    call = core.last("status")
    assert call.values == {"account": "main"}
    assert call.caller.platform == "discord"
    assert call.caller.user_id == str(alice.user_id)
    assert call.caller.community_id == str(guild.guild_id)
    assert call.caller.replies_privately and not call.caller.is_moderator

    defer, followup = fake_discord.callbacks_for(payload)
    assert defer.body["type"] == 5 and defer.ephemeral  # deferred before the exchange call
    assert followup.method == "POST" and followup.path.startswith("/webhooks/")
    assert followup.ephemeral
    [embed] = followup.body["embeds"]
    assert embed["title"] == "status done"
    assert embed["color"] == SEVERITY_COLOURS["ok"]


async def test_options_reach_core_as_text_with_choices_and_booleans(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    await invoke(
        front,
        slash_payload(
            "margin alerts",
            {"account": "hedge", "watch": "20%", "critical": "5"},
            member=alice,
            guild=guild,
        ),
    )
    assert core.last("alerts").values == {
        "account": "hedge",
        "watch": "20%",
        "critical": "5",
        "level": None,
    }

    await invoke(
        front, slash_payload("margin snooze", {"duration": "4h"}, member=alice, guild=guild)
    )
    assert core.last("snooze").values == {"account": None, "duration": "4h"}

    await invoke(front, slash_payload("margin chart", {"days": 7}, member=alice, guild=guild))
    assert core.last("chart").values == {"account": None, "days": "7"}

    await invoke(
        front, slash_payload("margin deletemydata", {"confirm": True}, member=alice, guild=guild)
    )
    assert core.last("delete_my_data").values == {"confirm": "yes"}


async def test_account_option_autocompletes_the_callers_labels(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    payload = autocomplete_payload(
        "margin status", {"account": "HE"}, "account", member=guild.member("alice"), guild=guild
    )
    await invoke(front, payload)
    [reply] = fake_discord.callbacks_for(payload)
    assert reply.body["type"] == 8
    assert reply.body["data"]["choices"] == [{"name": "hedge", "value": "hedge"}]
    assert core.last("suggest").caller.user_id == str(guild.member("alice").user_id)
    assert core.last("suggest").values == {"kind": ArgType.ACCOUNT, "typed": "HE"}


async def test_member_without_manage_server_is_refused_a_moderator_command(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    payload = slash_payload("margin-admin subscribers", member=guild.member("alice"), guild=guild)
    await invoke(front, payload)
    assert not [c for c in core.calls if c.usecase == "list_subscribers"]
    [reply] = fake_discord.callbacks_for(payload)
    assert reply.body["type"] == 4
    assert reply.ephemeral
    embed = reply.message["embeds"][0]
    assert embed["description"] == texts.NEEDS_MODERATOR
    assert embed["color"] == SEVERITY_COLOURS["error"]


async def test_configured_moderator_role_is_checked_on_every_call(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    deskmod = guild.member("deskmod")
    first = slash_payload("margin-admin subscribers", member=deskmod, guild=guild)
    await invoke(front, first)
    assert not [c for c in core.calls if c.usecase == "list_subscribers"]

    core.moderator_roles[str(guild.guild_id)] = (str(guild.roles["risk-desk"]),)
    await invoke(front, slash_payload("margin-admin subscribers", member=deskmod, guild=guild))
    call = core.last("list_subscribers")
    assert call.caller.is_moderator
    assert str(guild.roles["risk-desk"]) in call.caller.role_ids

    core.moderator_roles.clear()  # the server changed its mind: the next call is refused again
    again = slash_payload("margin-admin subscribers", member=deskmod, guild=guild)
    await invoke(front, again)
    assert len([c for c in core.calls if c.usecase == "list_subscribers"]) == 1


async def test_owner_with_manage_server_sets_the_alert_channel_and_removes_a_member(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    owner = guild.member("owner")
    alerts = ChannelRef(guild, guild.channel("alerts"))
    await invoke(
        front,
        slash_payload("margin-admin setalerts", {"channel": alerts}, member=owner, guild=guild),
    )
    call = core.last("set_alert_channel")
    assert call.values == {"channel": str(guild.channel("alerts"))}
    assert call.caller.is_moderator

    alice = MemberRef(guild, guild.member("alice"))
    await invoke(
        front, slash_payload("margin-admin remove", {"member": alice}, member=owner, guild=guild)
    )
    assert core.last("remove_subscriber").values == {
        "member": str(guild.member("alice").user_id),
        "account": None,
    }


async def test_help_lists_discord_spellings_and_hides_moderator_commands_from_members(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    guild = fake_discord.guilds[0]
    member_help = slash_payload("margin help", member=guild.member("alice"), guild=guild)
    await invoke(front, member_help)
    [reply] = fake_discord.callbacks_for(member_help)
    text = reply.message["embeds"][0]["description"]
    assert "/margin status [account]" in text
    assert "/margin-admin" not in text

    owner_help = slash_payload("margin help", member=guild.member("owner"), guild=guild)
    await invoke(front, owner_help)
    [reply] = fake_discord.callbacks_for(owner_help)
    assert "/margin-admin setalerts [channel]" in reply.message["embeds"][0]["description"]


async def test_a_refusal_from_core_is_one_private_sentence(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    from bot.core.messages import Refusal

    def refuse(caller: object, **values: object) -> None:
        raise Refusal("You have no account called nope. Your accounts: main.")

    core.answers["unlink"] = refuse
    guild = fake_discord.guilds[0]
    payload = slash_payload(
        "margin unlink", {"account": "nope"}, member=guild.member("alice"), guild=guild
    )
    await invoke(front, payload)
    [reply] = fake_discord.callbacks_for(payload)
    assert reply.ephemeral
    embed = reply.message["embeds"][0]
    assert embed["title"] == texts.REFUSED_TITLE
    assert embed["description"] == "You have no account called nope. Your accounts: main."


async def test_settings_takes_a_role_option_and_everyone_clears_it(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    owner = guild.member("owner")
    await invoke(
        front,
        slash_payload(
            "margin-admin settings",
            {"role": RoleRef(guild, "risk-desk"), "enabled": False},
            member=owner,
            guild=guild,
        ),
    )
    values = core.last("community_settings").values
    assert values["role"] == str(guild.roles["risk-desk"])
    assert values["enabled"] == "no"

    await invoke(
        front,
        slash_payload(
            "margin-admin settings",
            {"role": RoleRef(guild, "@everyone")},
            member=owner,
            guild=guild,
        ),
    )
    assert core.last("community_settings").values["role"] == "none"


async def test_a_moderator_command_sent_from_dms_asks_for_a_server(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    payload = slash_payload("margin-admin audit", member=fake_discord.guilds[0].member("owner"))
    await invoke(front, payload)
    [reply] = fake_discord.callbacks_for(payload)
    assert reply.ephemeral
    assert reply.message["embeds"][0]["description"] == texts.NEEDS_COMMUNITY
    assert not [c for c in core.calls if c.usecase == "audit_log"]
