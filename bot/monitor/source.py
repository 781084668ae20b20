"""Where the monitor gets account snapshots: the SnapshotSource seam and its ExchangeHub adapter."""

from __future__ import annotations

from typing import Protocol

from bot.exchanges.hub import ExchangeHub
from bot.exchanges.types import AccountRead, Credentials
from bot.store import Account, Store


class SnapshotSource(Protocol):
    """Reads one linked account. Raises ``bot.exchanges.errors.ExchangeReadError`` on failure."""

    async def read(self, account: Account) -> AccountRead: ...


class HubSource:
    """Production source: decrypts the account's key from the store and reads through the hub.

    The decrypted credentials live only for the duration of one read.
    """

    def __init__(self, store: Store, hub: ExchangeHub) -> None:
        self._store = store
        self._hub = hub

    async def read(self, account: Account) -> AccountRead:
        secrets = await self._store.account_credentials(account.id)
        credentials = Credentials(
            api_key=secrets.api_key or "",
            secret=secrets.secret or "",
            passphrase=secrets.passphrase,
            wallet_address=secrets.wallet_address,
        )
        # A scheduled read: deferred (ReadDeferred) rather than kept waiting when the venue's
        # limits are spent for now, so it never holds a poll slot a read nearer danger needs.
        return await self._hub.read_account(account.venue, credentials, defer=True)
