"""What core needs from the store and the exchanges, as small Protocols that tests can satisfy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

from bot.exchanges.budget import Priority
from bot.exchanges.types import AccountRead, Credentials, KeyCheck, VenueInfo
from bot.store.tx import Purged, Tx

T = TypeVar("T")


class StorePort(Protocol):
    """The slice of :class:`bot.store.Store` core uses: functions run on the database thread."""

    async def run(self, fn: Callable[[Tx], T]) -> T: ...

    async def read(self, fn: Callable[[Tx], T]) -> T: ...

    async def delete_account(self, account_id: int) -> Purged: ...

    async def delete_user_data(self, user_id: int) -> Purged: ...


class ExchangePort(Protocol):
    """The slice of :class:`bot.exchanges.hub.ExchangeHub` core uses.

    Both raise ``bot.exchanges.errors.ExchangeReadError`` (with ``user_message``) on failure.
    Core's reads have a person waiting: they ask for ``Priority.LINK`` (the limits' reserve).
    """

    async def read_account(
        self, venue: str, creds: Credentials, *, priority: Priority | None = None
    ) -> AccountRead: ...

    async def check_key(self, venue: str, creds: Credentials) -> KeyCheck: ...

    def forget(self, venue: str, creds: Credentials) -> None: ...

    def unavailable(self, venue: str) -> str | None:
        """Why ``venue`` cannot be read in this process's exchange mode (a sentence), or None."""
        ...


VenueCatalogue = Mapping[str, VenueInfo]
