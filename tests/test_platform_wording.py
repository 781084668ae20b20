"""Every reply speaks the language of the chat it is read in.

Two walks: every catalogue entry, filled with references, through the Discord and the Telegram
renderer; then the replies real use cases give Discord and Telegram callers (settings, alert
channel, subscribers, removal, audit, confirmations, shared alerts). Either fails on a command in
the other chat's spelling, or on a platform id shown as a raw number anywhere.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

import pytest

from bot.chat.discord.render import discord_text, spell_ref
from bot.chat.discord.render import render as discord_render
from bot.chat.telegram.render import render as telegram_render
from bot.core import registry, texts
from bot.core.alerts import render_event
from bot.core.identity import Caller
from bot.core.messages import Field, Message, message
from bot.core.refs import (
    REF_SLOTS,
    ChannelRef,
    CommandRef,
    RoleRef,
    UserRef,
    fill,
    parts_of,
    text_command,
)
from bot.core.usecases import Core
from bot.monitor.policy import AlertEvent
from bot.store import Store
from tests.core.conftest import ALICE_KRAKEN
from tests.core.conftest import clock as clock
from tests.core.conftest import core as core
from tests.core.conftest import sim as sim
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import hub as hub
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault

# Ids as the platforms make them: long enough that no figure in a sentence looks like one.
GUILD, CHANNEL, ROLE, ALICE_ID, MOD_ID = (
    "1200000000000000001",
    "1200000000000000006",
    "1200000000000000003",
    "1200000000000000008",
    "1200000000000000009",
)
GROUP, TG_ALICE, TG_MOD = "-1001234567890", "7000000001", "7000000009"
IDS = (GUILD, CHANNEL, ROLE, ALICE_ID, MOD_ID, GROUP.lstrip("-"), TG_ALICE, TG_MOD)
COMMAND_NAMES = frozenset(c.name for c in registry.COMMANDS)
_FORMATTER = string.Formatter()

SAMPLES: dict[type, Any] = {
    ChannelRef: ChannelRef(CHANNEL),
    RoleRef: RoleRef(ROLE),
    UserRef: UserRef(ALICE_ID, "Alice"),
    CommandRef: CommandRef("alerts", usage=True),
}


def catalogue() -> Iterator[tuple[str, str]]:
    """Every sentence of the catalogue: its constants, and each value of its tables."""
    for name, value in vars(texts).items():
        if name.startswith("_") or not name.isupper():
            continue
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, dict):
            yield from ((f"{name}[{k}]", v) for k, v in value.items() if isinstance(v, str))
        elif isinstance(value, tuple):
            yield from ((f"{name}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))


def filled(template: str) -> str:
    values: dict[str, Any] = {}
    for _, field, spec, _ in _FORMATTER.parse(template):
        if field is None:
            continue
        if field.startswith("/"):  # a command's options may take values: {/x:account={label}}
            names = [f for _, f, _, _ in _FORMATTER.parse(spec or "") if f]
        else:
            names = [field]
        for name in names:
            slot = REF_SLOTS.get(name)
            values[name] = SAMPLES[slot] if slot else "sample"
    return fill(template, **values)


def as_message(text: str) -> Message:
    # The same text as a title, a line, a field value and a footer: each slot renders apart.
    return message(text, "info", lines=(text,), fields=(Field("x", text),), footer=text)


def discord_shows(msg: Message) -> str:
    embed = discord_render(msg).embed.to_dict()
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f["value"] for f in embed.get("fields", [])]
    parts.append(embed.get("footer", {}).get("text", ""))
    return "\n".join(parts)


def telegram_shows(msg: Message) -> str:
    return telegram_render(msg).html


def telegram_commands_in(text: str) -> list[str]:
    """Commands written the Telegram way: ``/link`` not under ``/margin`` (``/margin link``)."""
    return [m for m in re.findall(r"(?<![\w/])/([a-z_]+)\b", text) if m in COMMAND_NAMES]


def raw_ids_in(text: str, *, allowed: str) -> list[str]:
    """Platform ids left over once the mention syntax that carries them (``allowed``) is cut."""
    rest = re.sub(allowed, "", text)
    return [i for i in IDS if i in rest]


DISCORD_MENTIONS = r"<(#|@&|@)\d+>"
TELEGRAM_MENTIONS = r'<a href="tg://user\?id=\d+">'


@pytest.mark.parametrize("entry", list(catalogue()), ids=lambda e: e[0])
def test_every_catalogue_entry_reads_right_on_both_chats(entry: tuple[str, str]) -> None:
    _, template = entry
    text = filled(template)
    msg = as_message(text)
    on_discord = discord_shows(msg)
    assert telegram_commands_in(on_discord) == [], on_discord
    assert raw_ids_in(on_discord, allowed=DISCORD_MENTIONS) == [], on_discord
    on_telegram = telegram_shows(msg)
    assert "/margin" not in on_telegram, on_telegram
    assert raw_ids_in(on_telegram, allowed=TELEGRAM_MENTIONS) == [], on_telegram
    assert raw_ids_in(str(text), allowed="^$") == []  # the neutral (console) spelling too


def test_commands_in_the_catalogue_exist_and_telegram_reads_back_their_spelling() -> None:
    seen = 0
    for name, template in catalogue():
        for part in parts_of(filled(template)):
            if not isinstance(part, CommandRef):
                continue
            seen += 1
            command = registry.command(part.name)  # KeyError: a command that does not exist
            known = {a.name for a in command.arguments}
            assert {k for k, _ in part.options} <= known, (name, part)
            typed = text_command(part)
            parsed = registry.parse_text_arguments(
                command, typed.split(" ", 1)[1:][0] if " " in typed else ""
            )
            assert parsed == dict(part.options) or part.usage, (name, typed, parsed)
            assert spell_ref(part).startswith("`/margin"), spell_ref(part)
    assert seen >= 8


def test_discord_spells_options_as_its_client_takes_them() -> None:
    unlink = CommandRef("unlink", (("account", "my acct"), ("confirm", "yes")))
    assert spell_ref(unlink) == "`/margin unlink account:my acct confirm:True`"
    assert text_command(unlink) == '/unlink "my acct" confirm=yes'
    assert spell_ref(CommandRef("setalerts")) == "`/margin-admin setalerts`"
    assert spell_ref(CommandRef("status", usage=True)) == "`/margin status [account]`"
    # Discord renders no mention in a title: the name stands in, never the id.
    assert discord_text(fill("{member} joined", member=UserRef(ALICE_ID, "Al*ce")), 99) == (
        f"<@{ALICE_ID}> joined"
    )
    assert discord_text(
        fill("{member} joined", member=UserRef(ALICE_ID, "Al*ce")), 99, mentions=False
    ) == ("Al\\*ce joined")


def test_a_ref_slot_refuses_a_raw_id() -> None:
    with pytest.raises(TypeError):
        fill(texts.SETALERTS_DONE, channel=CHANNEL)
    with pytest.raises(TypeError):
        fill(texts.REMOVE_NONE, member=ALICE_ID)


def test_a_long_echo_is_cut_and_the_reason_kept() -> None:
    sentence = fill(texts.LINK_BAD_LABEL, label="x" * 10_000)
    assert sentence.startswith("A label is 1 to 32 letters")
    assert sentence.endswith("…' is not.")
    assert len(sentence) < 200


# ------------------------------------------------------------------ real use cases, both chats


def _discord(user: str, *, moderator: bool = False, private: bool = False) -> Caller:
    return Caller(
        platform="discord",
        user_id=user,
        chat_id=user if private else CHANNEL,
        is_private_chat=private,
        is_moderator=moderator,
        display_name="Alice" if user == ALICE_ID else "Mod",
        community_id=None if private else GUILD,
        can_reply_privately=True,
    )


def _telegram(user: str, *, moderator: bool = False, private: bool = False) -> Caller:
    return Caller(
        platform="telegram",
        user_id=user,
        chat_id=user if private else GROUP,
        is_private_chat=private,
        is_moderator=moderator,
        display_name="Alice" if user == TG_ALICE else "Mod",
        community_id=None if private else GROUP,
    )


async def _replies(core: Core, platform: str) -> list[Message]:
    """What a member and a moderator of one community read over a day of using the bot."""
    make, alice_id, mod_id = (
        (_discord, ALICE_ID, MOD_ID) if platform == "discord" else (_telegram, TG_ALICE, TG_MOD)
    )
    alice_dm, alice, mod = (
        make(alice_id, private=True),
        make(alice_id),
        make(mod_id, moderator=True),
    )
    other_channel = CHANNEL if platform == "discord" else "-1009876543210"
    out = [
        await core.run(alice_dm, "accounts", {}),
        await core.run(alice_dm, "status", {}),
        await core.run(alice_dm, "help", {}),
        await core.run(alice, "subscribe", {}),
    ]
    await core.link(alice_dm, "kraken", "main", ALICE_KRAKEN)
    out += [
        await core.run(alice, "subscribe", {}),  # no alert channel yet
        await core.run(mod, "setalerts", {}),
        await core.run(mod, "setalerts", {"channel": other_channel}),
        await core.run(alice_dm, "share", {"level": "state"}),
        await core.run(alice, "subscribe", {"account": "main"}),
        await core.run(mod, "settings", {}),
        await core.run(mod, "subscribers", {}),
        await core.run(mod, "remove", {"member": alice_id}),
        await core.run(mod, "remove", {"member": alice_id}),  # nothing left to remove
        await core.run(alice_dm, "digest", {}),
        await core.run(alice_dm, "unlink", {"account": "main"}),
        await core.run(alice_dm, "deletemydata", {}),
        await core.run(alice_dm, "alerts", {"watch": "x" * 10_000}),
        await core.run(alice_dm, "chart", {"days": "500"}),
        await core.run(mod, "help", {}),
    ]
    if platform == "discord":
        out.append(await core.run(mod, "settings", {"role": ROLE}))
        out.append(await core.run(mod, "settings", {}))
    out.append(await core.run(mod, "audit", {}))
    event = AlertEvent(1, "main", "kraken", "escalation", "critical", "ok", "critical", "k", 0.0)
    out.append(render_event(event, "state", owner="Alice", owner_id=alice_id))
    out.append(render_event(event, "state", owner=alice_id, owner_id=alice_id))  # no name known
    return out


async def test_what_discord_users_read_has_discord_spellings_and_mentions(
    core: Core, store: Store
) -> None:
    replies = await _replies(core, "discord")
    shown = [discord_shows(reply) for reply in replies]
    for text in shown:
        assert telegram_commands_in(text) == [], text
        assert raw_ids_in(text, allowed=DISCORD_MENTIONS) == [], text
    everything = "\n".join(shown)
    assert f"<#{CHANNEL}>" in everything  # the alert channel, settings and audit
    assert f"<@&{ROLE}>" in everything  # the moderator role
    assert f"<@{ALICE_ID}>" in everything  # the member removed, in the list and the log
    assert "`/margin link`" in everything and "`/margin-admin setalerts`" in everything
    assert "`/margin unlink account:main confirm:True`" in everything
    assert "`/margin status [account]`" in everything  # help
    # The refusal of a 10,000-character value still says what is wrong.
    [refused] = [t for t in shown if "Watch must be a percentage" in t]
    assert len(refused) < 400


async def test_what_telegram_users_read_has_telegram_spellings_and_no_ids(
    core: Core, store: Store
) -> None:
    replies = await _replies(core, "telegram")
    shown = [telegram_shows(reply) for reply in replies]
    for text in shown:
        assert "/margin" not in text, text
        assert raw_ids_in(text, allowed=TELEGRAM_MENTIONS) == [], text
    everything = "\n".join(shown)
    assert f'<a href="tg://user?id={TG_ALICE}">Alice</a>' in everything
    assert "/link" in everything and "/setalerts" in everything
    assert "<code>/unlink main confirm=yes</code>" in everything
    assert "this chat" in everything and "another chat" in everything
