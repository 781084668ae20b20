"""Neutral core messages rendered as Discord embeds, attachments and buttons."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import discord

from bot.chat.discord.commands import spell_command
from bot.core import texts
from bot.core.messages import Action, Message, Severity
from bot.core.refs import ChannelRef, CommandRef, Ref, RoleRef, UserRef, join, parts_of, plain

# Calm to loud, like the severities themselves: green for fine, red for about to be liquidated.
SEVERITY_COLOURS: dict[Severity, int] = {
    "info": 0x5865F2,  # Discord blurple: neutral information
    "ok": 0x2ECC71,
    "watch": 0xF1C40F,
    "margin_call": 0xE67E22,
    "critical": 0xE74C3C,
    "error": 0x99AAB5,  # a refusal or failure is grey: it is about the bot, not the account
}

# Discord's hard limits; exceeding any of them makes the whole request fail with 400.
_TITLE_MAX = 256
_DESCRIPTION_MAX = 4096
_FIELDS_MAX = 25
_FIELD_NAME_MAX = 256
_FIELD_VALUE_MAX = 1024
_FOOTER_MAX = 2048
_LABEL_MAX = 80


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snowflake(value: str) -> bool:
    return value.isascii() and value.isdigit()


def spell_ref(ref: Ref, *, mentions: bool = True) -> str:
    """A reference as Discord shows it: a command in a code span, channels, roles and people as
    mentions (which Discord renders as names, and which ping nobody inside an embed).
    ``mentions=False`` where Discord renders no mentions (embed titles, footers)."""
    if isinstance(ref, CommandRef):
        spelled = spell_command(ref)
        return f"`{spelled}`" if mentions else spelled
    if mentions and isinstance(ref, ChannelRef) and _snowflake(ref.thread_id or ref.id):
        return f"<#{ref.thread_id or ref.id}>"
    if mentions and isinstance(ref, RoleRef) and _snowflake(ref.id):
        return f"<@&{ref.id}>"
    if mentions and isinstance(ref, UserRef) and _snowflake(ref.id):
        return f"<@{ref.id}>"
    if isinstance(ref, UserRef):
        return discord.utils.escape_markdown(ref.name or texts.REF_MEMBER)
    return discord.utils.escape_markdown(plain(ref))


def discord_text(text: str, limit: int, *, mentions: bool = True, escape: bool = True) -> str:
    """``text`` in Discord's spelling within ``limit`` characters.

    Plain parts are escaped (a label must not turn into Markdown); a reference is kept whole or
    left out, never cut, so a clipped line cannot end in half a mention.
    """
    out: list[str] = []
    used = 0
    pieces = parts_of(text)
    for index, part in enumerate(pieces):
        if isinstance(part, str):
            piece = discord.utils.escape_markdown(part) if escape else part
        else:
            piece = spell_ref(part, mentions=mentions)
        room = limit - used - (1 if index < len(pieces) - 1 else 0)
        if len(piece) <= room:
            out.append(piece)
            used += len(piece)
            continue
        if isinstance(part, str) and room > 1:
            cut = piece[: room - 1]
            if escape:  # never end on a lone escaping backslash
                cut = cut.rstrip("\\")
            out.append(cut)
        out.append("…")
        break
    return "".join(out)


def _plain(text: str, limit: int) -> str:
    """Core's text with its references spelled for Discord, Markdown in plain parts escaped."""
    return discord_text(text, limit)


def embed_for(message: Message) -> discord.Embed:
    """The embed showing ``message``; its colour says the severity."""
    embed = discord.Embed(
        title=discord_text(message.heading, _TITLE_MAX, mentions=False),
        description=_plain(join("\n", message.lines), _DESCRIPTION_MAX) or None,
        colour=SEVERITY_COLOURS.get(message.severity, SEVERITY_COLOURS["info"]),
    )
    for item in message.fields[:_FIELDS_MAX]:
        embed.add_field(
            name=_plain(item.name, _FIELD_NAME_MAX) or "\u200b",
            value=_plain(item.value, _FIELD_VALUE_MAX) or "\u200b",
            inline=item.inline,
        )
    if message.footer:
        # Footers show no Markdown and no mentions.
        embed.set_footer(
            text=discord_text(message.footer, _FOOTER_MAX, mentions=False, escape=False)
        )
    if message.image is not None:
        embed.set_image(url=f"attachment://{message.image.filename}")
    return embed


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^mw:.+$"):
    """A button carrying a core :class:`Action`. Being a dynamic item it keeps working after a
    restart: discord.py rebuilds it from the ``custom_id`` of any message that has one."""

    def __init__(self, action: Action) -> None:
        self.action = action
        style = discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=_clip(action.label or action.id.name.replace("_", " ").lower(), _LABEL_MAX),
                style=style,
                custom_id=action.encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: Any, /
    ) -> ActionButton:
        action = Action.decode(item.custom_id or "")
        if action is None:  # the template matched but the payload is not ours any more
            raise ValueError("not a marginwatch action")
        return cls(Action(action.id, item.label or "", action.args))

    async def callback(self, interaction: discord.Interaction) -> None:
        # The adapter installs the real handler on the client; see DiscordFrontEnd.
        handler = getattr(interaction.client, "handle_action", None)
        if handler is not None:
            await handler(interaction, self.action)


def view_for(message: Message) -> discord.ui.View | None:
    """Buttons for the message's actions (five per row, Discord's limit), or None."""
    if not message.actions:
        return None
    view = discord.ui.View(timeout=None)
    for action in message.actions[:25]:
        view.add_item(ActionButton(action))
    return view


@dataclass(frozen=True)
class Rendered:
    """Everything one ``send`` needs; ``kwargs()`` fits channel, webhook and response sends."""

    embed: discord.Embed
    file: discord.File | None
    view: discord.ui.View | None
    silent: bool
    content: str | None = None

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"embed": self.embed, "silent": self.silent}
        if self.file is not None:
            out["file"] = self.file
        if self.view is not None:
            out["view"] = self.view
        if self.content:
            out["content"] = self.content
        return out


def render(message: Message, *, content: str | None = None) -> Rendered:
    """Render ``message``; ``content`` is plain text above the embed (a role mention)."""
    file = None
    if message.image is not None:
        file = discord.File(
            io.BytesIO(message.image.data),
            filename=message.image.filename,
            description=message.image.description or None,
        )
    return Rendered(embed_for(message), file, view_for(message), message.silent, content)
