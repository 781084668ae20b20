"""The modal that collects an exchange key, so a key never appears in a channel message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.core.format import clip_words

OnSubmit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]

# Discord's limits: five inputs per modal, 45 characters per title and label.
_MAX_INPUTS = 5
MAX_TITLE = 45


class LinkModal(discord.ui.Modal):
    """One required text input per credential field core asks for (``(name, label)`` pairs);
    ``on_submit`` hands ``{name: value}`` to the adapter.

    The values live only in this object for the length of one call: never logged, never echoed.
    """

    def __init__(
        self, *, title: str, fields: tuple[tuple[str, str], ...], on_submit: OnSubmit
    ) -> None:
        # Core's LinkForm.title(MAX_TITLE) already fits; never cut a word in half regardless.
        super().__init__(title=clip_words(title, MAX_TITLE), timeout=15 * 60)
        self._on_submit = on_submit
        self.inputs: dict[str, discord.ui.TextInput[LinkModal]] = {}
        for name, label in fields[:_MAX_INPUTS]:
            text_input: discord.ui.TextInput[LinkModal] = discord.ui.TextInput(
                label=label[:MAX_TITLE],
                custom_id=name,
                required=True,
                max_length=512,
                style=discord.TextStyle.short,
            )
            self.inputs[name] = text_input
            self.add_item(text_input)

    def __repr__(self) -> str:  # the default repr lists children and their typed values
        return f"<LinkModal fields={list(self.inputs)}>"

    async def on_submit(self, interaction: discord.Interaction) -> None:
        values = {name: item.value for name, item in self.inputs.items() if item.value}
        await self._on_submit(interaction, values)
