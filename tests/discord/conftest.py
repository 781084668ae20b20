"""Fixtures for the Discord front end: the fake Discord and a real discord.py client on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

from bot.chat.discord.frontend import DiscordFrontEnd, MemoryStamp
from bot.core import registry, suggest, texts
from bot.core.flood import Admission, FloodGate
from bot.core.identity import Caller
from bot.core.messages import Action, Message, Refusal, message
from bot.core.refs import fill
from bot.core.registry import ArgType, Choice
from bot.core.usecases import LinkField, LinkForm
from bot.exchanges.registry import SUPPORTED_VENUES
from tests.fakes.discord_api import FakeDiscord, make_guild, redirect_discord

TOKEN = "fake-token"  # the fake accepts any token


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord([make_guild("Traders")]) as fake:
        with redirect_discord(fake):
            yield fake


@dataclass
class Call:
    usecase: str
    caller: Caller
    values: dict[str, Any]


@dataclass
class RecordingCore:
    """Stands in for core in adapter tests: records what the adapter passed and answers with a
    message naming the use case. The end-to-end test uses the real core."""

    calls: list[Call] = field(default_factory=list)
    labels: tuple[str, ...] = ("main", "hedge", "kraken-spot")
    taken_labels: set[str] = field(default_factory=set)  # prepare_link refuses these
    moderator_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    forgotten: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, Callable[..., Message]] = field(default_factory=dict)
    venues: Any = field(default_factory=lambda: SUPPORTED_VENUES)
    flood: FloodGate = field(default_factory=FloodGate)  # core's own flood control

    def admit(self, caller: Caller, *, must_answer: bool = False) -> Admission:
        return self.flood.admit(caller, must_answer=must_answer)

    async def run(self, caller: Caller, name: str, arguments: dict[str, Any]) -> Message:
        usecase = registry.command(name).usecase
        self.calls.append(Call(usecase, caller, dict(arguments)))
        if usecase == "help" and usecase not in self.answers:  # core's own help, worded alike
            audiences = [registry.Audience.PRIVATE, registry.Audience.MEMBER]
            if caller.is_moderator:
                audiences.append(registry.Audience.MODERATOR)
            lines = registry.help_lines(caller.platform, audiences)
            return message(texts.HELP_TITLE, lines=(texts.HELP_INTRO, *lines), private=True)
        if usecase in self.answers:
            try:
                return self.answers[usecase](caller, **arguments)
            except Refusal as refusal:  # as the real core.run does
                return refusal.to_message()
        return message(f"{usecase} done", "ok", lines=(f"values: {sorted(arguments)}",))

    def link_form(self, venue: str) -> LinkForm:
        if venue not in self.venues:
            raise Refusal(fill(texts.LINK_UNKNOWN_VENUE, venue=venue, venues="bybit"))
        fields = tuple(LinkField(n, texts.LINK_FIELD_NAMES[n], "") for n in ("api_key", "secret"))
        return LinkForm(venue, self.venues[venue].label, fields, "")

    async def prepare_link(
        self, caller: Caller, venue: str | None, label: str | None = None
    ) -> LinkForm:
        self.calls.append(Call("prepare_link", caller, {"venue": venue, "label": label}))
        if label is not None and label in self.taken_labels:
            raise Refusal(fill(texts.LINK_LABEL_TAKEN, label=label))
        return self.link_form(venue or "")

    async def link(
        self, caller: Caller, venue: str, label: str | None, credentials: dict[str, str]
    ) -> Message:
        self.calls.append(Call("link", caller, {"venue": venue, "label": label, **credentials}))
        return message(texts.LINK_DONE.format(label=label, venue=venue), "ok", private=True)

    async def suggest(self, caller: Caller | None, kind: ArgType, typed: str) -> tuple[Choice, ...]:
        self.calls.append(Call("suggest", caller, {"kind": kind, "typed": typed}))
        if kind is ArgType.ACCOUNT:
            wanted = typed.casefold()
            return tuple(Choice(v, v) for v in self.labels if wanted in v.casefold())
        if kind is ArgType.VENUE:
            found = suggest.venues(self.venues, typed, generic=True)
            return tuple(Choice(v, label) for v, label in found)
        if kind is ArgType.TIMEZONE:
            return tuple(Choice(z, z) for z in suggest.timezones(typed))
        return ()

    async def act(self, caller: Caller, action: Action) -> Message:
        self.calls.append(Call("act", caller, {"action": action}))
        if action.args and action.args[0] == "gone":
            return Refusal("That account is gone.").to_message()
        return message(f"acted {action.id.value}", "watch", lines=(",".join(action.args),))

    async def moderator_role_ids(self, platform: str, community_id: str) -> tuple[str, ...]:
        return self.moderator_roles.get(community_id, ())

    async def forget_community(self, platform: str, community_id: str) -> int:
        self.forgotten.append((platform, community_id))
        return 0

    def last(self, usecase: str) -> Call:
        return [c for c in self.calls if c.usecase == usecase][-1]


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def front(fake_discord: FakeDiscord, core: RecordingCore) -> AsyncIterator[DiscordFrontEnd]:
    """A running front end on the fake: logged in, READY, guild cached."""
    front = DiscordFrontEnd(
        core, TOKEN, stamp=MemoryStamp(), client_options={"guild_ready_timeout": 0.05}
    )
    task = asyncio.create_task(front.run())
    await front.wait_ready(5)
    yield front
    await front.stop()
    await asyncio.wait_for(task, 5)


async def invoke(front: DiscordFrontEnd, payload: dict[str, Any]) -> discord.Interaction:
    """Run one raw interaction payload through the real CommandTree (as discord.py's own tests
    do) and return the Interaction object."""
    interaction = discord.Interaction(data=payload, state=front.client._connection)  # type: ignore[arg-type]
    await front.client.tree._call(interaction)
    return interaction
