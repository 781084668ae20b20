"""The send seam between the outbox and the chats: one Transport per platform, and its errors.

Chat adapters import these through ``bot.core.delivery`` (they talk only to core).
"""

from __future__ import annotations

from typing import Any, Protocol


class Destination(Protocol):
    """Where a message goes (``bot.store.records.Destination`` satisfies this)."""

    @property
    def platform(self) -> str: ...

    @property
    def chat_id(self) -> str: ...

    @property
    def thread_id(self) -> str | None: ...

    @property
    def is_dm(self) -> bool: ...


class Transport(Protocol):
    """Delivers one message to one chat of its platform.

    The message is what the monitor's presenter made of the chat's due payloads (with core's
    presenter, a ``bot.core.messages.Message``). It is typed ``Any`` here so that the monitor
    needs no import of core and an adapter may declare the concrete type it renders.

    ``key`` identifies the send: a resend of the same outbox rows (after a crash, a timeout or
    a retry) carries the same key, a different send never does. A platform that can drop a
    repeated send by such a key (Discord's message nonce, at most 25 characters) should pass it;
    the others ignore it.

    Raise :class:`DeliveryRetry` when the platform asks to wait (429), :class:`DestinationGone`
    when the chat will never accept messages again (bot blocked, kicked, chat deleted). Any other
    exception is treated as transient and retried with backoff.
    """

    async def send(self, destination: Destination, message: Any, key: str) -> None: ...


class DeliveryRetry(Exception):
    """The platform asked us to wait ``retry_after`` seconds before trying again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"the chat platform asked to retry after {retry_after:.1f}s")
        self.retry_after = max(0.0, float(retry_after))


class DestinationGone(Exception):
    """The chat is gone for good; ``reason`` says how (shown to the owner and in the audit log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoTransport(Exception):
    """No transport is registered for a destination's platform."""


class Transports:
    """The registry of transports by platform name (``console``, ``telegram``, ``discord``)."""

    def __init__(self) -> None:
        self._by_platform: dict[str, Transport] = {}

    def register(self, platform: str, transport: Transport) -> None:
        self._by_platform[platform] = transport

    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_platform))

    def for_platform(self, platform: str) -> Transport:
        try:
            return self._by_platform[platform]
        except KeyError:
            raise NoTransport(f"no transport is registered for {platform!r}") from None
