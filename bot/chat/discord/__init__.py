"""Discord front end: slash commands over core, and the outbox transport for Discord."""

from bot.chat.discord.commands import command_table, schema_hash
from bot.chat.discord.frontend import DiscordFrontEnd, FileStamp, MemoryStamp
from bot.chat.discord.transport import DiscordTransport

__all__ = [
    "DiscordFrontEnd",
    "DiscordTransport",
    "FileStamp",
    "MemoryStamp",
    "command_table",
    "schema_hash",
]
