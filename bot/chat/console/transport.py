"""Deliver outbox messages to a terminal stream: the console's side of the send seam."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.chat.console.render import render
from bot.core.delivery import Destination
from bot.core.messages import Message


class ConsoleTransport:
    """Prints each delivered message; ``on_delivered`` lets the demo count what arrived."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        colour: bool | None = None,
        on_delivered: Callable[[Destination, Message], None] | None = None,
    ) -> None:
        self.stream = stream or sys.stdout
        self.colour = self.stream.isatty() if colour is None else colour
        self.on_delivered = on_delivered
        self.delivered: list[Message] = []

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        self.stream.write(render(message, colour=self.colour) + "\n\n")
        self.stream.flush()
        self.delivered.append(message)
        if self.on_delivered is not None:
            self.on_delivered(destination, message)
