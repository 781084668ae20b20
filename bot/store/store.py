"""`Store`: the one SQLite connection, owned by one database thread that async code calls into.

Every call is one transaction on that thread: `await store.run(fn)` runs `fn(tx)` (a `Tx`) and
commits, or rolls everything back if `fn` raises. The typed methods below are one-call shortcuts
for the common units of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from bot.store.connection import (
    MigrationReport,
    StoreError,
    connect,
    describe_error,
    migrate,
    pending_migrations,
    preflight,
    transaction,
)
from bot.store.records import (
    Account,
    AlertState,
    AuditEntry,
    CommunitySettings,
    Destination,
    HealthPoint,
    NewMessage,
    OutboxMessage,
    Subscription,
    Thresholds,
    User,
)
from bot.store.tx import Purged, Tx
from bot.store.vault import AccountSecrets, Vault

T = TypeVar("T")


def open_database(path: Path, vault: Vault, *, apply_migrations: bool = True) -> Database:
    """Synchronous open for the calling thread: preflight (touches nothing), connect, migrate.

    Raises `StoreError` or a `VaultError` subclass with a one-sentence message.
    """
    preflight(Path(path), vault)
    db = connect(Path(path))
    try:
        if apply_migrations:
            migrate(db)
        elif pending_migrations(db):
            raise StoreError(
                f"the database {path} needs migrations ({', '.join(pending_migrations(db))}): "
                "run `marginwatch db migrate`"
            )
    except BaseException:
        db.close()
        raise
    return db


class Store:
    """Async access to the database. Create with `await Store.open(path, vault)`."""

    def __init__(self, executor: ThreadPoolExecutor, db: Database, vault: Vault, path: Path):
        self._executor = executor
        self._db = db
        self._vault = vault
        self.path = path
        self._thread_id: int | None = None
        self._tx: Tx | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @classmethod
    async def open(cls, path: str | Path, vault: Vault, *, apply_migrations: bool = True) -> Store:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="marginwatch-db")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(
                executor,
                lambda: open_database(Path(path), vault, apply_migrations=apply_migrations),
            )
        except BaseException:
            executor.shutdown(wait=True)
            raise
        store = cls(executor, db, vault, Path(path))
        store._thread_id = await loop.run_in_executor(executor, threading.get_ident)
        return store

    async def close(self) -> None:
        """Checkpoint the WAL into the main file and close the connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_on_thread)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def run(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` on the database thread in one write transaction (all or nothing)."""
        return await self._submit(fn, write=True)

    async def read(self, fn: Callable[[Tx], T]) -> T:
        """Like `run`, in a read transaction (a consistent snapshot; writes are not expected)."""
        return await self._submit(fn, write=False)

    async def _submit(self, fn: Callable[[Tx], T], *, write: bool) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        if inspect.iscoroutinefunction(fn):
            raise TypeError("Store.run takes a plain function; it runs on the database thread")
        if threading.get_ident() == self._thread_id:
            raise RuntimeError("Store.run called from the database thread would wait for itself")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, fn, write)

    def _in_transaction(self, fn: Callable[[Tx], T], write: bool) -> T:
        # One Tx reused for every unit: repositories hold no state but the connection, and
        # only this thread ever touches them.
        if self._tx is None:
            self._tx = Tx(self._db, self._vault)
        try:
            with transaction(self._db, write=write):
                return fn(self._tx)
        except sqlite3.OperationalError as exc:
            # Locked, full disk, I/O: the transaction was rolled back; say which in a sentence.
            raise StoreError(describe_error(self.path, exc)) from exc

    def _close_on_thread(self) -> None:
        with contextlib.suppress(Exception):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        self._db.close()

    # ---- maintenance ----------------------------------------------------------------------

    async def apply_migrations(self) -> MigrationReport:
        """Apply pending migrations (Store.open already does unless told not to)."""
        return await self._on_thread(lambda: migrate(self._db))

    async def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it (after purging data, say)."""
        # fetchall: an unfinished PRAGMA statement would block the next COMMIT.
        await self._on_thread(
            lambda: self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        )

    async def _on_thread(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    # ---- users ----------------------------------------------------------------------------

    async def ensure_user(
        self, platform: str, platform_user_id: str, *, now: float, display_name: str | None = None
    ) -> User:
        return await self.run(
            lambda tx: tx.users.ensure(
                platform, platform_user_id, now=now, display_name=display_name
            )
        )

    async def get_user(self, user_id: int) -> User | None:
        return await self.read(lambda tx: tx.users.get(user_id))

    async def find_user(self, platform: str, platform_user_id: str) -> User | None:
        return await self.read(lambda tx: tx.users.find(platform, platform_user_id))

    async def delete_user_data(self, user_id: int) -> Purged:
        """Erase a user's data, secrets included; the WAL is checkpointed so no copy lingers."""
        purged = await self.run(lambda tx: tx.delete_user_data(user_id))
        await self.checkpoint()
        return purged

    # ---- accounts -------------------------------------------------------------------------

    async def add_account(
        self,
        owner_id: int,
        venue: str,
        label: str,
        secrets: AccountSecrets | None,
        *,
        now: float,
        next_poll_at: float | None = None,
    ) -> Account:
        return await self.run(
            lambda tx: tx.accounts.add(
                owner_id, venue, label, secrets, now=now, next_poll_at=next_poll_at
            )
        )

    async def get_account(self, account_id: int) -> Account | None:
        return await self.read(lambda tx: tx.accounts.get(account_id))

    async def accounts_for_owner(self, owner_id: int) -> list[Account]:
        return await self.read(lambda tx: tx.accounts.list_for_owner(owner_id))

    async def all_accounts(self, status: str | None = None) -> list[Account]:
        return await self.read(lambda tx: tx.accounts.list_all(status))

    async def due_accounts(self, now: float, limit: int = 100) -> list[Account]:
        return await self.read(lambda tx: tx.accounts.due(now, limit))

    async def next_due_at(self) -> float | None:
        return await self.read(lambda tx: tx.accounts.next_due_at())

    async def account_counts(self) -> dict[str, int]:
        return await self.read(lambda tx: tx.accounts.count_by_status())

    async def account_credentials(self, account_id: int) -> AccountSecrets:
        return await self.read(lambda tx: tx.accounts.credentials(account_id))

    async def replace_credentials(self, account_id: int, secrets: AccountSecrets) -> Account:
        return await self.run(lambda tx: tx.accounts.replace_credentials(account_id, secrets))

    async def set_account_status(
        self, account_id: int, status: str, *, last_error: str | None = None
    ) -> Account:
        return await self.run(
            lambda tx: tx.accounts.set_status(account_id, status, last_error=last_error)
        )

    async def schedule_poll(self, account_id: int, next_poll_at: float) -> None:
        await self.run(lambda tx: tx.accounts.schedule(account_id, next_poll_at))

    async def record_poll_ok(
        self,
        account_id: int,
        *,
        now: float,
        next_poll_at: float,
        point: HealthPoint | None = None,
    ) -> Account:
        """A successful poll and (optionally) its health sample, in one transaction."""

        def work(tx: Tx) -> Account:
            if point is not None:
                tx.history.add(point)
            return tx.accounts.record_poll_ok(account_id, now=now, next_poll_at=next_poll_at)

        return await self.run(work)

    async def record_poll_failure(
        self,
        account_id: int,
        *,
        now: float,
        error: str,
        next_poll_at: float,
        status: str | None = None,
    ) -> Account:
        return await self.run(
            lambda tx: tx.accounts.record_poll_failure(
                account_id, now=now, error=error, next_poll_at=next_poll_at, status=status
            )
        )

    async def delete_account(self, account_id: int) -> Purged:
        """Unlink: purge the account's secrets, subscriptions and history."""
        purged = await self.run(lambda tx: tx.delete_account(account_id))
        await self.checkpoint()
        return purged

    async def rotate_keys(self) -> int:
        """Re-encrypt every credentials blob under the newest key, in one transaction."""
        return await self.run(lambda tx: tx.accounts.rotate_credentials())

    # ---- subscriptions --------------------------------------------------------------------

    async def add_subscription(
        self,
        account_id: int,
        destination: Destination,
        *,
        now: float,
        community_id: str | None = None,
        thresholds: Thresholds | None = None,
        share: str = "none",
        digest: str = "off",
        digest_time: str = "08:00",
        digest_weekday: int | None = None,
        timezone: str = "UTC",
    ) -> Subscription:
        return await self.run(
            lambda tx: tx.subscriptions.add(
                account_id,
                destination,
                now=now,
                community_id=community_id,
                thresholds=thresholds,
                share=share,
                digest=digest,
                digest_time=digest_time,
                digest_weekday=digest_weekday,
                timezone=timezone,
            )
        )

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        return await self.read(lambda tx: tx.subscriptions.get(subscription_id))

    async def subscriptions_for_account(
        self, account_id: int, *, enabled_only: bool = False
    ) -> list[Subscription]:
        return await self.read(
            lambda tx: tx.subscriptions.for_account(account_id, enabled_only=enabled_only)
        )

    async def subscriptions_for_owner(self, owner_id: int) -> list[Subscription]:
        return await self.read(lambda tx: tx.subscriptions.for_owner(owner_id))

    async def subscriptions_for_destination(self, destination: Destination) -> list[Subscription]:
        return await self.read(lambda tx: tx.subscriptions.for_destination(destination))

    async def subscriptions_for_community(
        self, platform: str, community_id: str
    ) -> list[Subscription]:
        return await self.read(lambda tx: tx.subscriptions.for_community(platform, community_id))

    async def digest_subscriptions(self) -> list[Subscription]:
        return await self.read(lambda tx: tx.subscriptions.with_digest())

    async def set_thresholds(self, subscription_id: int, thresholds: Thresholds) -> Subscription:
        return await self.run(
            lambda tx: tx.subscriptions.set_thresholds(subscription_id, thresholds)
        )

    async def snooze(self, subscription_id: int, until: float | None) -> Subscription:
        return await self.run(lambda tx: tx.subscriptions.snooze(subscription_id, until))

    async def set_digest(
        self,
        subscription_id: int,
        digest: str,
        *,
        digest_time: str = "08:00",
        digest_weekday: int | None = None,
        timezone: str = "UTC",
    ) -> Subscription:
        return await self.run(
            lambda tx: tx.subscriptions.set_digest(
                subscription_id,
                digest,
                digest_time=digest_time,
                digest_weekday=digest_weekday,
                timezone=timezone,
            )
        )

    async def mark_digest_sent(self, subscription_id: int, at: float) -> Subscription:
        return await self.run(lambda tx: tx.subscriptions.mark_digest_sent(subscription_id, at))

    async def set_share(self, subscription_id: int, share: str) -> Subscription:
        return await self.run(lambda tx: tx.subscriptions.set_share(subscription_id, share))

    async def set_subscription_enabled(
        self, subscription_id: int, enabled: bool, *, reason: str | None = None
    ) -> Subscription:
        return await self.run(
            lambda tx: tx.subscriptions.set_enabled(subscription_id, enabled, reason=reason)
        )

    async def remove_subscription(self, subscription_id: int) -> bool:
        return await self.run(lambda tx: tx.subscriptions.remove(subscription_id))

    # ---- community settings ---------------------------------------------------------------

    async def community_settings(self, platform: str, community_id: str) -> CommunitySettings:
        return await self.read(lambda tx: tx.communities.get(platform, community_id))

    async def save_community_settings(
        self, settings: CommunitySettings, *, now: float
    ) -> CommunitySettings:
        return await self.run(lambda tx: tx.communities.save(settings, now=now))

    # ---- alert state ----------------------------------------------------------------------

    async def alert_state(self, subscription_id: int) -> AlertState:
        """Stored state, or the default "ok, never alerted" state."""
        return await self.read(lambda tx: tx.alerts.get_or_default(subscription_id))

    async def alert_states_for_account(self, account_id: int) -> dict[int, AlertState]:
        return await self.read(lambda tx: tx.alerts.for_account(account_id))

    async def transition(
        self,
        states: AlertState | Iterable[AlertState],
        messages: Iterable[NewMessage] = (),
        *,
        now: float,
    ) -> list[int]:
        """Write alert-state changes AND the outbox messages they cause in ONE transaction.

        Returns the ids of newly queued messages; an idempotency key already queued is a no-op.
        """
        state_list = [states] if isinstance(states, AlertState) else list(states)
        message_list = list(messages)
        return await self.run(lambda tx: tx.alerts.transition(state_list, message_list, now=now))

    # ---- outbox ---------------------------------------------------------------------------

    async def enqueue(self, message: NewMessage, *, now: float) -> int | None:
        return await self.run(lambda tx: tx.outbox.enqueue(message, now=now))

    async def claim_outbox(
        self, *, now: float, limit: int = 50, lease_seconds: float = 60.0
    ) -> list[OutboxMessage]:
        return await self.run(
            lambda tx: tx.outbox.claim(now=now, limit=limit, lease_seconds=lease_seconds)
        )

    async def mark_delivered(self, message_ids: Sequence[int], *, now: float) -> None:
        ids = list(message_ids)
        await self.run(lambda tx: tx.outbox.mark_delivered(ids, now=now))

    async def mark_failed(
        self, message_id: int, *, now: float, error: str, retry_after: float | None = None
    ) -> OutboxMessage:
        return await self.run(
            lambda tx: tx.outbox.mark_failed(
                message_id, now=now, error=error, retry_after=retry_after
            )
        )

    async def release_outbox(self, message_ids: Sequence[int]) -> None:
        ids = list(message_ids)
        await self.run(lambda tx: tx.outbox.release(ids))

    async def release_outbox_claims(self) -> int:
        return await self.run(lambda tx: tx.outbox.release_claims())

    async def disable_destination(
        self, destination: Destination, *, now: float, reason: str
    ) -> list[Subscription]:
        return await self.run(
            lambda tx: tx.outbox.disable_destination(destination, now=now, reason=reason)
        )

    async def outbox_message(self, message_id: int) -> OutboxMessage | None:
        return await self.read(lambda tx: tx.outbox.get(message_id))

    async def outbox_depth(self) -> int:
        return await self.read(lambda tx: tx.outbox.pending_count())

    async def oldest_pending_created_at(self) -> float | None:
        return await self.read(lambda tx: tx.outbox.oldest_pending_created_at())

    async def prune_outbox(self, *, older_than: float) -> int:
        return await self.run(lambda tx: tx.outbox.prune(older_than=older_than))

    # ---- health history -------------------------------------------------------------------

    async def add_health(self, point: HealthPoint) -> None:
        await self.run(lambda tx: tx.history.add(point))

    async def health_series(
        self, account_id: int, *, since: float | None = None, limit: int = 5000
    ) -> list[HealthPoint]:
        return await self.read(lambda tx: tx.history.series(account_id, since=since, limit=limit))

    async def prune_history(
        self,
        *,
        now: float,
        retention_seconds: float = 30 * 24 * 3600,
        max_points_per_account: int = 10_000,
    ) -> int:
        return await self.run(
            lambda tx: tx.history.prune(
                now=now,
                retention_seconds=retention_seconds,
                max_points_per_account=max_points_per_account,
            )
        )

    # ---- audit ----------------------------------------------------------------------------

    async def audit(
        self,
        *,
        now: float,
        actor_platform: str,
        actor_id: str,
        action: str,
        community_id: str | None = None,
        target: str | None = None,
        detail: str | None = None,
    ) -> AuditEntry:
        return await self.run(
            lambda tx: tx.audit.record(
                now=now,
                actor_platform=actor_platform,
                actor_id=actor_id,
                action=action,
                community_id=community_id,
                target=target,
                detail=detail,
            )
        )

    async def audit_for_community(
        self, platform: str, community_id: str, *, limit: int = 50
    ) -> list[AuditEntry]:
        return await self.read(
            lambda tx: tx.audit.for_community(platform, community_id, limit=limit)
        )
