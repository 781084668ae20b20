"""The console chat: neutral messages rendered for a terminal (the demo, runs without tokens)."""

from bot.chat.console.render import badge, render
from bot.chat.console.transport import ConsoleTransport

__all__ = ["ConsoleTransport", "badge", "render"]
