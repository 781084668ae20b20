"""The slash commands, generated from core's one command registry: /margin … and /margin-admin …."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core import registry, texts
from bot.core.refs import CommandRef
from bot.core.registry import ArgType, Argument, Audience, Choice, Command

PLATFORM = "discord"
MEMBER_GROUP = "margin"
ADMIN_GROUP = "margin-admin"
MEMBER_GROUP_DESCRIPTION = "Watch your exchange accounts and get warned before liquidation"
ADMIN_GROUP_DESCRIPTION = "Moderators: alert channel, community defaults and subscribers"

# Discord's limits for commands and options (the API answers 400 otherwise).
AUTOCOMPLETE_LIMIT = 25  # suggestions listed for an autocompleted option
DESCRIPTION_MAX = 100  # a command's or option's description
CHOICE_MAX = 100  # a choice's (or suggestion's) name and string value
# Options whose values core suggests while they are typed (see Core.suggest).
SUGGESTED = frozenset(
    {ArgType.ACCOUNT, ArgType.VENUE, ArgType.VENUES, ArgType.TIMEZONE, ArgType.TIME}
)


class NotModerator(app_commands.CheckFailure):
    """The caller lacks Manage Server and the community's moderator role."""


class Runner(Protocol):
    """What the generated commands call; :class:`bot.chat.discord.frontend.DiscordFrontEnd`."""

    async def run_command(
        self, interaction: discord.Interaction, command: Command, values: dict[str, str | None]
    ) -> None: ...

    async def open_link_modal(
        self, interaction: discord.Interaction, values: dict[str, str | None]
    ) -> None: ...

    async def suggest(
        self, interaction: discord.Interaction, kind: ArgType, typed: str
    ) -> Sequence[Choice]: ...

    async def is_moderator(self, interaction: discord.Interaction) -> bool: ...


def discord_commands() -> tuple[Command, ...]:
    """The registry's commands that Discord offers, in registry order."""
    return registry.commands_for(PLATFORM)


def group_of(command: Command) -> str:
    return ADMIN_GROUP if command.audience is Audience.MODERATOR else MEMBER_GROUP


def slash_path(command: Command) -> str:
    """``/margin status`` — how a Discord user types the command."""
    return f"/{group_of(command)} {command.name}"


def slash_usage(command: Command) -> str:
    """``/margin status [account]``: required options in <>, optional in []."""
    parts = [slash_path(command)]
    parts += [f"<{a.name}>" if a.required else f"[{a.name}]" for a in command.arguments]
    return " ".join(parts)


def spell_command(ref: CommandRef) -> str:
    """A command reference as a Discord user types it: ``/margin unlink account:main
    confirm:True`` (options as ``name:value`` in the order Discord lists them; a yes/no as
    the True/False Discord's client offers)."""
    try:
        command = registry.command(ref.name)
    except KeyError:
        return f"/{MEMBER_GROUP} {ref.name}"
    if ref.usage:
        return slash_usage(command)
    given = dict(ref.options)
    words = [slash_path(command)]
    for arg in command.arguments:
        if arg.name in given:
            value = given[arg.name]
            if arg.type is ArgType.BOOLEAN:
                value = "True" if value.strip().lower() in {"yes", "true", "on", "1"} else "False"
            words.append(f"{arg.name}:{value}")
    return " ".join(words)


def command_table() -> tuple[str, ...]:
    """The README's Discord command table: one Markdown row per slash command, header first."""
    rows = ["| Discord command | Who | What it does |", "|---|---|---|"]
    rows += [
        f"| `{slash_usage(c)}` | {c.audience.value} | {c.description} |" for c in discord_commands()
    ]
    return tuple(rows)


# ------------------------------------------------------------------ option types


