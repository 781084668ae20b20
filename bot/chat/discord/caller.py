"""Who is asking on Discord: a core Caller built from an interaction, moderator right included."""

from __future__ import annotations

from collections.abc import Collection

import discord

from bot.core.identity import Caller


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


def caller_for(interaction: discord.Interaction, *, moderator: bool) -> Caller:
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
    )
