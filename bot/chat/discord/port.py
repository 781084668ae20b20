"""What the Discord front end needs from core: ``bot.core.usecases.Core`` satisfies it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.core.identity import Caller
from bot.core.messages import Action, Message


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


class CorePort(Protocol):
    """Core's entry points the adapter calls. ``run`` and ``act`` never raise (a refusal comes
    back as a private error message); ``link_form`` and ``link`` raise ``Refusal``.
    """

    venues: Mapping[str, Any]  # venue id -> info with a ``label`` (the link command's choices)

    async def run(
        self, caller: Caller, name: str, arguments: Mapping[str, str | None] | None = None
    ) -> Message: ...

    async def act(self, caller: Caller, action: Action) -> Message: ...

    async def account_labels(self, caller: Caller) -> Sequence[str]: ...

    def link_form(self, venue: str) -> LinkFormLike: ...

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

    def admit(self, caller: Caller, *, must_answer: bool = False) -> Any:
        """Per-user flood control: an Admission (``answer``, and a ``notice`` to send if not)."""
        ...

    async def forget_community(self, platform: str, community_id: str) -> int:
        """The bot left a server: drop its settings and channel subscriptions."""
        ...
