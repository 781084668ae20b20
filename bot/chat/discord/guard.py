"""A key pasted into a server channel is deleted at once and its author told to replace it."""

from __future__ import annotations

import logging

import discord

from bot.chat.discord.render import discord_text
from bot.core import texts
from bot.core.keyguard import looks_like_secret
from bot.core.refs import UserRef, fill

log = logging.getLogger(__name__)


async def guard_message(message: discord.Message) -> bool:
    """Delete ``message`` if it looks like it holds an API key or secret; True if it did.

    Only server channels: in a DM with the bot nobody else reads it. Reading message text needs
    the privileged Message Content intent, so this runs only when the operator enabled it.
    """
    if message.guild is None or message.author.bot:
        return False
    if not looks_like_secret(message.content):
        return False
    try:
        await message.delete()
    except discord.HTTPException as exc:  # no Manage Messages here: still warn the author
        log.warning("discord: could not delete a message holding a key (HTTP %s)", exc.status)
    author = UserRef(str(message.author.id), message.author.display_name)
    warning = discord_text(fill(texts.KEY_IN_GROUP_DELETED, member=author), 2000)
    try:
        await message.channel.send(
            warning, allowed_mentions=discord.AllowedMentions(users=[message.author])
        )
    except discord.HTTPException as exc:
        log.warning("discord: could not warn about a pasted key (HTTP %s)", exc.status)
    return True
