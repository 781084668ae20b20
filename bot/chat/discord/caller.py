"""Who is asking on Discord: a core Caller built from an interaction, moderator right included."""

from __future__ import annotations

from collections.abc import Collection

import discord

from bot.core.identity import Caller, ChatLookup, ChatTarget


def has_manage_server(interaction: discord.Interaction) -> bool:
    """Manage Server (or Administrator, which implies it) as Discord resolved it for this call."""
    if interaction.guild_id is None:
        return False
    permissions = interaction.permissions
    return permissions.manage_guild or permissions.administrator


def role_ids(interaction: discord.Interaction) -> tuple[str, ...]:
    user = interaction.user
    if isinstance(user, discord.Member):
        return tuple(str(role.id) for role in user.roles if role.id != interaction.guild_id)
    return ()


def is_moderator(interaction: discord.Interaction, moderator_roles: Collection[str]) -> bool:
    """Manage Server, or one of the roles this server configured as moderators."""
    if interaction.guild_id is None:
        return False
    if has_manage_server(interaction):
        return True
    return bool(set(role_ids(interaction)) & set(moderator_roles))


class DiscordChannels:
    """``Caller.chats`` on Discord: which server a channel named in an option belongs to.

    From the client's cache (filled by the gateway), else asked of Discord (GET /channels/{id});
    a channel the bot cannot see is not found. Discord's own picker offers only the server's
    channels, but the interaction's data is not where a server's boundary is enforced: here is.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def alert_target(self, chat: str) -> ChatTarget:
        if not (chat.isascii() and chat.isdigit()):
            return ChatTarget(chat, found=False)
        channel = self._client.get_channel(int(chat))
        if channel is None:
            try:
                channel = await self._client.fetch_channel(int(chat))
            except (discord.NotFound, discord.Forbidden, discord.InvalidData):
                return ChatTarget(chat, found=False)
        guild = getattr(channel, "guild", None)
        if guild is None:  # a DM or a group DM
            return ChatTarget(chat, kind="private")
        return ChatTarget(chat, community_id=str(guild.id), name=getattr(channel, "name", ""))


def caller_for(
    interaction: discord.Interaction, *, moderator: bool, chats: ChatLookup | None = None
) -> Caller:
    """The core Caller for ``interaction``; replies can always be private (ephemeral)."""
    guild_id = interaction.guild_id
    return Caller(
        platform="discord",
        user_id=str(interaction.user.id),
        chat_id=str(interaction.channel_id or interaction.user.id),
        is_private_chat=guild_id is None,
        is_moderator=moderator,
        display_name=interaction.user.display_name,
        community_id=str(guild_id) if guild_id is not None else None,
        can_reply_privately=True,
        role_ids=role_ids(interaction),
        chats=chats,
    )