class ChannelOption(app_commands.Transformer):
    """A text channel or thread, taken from the interaction's resolved data (no cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [
            discord.ChannelType.text,
            discord.ChannelType.news,
            discord.ChannelType.public_thread,
            discord.ChannelType.private_thread,
            discord.ChannelType.news_thread,
        ]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        return str(value.id)


def _annotation(arg: Argument) -> Any:
    # Bounds go into the schema, so Discord's client refuses an out-of-range value before it
    # is sent; core checks them again (a stale client may not know them).
    if arg.type is ArgType.INTEGER:
        if arg.minimum is not None or arg.maximum is not None:
            return app_commands.Range[int, _bound(arg.minimum), _bound(arg.maximum)]
        return int
    if arg.type is ArgType.PERCENT and (arg.minimum is not None or arg.maximum is not None):
        return app_commands.Range[float, arg.minimum, arg.maximum]
    if arg.type is ArgType.TEXT and arg.max_length is not None:
        return app_commands.Range[str, 1, arg.max_length]
    if arg.type is ArgType.BOOLEAN:
        return bool
    if arg.type is ArgType.USER:
        return discord.User
    if arg.type is ArgType.ROLE:
        return discord.Role
    if arg.type is ArgType.CHANNEL:
        return app_commands.Transform[str, ChannelOption]
    return str


def _bound(value: float | None) -> int | None:
    return None if value is None else int(value)


def to_core_value(value: Any) -> str | None:
    """Core receives every argument as text and validates it itself (both chats refuse alike)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, discord.Role) and value.is_default():
        return "none"  # a role option cannot be left empty on purpose: @everyone clears it
    if isinstance(value, discord.abc.Snowflake):
        return str(value.id)
    return str(value)


def _choices_for(arg: Argument) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=_clip(c.label), value=c.value) for c in arg.choices]


def _clip(text: str, limit: int = CHOICE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ building the tree


def _callback_for(command: Command, runner: Runner) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        values = {name: to_core_value(value) for name, value in options.items()}
        if command.name == "link":
            await runner.open_link_modal(interaction, values)
        else:
            await runner.run_command(interaction, command, values)

    # discord.py reads the options from the callback's signature; give it one per argument.
    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for arg in command.arguments:
        params.append(
            inspect.Parameter(
                arg.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=_annotation(arg),
                default=inspect.Parameter.empty if arg.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = command.name.replace("-", "_")
    return callback


def _autocomplete(runner: Runner, kind: ArgType) -> Callable[..., Awaitable[list[Any]]]:
    async def suggest(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await runner.suggest(interaction, kind, current or "")
        return [
            app_commands.Choice(name=_clip(c.label), value=c.value)
            for c in found
            if len(c.value) <= CHOICE_MAX  # Discord refuses the whole answer otherwise
        ][:AUTOCOMPLETE_LIMIT]

    return suggest


def _moderator_check(runner: Runner) -> Callable[[discord.Interaction], Awaitable[bool]]:
    async def predicate(interaction: discord.Interaction) -> bool:
        # Checked on every call: default_permissions is only a hint server admins can override.
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage(texts.NEEDS_COMMUNITY)
        if not await runner.is_moderator(interaction):
            raise NotModerator(texts.NEEDS_MODERATOR)
        return True

    return predicate


def build_command(
    command: Command, runner: Runner, parent: app_commands.Group
) -> app_commands.Command[Any, ..., None]:
    callback = _callback_for(command, runner)
    describe = {a.name: a.description for a in command.arguments}
    if describe:
        callback = app_commands.describe(**describe)(callback)
    choices = {a.name: _choices_for(a) for a in command.arguments}
    choices = {name: options for name, options in choices.items() if options}
    if choices:
        callback = app_commands.choices(**choices)(callback)
    suggested = {
        a.name: _autocomplete(runner, a.type)
        for a in command.arguments
        if a.type in SUGGESTED and not a.choices
    }
    if suggested:
        callback = app_commands.autocomplete(**suggested)(callback)
    slash = app_commands.Command(
        name=command.name,
        description=command.description,
        callback=callback,
        parent=parent,
        extras={"registry": command},
    )
    if command.audience is Audience.MODERATOR:
        slash.add_check(_moderator_check(runner))
    parent.add_command(slash)
    return slash


def build_groups(runner: Runner) -> tuple[app_commands.Group, app_commands.Group]:
    """The two top-level groups with one subcommand per registry command."""
    members = app_commands.Group(name=MEMBER_GROUP, description=MEMBER_GROUP_DESCRIPTION)
    admins = app_commands.Group(
        name=ADMIN_GROUP,
        description=ADMIN_GROUP_DESCRIPTION,
        guild_only=True,
        # A hint so Discord hides the group from ordinary members; enforced by the check.
        default_permissions=discord.Permissions(manage_guild=True),
    )
    for command in discord_commands():
        build_command(command, runner, admins if group_of(command) == ADMIN_GROUP else members)
    return members, admins


def exported_schema(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """Exactly what ``tree.sync()`` would PUT to Discord, in a stable order."""
    return sorted((c.to_dict(tree) for c in tree.get_commands()), key=lambda c: c["name"])


def schema_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A fingerprint of the exported commands: it changes iff a sync would change anything."""
    canonical = json.dumps(exported_schema(tree), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
