"""Modal, buttons and server removal, dispatched through the fake gateway to the running client."""

from __future__ import annotations

import asyncio

from bot.chat.discord.frontend import DiscordFrontEnd
from bot.core.messages import Action, ActionId, message
from tests.discord.conftest import RecordingCore
from tests.fakes.discord_api import (
    FakeDiscord,
    component_payload,
    modal_submit_payload,
    slash_payload,
)

SECRET = "s3cr3t-DO-NOT-ECHO"


async def test_link_opens_a_modal_and_its_submission_reaches_core_privately(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore, caplog
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    command = slash_payload(
        "margin link", {"venue": "bybit", "label": "main"}, member=alice, guild=guild
    )
    [modal] = await fake_discord.answer(command)
    assert modal.body["type"] == 9
    inputs = [row["components"][0] for row in modal.body["data"]["components"]]
    assert [i["custom_id"] for i in inputs] == ["api_key", "secret"]  # as core's form says
    assert [i["required"] for i in inputs] == [True, True]
    assert not [c for c in core.calls if c.usecase == "link"]  # nothing before the modal

    submit = modal_submit_payload(
        modal.body["data"]["custom_id"],
        {"api_key": " KEY123 ", "secret": SECRET},
        member=alice,
        guild=guild,
    )
    defer, answer = await fake_discord.answer(submit, count=2)
    assert defer.body["type"] == 5 and defer.ephemeral
    assert answer.ephemeral
    call = core.last("link")
    assert call.values == {
        "venue": "bybit",
        "label": "main",
        "api_key": " KEY123 ",
        "secret": SECRET,
    }  # core trims and validates
    assert call.caller.user_id == str(alice.user_id)
    assert SECRET not in repr(answer.body)
    assert SECRET not in caplog.text


async def test_refresh_button_edits_the_card_and_snooze_answers_privately(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    core.answers["status"] = lambda caller, **v: message(
        "main — bybit",
        "watch",
        actions=(
            Action(ActionId.REFRESH_STATUS, "Refresh", ("a1",)),
            Action(ActionId.SNOOZE, "Snooze 4h", ("a1", "4h")),
        ),
    )
    status = slash_payload("margin status", member=alice, guild=guild)
    _, card = await fake_discord.answer(status, count=2)
    buttons = card.body["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in buttons] == [
        ("Refresh", "mw:rs:a1"),
        ("Snooze 4h", "mw:sn:a1:4h"),
    ]
    sent = fake_discord.last_message_with_buttons()  # the card as Discord now shows it

    press = component_payload("mw:rs:a1", member=alice, message=sent, guild=guild)
    ack, edit = await fake_discord.answer(press, count=2)
    assert ack.body["type"] == 6  # deferred update: the card itself will change
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    assert edit.body["embeds"][0]["title"] == "acted rs"
    assert core.last("act").values["action"].args == ("a1",)

    snooze = component_payload("mw:sn:a1:4h", member=alice, message=sent, guild=guild)
    [reply] = await fake_discord.answer(snooze)
    assert reply.body["type"] == 4 and reply.ephemeral
    assert core.last("act").values["action"].id is ActionId.SNOOZE
    # Interactions are dispatched in order: with the next press answered, a second handling of
    # the first (once per registry) would have shown by now.
    assert len(fake_discord.callbacks_for(press)) == 2
    assert [c.values["action"].id for c in core.calls if c.usecase == "act"] == [
        ActionId.REFRESH_STATUS,
        ActionId.SNOOZE,
    ]


async def test_a_button_for_something_gone_gets_a_private_refusal(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    button = {"type": 2, "style": 2, "label": "Snooze 1h", "custom_id": "mw:sn:gone:1h"}
    msg = fake_discord.store_message(
        guild.channel("general"), {"components": [{"type": 1, "components": [button]}]}, []
    )
    press = component_payload("mw:sn:gone:1h", member=alice, message=msg, guild=guild)
    [reply] = await fake_discord.answer(press)
    assert reply.ephemeral
    assert reply.message["embeds"][0]["description"] == "That account is gone."


async def test_removal_from_a_server_makes_core_forget_its_settings(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    await fake_discord.remove_from_guild(guild)
    for _ in range(200):
        if core.forgotten:
            break
        await asyncio.sleep(0.01)
    assert core.forgotten == [("discord", str(guild.guild_id))]


async def test_link_with_an_unknown_venue_is_refused_before_any_key_is_asked(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    command = slash_payload(
        "margin link", {"venue": "mtgox"}, member=guild.member("alice"), guild=guild
    )
    [reply] = await fake_discord.answer(command)
    assert reply.body["type"] == 4 and reply.ephemeral  # a message, not a modal
    assert "mtgox" in reply.message["embeds"][0]["description"]


async def test_chart_arrives_as_a_png_attachment_shown_in_the_embed(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    from bot.core.messages import Image

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    core.answers["chart"] = lambda caller, **v: message(
        "main — margin health", "info", image=Image(png, "health.png", "ratio over 7 days")
    )
    guild = fake_discord.guilds[0]
    payload = slash_payload("margin chart", {"days": 7}, member=guild.member("alice"), guild=guild)
    defer, reply = await fake_discord.answer(payload, count=2)
    assert defer.body["type"] == 5  # rendering may be slow: acknowledged first
    assert reply.files == [("health.png", png)]
    assert reply.message["embeds"][0]["image"]["url"] == "attachment://health.png"
    assert reply.ephemeral


async def test_buttons_pressed_in_dms_reach_core_as_a_private_caller(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    alice = fake_discord.guilds[0].member("alice")
    button = {"type": 2, "style": 2, "label": "Snooze 1h", "custom_id": "mw:sn:s7:1h"}
    dm_message = fake_discord.store_message(
        None, {"components": [{"type": 1, "components": [button]}]}, []
    )
    press = component_payload("mw:sn:s7:1h", member=alice, message=dm_message)
    [reply] = await fake_discord.answer(press)
    assert reply.body["type"] == 4
    caller = core.last("act").caller
    assert caller.is_private_chat and caller.community_id is None and not caller.is_moderator
    assert core.last("act").values["action"].args == ("s7", "1h")


async def test_a_taken_label_is_refused_before_the_modal_and_the_title_fits_whole(
    front: DiscordFrontEnd, fake_discord: FakeDiscord, core: RecordingCore
) -> None:
    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    core.taken_labels.add("main")
    taken = slash_payload(
        "margin link", {"venue": "bybit", "label": "main"}, member=alice, guild=guild
    )
    [reply] = await fake_discord.answer(taken)
    assert reply.body["type"] == 4 and reply.ephemeral  # a sentence, no modal
    assert "already have an account called main" in reply.message["embeds"][0]["description"]
    assert core.last("prepare_link").values == {"venue": "bybit", "label": "main"}

    fine = slash_payload(
        "margin link", {"venue": "bybit", "label": "swing"}, member=alice, guild=guild
    )
    [modal] = await fake_discord.answer(fine)
    assert modal.body["type"] == 9
    # "Link an account: Bybit (unified trading account)" would be cut mid-word at 45.
    assert modal.body["data"]["title"] == "Link Bybit (unified trading account)"


async def test_venues_and_time_zones_are_suggested_while_typed(
    front: DiscordFrontEnd, fake_discord: FakeDiscord
) -> None:
    from tests.fakes.discord_api import autocomplete_payload

    guild = fake_discord.guilds[0]
    alice = guild.member("alice")
    venue = autocomplete_payload(
        "margin link", {"venue": "kra"}, "venue", member=alice, guild=guild
    )
    [reply] = await fake_discord.answer(venue)
    assert reply.body["type"] == 8
    assert [c["value"] for c in reply.body["data"]["choices"]] == [
        "kraken",
        "krakenfutures",
        "generic:kra",  # any other exchange ccxt reads, approximately
    ]
    assert reply.body["data"]["choices"][0]["name"] == "Kraken (spot margin)"

    zone = autocomplete_payload(
        "margin digest", {"timezone": ""}, "timezone", member=alice, guild=guild
    )
    [reply] = await fake_discord.answer(zone)
    shown = [c["value"] for c in reply.body["data"]["choices"]]
    assert len(shown) == 25 and shown[0] == "UTC" and "Europe/Berlin" in shown
    zone = autocomplete_payload(
        "margin digest", {"timezone": "kolk"}, "timezone", member=alice, guild=guild
    )
    [reply] = await fake_discord.answer(zone)
    assert [c["value"] for c in reply.body["data"]["choices"]] == ["Asia/Kolkata"]
