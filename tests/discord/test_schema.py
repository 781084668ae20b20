"""The exported command schema: snapshot, documentation completeness, sync only on change."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from types import SimpleNamespace

from bot.chat.discord.commands import (
    build_groups,
    command_table,
    discord_commands,
    exported_schema,
    schema_hash,
    slash_usage,
)
from bot.chat.discord.frontend import DiscordFrontEnd, FileStamp, MemoryStamp
from bot.chat.discord.render import discord_text
from bot.core import registry
from bot.core.refs import join
from bot.core.registry import Audience
from bot.exchanges.registry import SUPPORTED_VENUES
from tests.discord.conftest import TOKEN, RecordingCore
from tests.fakes.discord_api import FakeDiscord

SNAPSHOT = Path(__file__).with_name("command_schema.json")


def _tree_of(front: DiscordFrontEnd):  # type: ignore[no-untyped-def]
    for group in build_groups(front):
        front.client.tree.add_command(group)
    return front.client.tree


# The venue list belongs to the exchanges package and grows on its own; the snapshot pins the
# adapter's schema with a fixed catalogue, and the test below checks the live list separately.
_SNAPSHOT_VENUES = {
    "bybit": SimpleNamespace(label="Bybit"),
    "kraken": SimpleNamespace(label="Kraken"),
}


def test_exported_schema_matches_the_snapshot() -> None:
    """A changed schema means Discord re-registers commands; make that a reviewed decision.
    Regenerate with MARGINWATCH_UPDATE_SNAPSHOTS=1 after checking the diff."""
    core = RecordingCore(venues=_SNAPSHOT_VENUES)
    schema = exported_schema(_tree_of(DiscordFrontEnd(core, TOKEN)))
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if os.environ.get("MARGINWATCH_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()


async def test_link_suggests_every_venue_and_any_other_exchange_as_generic() -> None:
    tree = _tree_of(DiscordFrontEnd(RecordingCore(venues=SUPPORTED_VENUES), TOKEN))
    link = tree.get_command("margin").get_command("link")  # type: ignore[union-attr]
    venue = link.get_parameter("venue")
    assert venue.autocomplete and not venue.choices  # free text: generic:<id> is any of ccxt's
    assert venue.required
    everything = await link._params["venue"].autocomplete(None, "")  # type: ignore[misc]
    assert [(c.value, c.name) for c in everything] == [
        (v, info.label) for v, info in SUPPORTED_VENUES.items()
    ]
    kraken = await link._params["venue"].autocomplete(None, "krak")  # type: ignore[misc]
    assert [c.value for c in kraken] == ["kraken", "krakenfutures", "generic:krak"]
    assert [c.value for c in await link._params["venue"].autocomplete(None, "kraken")] == [
        "kraken",
        "krakenfutures",
    ]
    [kucoin] = await link._params["venue"].autocomplete(None, "kucoin")  # type: ignore[misc]
    assert kucoin.value == "generic:kucoin" and "approximate" in kucoin.name


def test_every_command_and_option_has_a_description_a_help_entry_and_a_table_row() -> None:
    tree = _tree_of(DiscordFrontEnd(RecordingCore(), TOKEN))
    # Core's help, as the Discord renderer spells it.
    help_text = discord_text(join("\n", registry.help_lines("discord", tuple(Audience))), 6000)
    table = "\n".join(command_table())
    exported = {cmd.qualified_name: cmd for cmd in tree.walk_commands()}
    for command in discord_commands():
        usage = slash_usage(command)
        slash = exported[usage.split(" [")[0].split(" <")[0].lstrip("/")]
        assert slash.description and slash.description != "…", usage
        for parameter in slash.parameters:
            assert parameter.description and parameter.description != "…", (usage, parameter)
        assert f"`{usage}` — {command.description}" in help_text, usage
        assert f"`{usage}`" in table, usage
    # and nothing exported that the registry does not know
    leaves = [c for c in tree.walk_commands() if not hasattr(c, "commands")]
    assert len(leaves) == len(discord_commands())


def test_moderator_group_is_hinted_and_checked() -> None:
    tree = _tree_of(DiscordFrontEnd(RecordingCore(), TOKEN))
    admin = tree.get_command("margin-admin")
    assert admin is not None
    payload = admin.to_dict(tree)
    assert payload["default_member_permissions"] == 1 << 5  # Manage Server, a hint only
    assert payload["dm_permission"] is False  # guild only
    for command in admin.commands:  # type: ignore[attr-defined]
        assert command.checks, f"/margin-admin {command.name} has no run-time check"


async def test_commands_are_synced_only_when_the_schema_changed(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    stamp = FileStamp(tmp_path / "discord-schema.sha256")

    async def start_and_stop() -> DiscordFrontEnd:
        front = DiscordFrontEnd(
            RecordingCore(), TOKEN, stamp=stamp, client_options={"guild_ready_timeout": 0.05}
        )
        task = asyncio.create_task(front.run())
        await front.wait_ready(5)
        await front.stop()
        await asyncio.wait_for(task, 5)
        return front

    first = await start_and_stop()
    assert first.client.synced is True
    assert fake_discord.command_puts == 1
    assert stamp.load() == schema_hash(first.client.tree)
    assert [c["name"] for c in fake_discord.commands] == ["margin", "margin-admin"]

    second = await start_and_stop()
    assert second.client.synced is False
    assert fake_discord.command_puts == 1  # restart with the same commands: no PUT

    stamp.save("0" * 64)  # e.g. a new release changed an option
    third = await start_and_stop()
    assert third.client.synced is True
    assert fake_discord.command_puts == 2


async def test_a_failed_sync_keeps_the_bot_running_and_is_retried_next_start(
    fake_discord: FakeDiscord,
) -> None:
    stamp = MemoryStamp()
    fake_discord.fail_next("PUT", r"/applications/\d+/commands$", 403)
    front = DiscordFrontEnd(
        RecordingCore(), TOKEN, stamp=stamp, client_options={"guild_ready_timeout": 0.05}
    )
    task = front.start()
    await front.wait_ready(5)
    assert front.client.synced is None and stamp.load() is None
    assert await front.sync_if_changed() is True  # a later try (next start) pushes them
    assert stamp.load() == schema_hash(front.client.tree)
    await front.stop()
    await asyncio.wait_for(task, 5)
