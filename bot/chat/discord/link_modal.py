"""The modal that collects an exchange key, so a key never appears in a channel message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.core import texts

# The credential fields a modal can ask for, in the order shown; a venue uses a subset.
CREDENTIAL_FIELDS: tuple[str, ...] = ("api_key", "secret", "passphrase", "wallet_address")
DEFAULT_FIELDS: tuple[str, ...] = ("api_key", "secret", "passphrase")

OnSubmit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]


class LinkModal(discord.ui.Modal):
    """One text input per credential field; ``on_submit`` hands the values to the adapter.

    The values live only in this object for the length of one call: never logged, never echoed.
    """

    def __init__(
        self,
        *,
        venue: str,
        fields: tuple[str, ...],
        required: frozenset[str],
        on_submit: OnSubmit,
    ) -> None:
        super().__init__(title=f"{texts.LINK_TITLE}: {venue}"[:45], timeout=15 * 60)
        self._on_submit = on_submit
        self.inputs: dict[str, discord.ui.TextInput[LinkModal]] = {}
        for name in fields[:5]:  # Discord allows five inputs per modal
            text_input: discord.ui.TextInput[LinkModal] = discord.ui.TextInput(
                label=texts.LINK_FIELD_NAMES.get(name, name)[:45],
                custom_id=name,
                required=name in required,
                max_length=512,
                style=discord.TextStyle.short,
            )
            self.inputs[name] = text_input
            self.add_item(text_input)

    def __repr__(self) -> str:  # the default repr lists children and their typed values
        return f"<LinkModal fields={list(self.inputs)}>"

    async def on_submit(self, interaction: discord.Interaction) -> None:
        values = {name: item.value.strip() for name, item in self.inputs.items() if item.value}
        await self._on_submit(interaction, values)
