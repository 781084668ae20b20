"""What the Discord front end needs from core: ``bot.core.usecases.Core`` satisfies it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.core.flood import Admission
from bot.core.identity import Caller
from bot.core.messages import Action, Message
from bot.core.registry import ArgType, Choice


class LinkFieldLike(Protocol):
    @property
    def name(self) -> str: ...  # the credentials key core expects ("api_key", "secret", …)

    @property
    def label(self) -> str: ...  # what the modal shows


class LinkFormLike(Protocol):
    @property
    def venue(self) -> str: ...

    @property
    def venue_label(self) -> str: ...

    @property
    def fields(self) -> Sequence[LinkFieldLike]: ...

    def title(self, limit: int) -> str: ...  # the modal's title within Discord's limit


class CorePort(Protocol):
    """Core's entry points the adapter calls. ``run`` and ``act`` never raise (a refusal comes
    back as a private error message); ``prepare_link`` and ``link`` raise ``Refusal``.
    """

    async def run(
        self, caller: Caller, name: str, arguments: Mapping[str, str | None] | None = None
    ) -> Message: ...

    async def act(self, caller: Caller, action: Action) -> Message: ...

    async def suggest(self, caller: Caller | None, kind: ArgType, typed: str) -> Sequence[Choice]:
        """Values to offer while an option is typed (autocomplete); ``caller`` only for the
        caller's own account labels."""
        ...

    async def prepare_link(
        self, caller: Caller, venue: str | None, label: str | None = None
    ) -> LinkFormLike:
        """The key form for ``venue``, after every check that needs no key (venue, label)."""
        ...

    async def link(
        self,
        caller: Caller,
        venue: str | None = None,
        label: str | None = None,
        credentials: Mapping[str, str | None] | None = None,
    ) -> Message: ...

    async def moderator_role_ids(self, platform: str, community_id: str) -> Sequence[str]:
        """The roles a server configured as moderators (next to Manage Server)."""
        ...

    def admit(self, caller: Caller, *, must_answer: bool = False) -> Admission:
        """Per-user flood control: an Admission (``answer``, and a ``notice`` to send if not)."""
        ...

    async def forget_community(self, platform: str, community_id: str) -> int:
        """The bot left a server: drop its settings and channel subscriptions."""
        ...
