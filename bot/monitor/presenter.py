"""The monitor's presentation seam: the neutral facts it hands over, the Presenter that words them.

The monitor decides *what* to tell and *when*; how it reads is the chat-agnostic core's business
(``bot.core.presenter.CorePresenter``). The composition root passes a presenter to ``Monitor``,
so the monitor imports nothing of ``bot.core`` (docs/architecture.md: core may import the monitor,
not the reverse).

A payload is the JSON-able mapping an outbox row stores; only the presenter knows its shape.
What :meth:`Presenter.deliverable` returns is what every ``Transport.send`` receives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.monitor.policy import AlertEvent
from risk.model import AccountSnapshot, Health

Payload = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LastRead:
    """The latest successful read of an account, kept in memory for digests and on-demand views."""

    at: float
    snapshot: AccountSnapshot
    health: Health


@dataclass(frozen=True, slots=True)
class ClosestApproach:
    """The closest an account came to liquidation over a span of its health history: when,
    the move that would have liquidated it then, and which pool that was (``kind``, ``name``
    and ``side`` as ``bot.monitor.history.Closest``; all None for the account's own figures
    of a one-pool account)."""

    since: float
    at: float
    move: float
    kind: str | None = None
    name: str | None = None
    side: str | None = None


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """Everything one digest may show.

    ``share`` is what the destination may see (``state``, ``ratio`` or ``positions``; a private
    chat always gets ``positions``). ``read`` is None when no fresh read exists; ``reason`` then
    says why (the account's last read error), or is None before the first successful read.
    """

    label: str
    venue: str
    share: str
    private: bool
    read: LastRead | None
    reason: str | None = None
    # The closest approach to liquidation since the previous digest (None: no history), and
    # the subscriber's time zone to say when.
    closest: ClosestApproach | None = None
    timezone: str = "UTC"
    # The alert level the read is at by the subscriber's own thresholds (policy.judge_level),
    # so the digest's headline never calls "healthy" what an alert would call critical.
    level: str | None = None


class Presenter(Protocol):
    """Turns the monitor's neutral facts into stored payloads and payloads into deliverables."""

    def render_alert(
        self, event: AlertEvent, share: str, *, owner: str, owner_id: str = ""
    ) -> Payload:
        """One alert event, showing no more than ``share``; ``owner`` names the account's owner
        in a shared channel and is empty in the owner's private chat; ``owner_id`` is their
        platform id (a chat mentions them by it rather than showing it)."""
        ...

    def render_digest(self, facts: DigestFacts) -> Payload:
        """A digest of one account (or, without a read, the sentence saying why there is none)."""
        ...

    def render_destination_gone(self, label: str, platform: str, reason: str) -> Payload:
        """The owner's notice that alerts for ``label`` stopped because a ``platform`` chat is
        gone (``reason`` says how); sent to the owner's private chat."""
        ...

    def render_undelivered(self, label: str, platform: str, count: int, max_age: float) -> Payload:
        """The owner's notice that ``count`` alerts for ``label`` were dropped because a
        ``platform`` chat did not accept them within ``max_age`` seconds."""
        ...

    def render_refused(self, label: str, platform: str, refused: Payload) -> Payload:
        """The owner's notice that one message for ``label`` (``refused``, the payload as
        stored) was refused for good by a ``platform`` chat and dropped; kept short and plain,
        so that the notice itself gets through."""
        ...

    def deliverable(self, payloads: Sequence[Payload]) -> Any:
        """One message for one chat from its due payloads, most urgent first (never empty)."""
        ...
