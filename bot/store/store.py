"""`Store`: the one SQLite connection, owned by one database thread that async code calls into.

Every call is one transaction on that thread: `await store.run(fn)` runs `fn(tx)` (a `Tx`) and
commits, or rolls everything back if `fn` raises. The typed methods below are one-call shortcuts
for the common units of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import itertools
import queue
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import Executor, Future
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlite_utils import Database

from bot.store.accounts import Accounts
from bot.store.alerts import AlertStates
from bot.store.audit import Audit
from bot.store.communities import Communities
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
from bot.store.history import (
    BUCKET_SECONDS,
    DEFAULT_MAX_POINTS_PER_ACCOUNT,
    DEFAULT_RETENTION_SECONDS,
    FULL_RESOLUTION_SECONDS,
    PRUNE_CHUNK,
    History,
    PrunePlan,
)
from bot.store.outbox import Outbox
from bot.store.records import (
    Account,
    AlertState,
    HealthPoint,
    NewMessage,
)
from bot.store.subscriptions import Subscriptions
from bot.store.tx import Purged, Tx
from bot.store.users import Users
from bot.store.vault import Vault

T = TypeVar("T")
R = TypeVar("R")
Repo = TypeVar("Repo")
P = ParamSpec("P")


def _unit(
    repository: Callable[[Tx], Repo], method: Callable[Concatenate[Repo, P], R], *, write: bool
) -> Callable[Concatenate[Store, P], Coroutine[Any, Any, R]]:
    """A Store method running ``method`` on ``repository(tx)`` as one transaction of its own.

    The repository method is the one place its parameters and docstring are written;
    `inspect.signature` and `help()` follow ``__wrapped__`` to it. Arguments are bound here,
    on the caller's side, so a wrong call fails before any transaction starts.
    """
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def unit(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        signature.bind(None, *args, **kwargs)
        return await store._submit(lambda tx: method(repository(tx), *args, **kwargs), write=write)

    unit._store_unit = True  # type: ignore[attr-defined]
    return unit


URGENT, NORMAL, LAST = -1, 0, 1


class DatabaseThread(Executor):
    """The one thread that owns the connection; work runs one unit at a time, urgent first.

    Urgent work is the record of a delivery: the chat platform has the message and only that
    row says so, so it must not wait behind a queue of polls (a process killed in between sends
    the message again on Telegram, which has no idempotency key). Everything else runs in the
    order it was submitted.
    """

    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="marginwatch-db", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.submit_at(NORMAL, fn, *args, **kwargs)

    def submit_at(
        self, priority: int, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> Future[T]:
        if self._closed:
            raise RuntimeError("the database thread is shut down")
        future: Future[T] = Future()
        self._queue.put((priority, next(self._order), (future, fn, args, kwargs)))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put((LAST, next(self._order), None))  # after everything queued
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def _work(self) -> None:
        while True:
            _, _, item = self._queue.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)


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

    def __init__(self, executor: DatabaseThread, db: Database, vault: Vault, path: Path):
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
        executor = DatabaseThread()
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

    async def _submit(self, fn: Callable[[Tx], T], *, write: bool, urgent: bool = False) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        if inspect.iscoroutinefunction(fn):
            raise TypeError("Store.run takes a plain function; it runs on the database thread")
        if threading.get_ident() == self._thread_id:
            raise RuntimeError("Store.run called from the database thread would wait for itself")
        priority = URGENT if urgent else NORMAL
        # The caller's context variables go with the function (as asyncio.to_thread does): what
        # it builds there, an alert in the same transaction as its state, is built as if here.
        context = contextvars.copy_context()
        return await asyncio.wrap_future(
            self._executor.submit_at(priority, context.run, self._in_transaction, fn, write)
        )

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

    # ---- one-call units ---------------------------------------------------------------------
    # Each runs one repository method as its own transaction; the repository declares the
    # parameters (see `_unit`). Units that do more than one call are written out below.

    ensure_user = _unit(lambda tx: tx.users, Users.ensure, write=True)
    get_user = _unit(lambda tx: tx.users, Users.get, write=False)
    find_user = _unit(lambda tx: tx.users, Users.find, write=False)

    add_account = _unit(lambda tx: tx.accounts, Accounts.add, write=True)
    get_account = _unit(lambda tx: tx.accounts, Accounts.get, write=False)
    accounts_for_owner = _unit(lambda tx: tx.accounts, Accounts.list_for_owner, write=False)
    all_accounts = _unit(lambda tx: tx.accounts, Accounts.list_all, write=False)
    due_accounts = _unit(lambda tx: tx.accounts, Accounts.due, write=False)
    next_due_at = _unit(lambda tx: tx.accounts, Accounts.next_due_at, write=False)
    account_counts = _unit(lambda tx: tx.accounts, Accounts.count_by_status, write=False)
    account_credentials = _unit(lambda tx: tx.accounts, Accounts.credentials, write=False)
    replace_credentials = _unit(lambda tx: tx.accounts, Accounts.replace_credentials, write=True)
    set_account_status = _unit(lambda tx: tx.accounts, Accounts.set_status, write=True)
    schedule_poll = _unit(lambda tx: tx.accounts, Accounts.schedule, write=True)
    record_poll_failure = _unit(lambda tx: tx.accounts, Accounts.record_poll_failure, write=True)
    rotate_keys = _unit(lambda tx: tx.accounts, Accounts.rotate_credentials, write=True)

    add_subscription = _unit(lambda tx: tx.subscriptions, Subscriptions.add, write=True)
    get_subscription = _unit(lambda tx: tx.subscriptions, Subscriptions.get, write=False)
    subscriptions_for_account = _unit(
        lambda tx: tx.subscriptions, Subscriptions.for_account, write=False
    )
    subscriptions_for_owner = _unit(
        lambda tx: tx.subscriptions, Subscriptions.for_owner, write=False
    )
    subscriptions_for_destination = _unit(
        lambda tx: tx.subscriptions, Subscriptions.for_destination, write=False
    )
    subscriptions_for_community = _unit(
        lambda tx: tx.subscriptions, Subscriptions.for_community, write=False
    )
    digest_subscriptions = _unit(
        lambda tx: tx.subscriptions, Subscriptions.with_digest, write=False
    )
    set_thresholds = _unit(lambda tx: tx.subscriptions, Subscriptions.set_thresholds, write=True)
    snooze = _unit(lambda tx: tx.subscriptions, Subscriptions.snooze, write=True)
    set_digest = _unit(lambda tx: tx.subscriptions, Subscriptions.set_digest, write=True)
    mark_digest_sent = _unit(
        lambda tx: tx.subscriptions, Subscriptions.mark_digest_sent, write=True
    )
    set_share = _unit(lambda tx: tx.subscriptions, Subscriptions.set_share, write=True)
    set_subscription_enabled = _unit(
        lambda tx: tx.subscriptions, Subscriptions.set_enabled, write=True
    )
    remove_subscription = _unit(lambda tx: tx.subscriptions, Subscriptions.remove, write=True)

    community_settings = _unit(lambda tx: tx.communities, Communities.get, write=False)
    save_community_settings = _unit(lambda tx: tx.communities, Communities.save, write=True)

    alert_state = _unit(lambda tx: tx.alerts, AlertStates.get_or_default, write=False)
    alert_states_for_account = _unit(lambda tx: tx.alerts, AlertStates.for_account, write=False)

    enqueue = _unit(lambda tx: tx.outbox, Outbox.enqueue, write=True)
    claim_outbox = _unit(lambda tx: tx.outbox, Outbox.claim, write=True)
    mark_failed = _unit(lambda tx: tx.outbox, Outbox.mark_failed, write=True)
    release_outbox_claims = _unit(lambda tx: tx.outbox, Outbox.release_claims, write=True)
    disable_destination = _unit(lambda tx: tx.outbox, Outbox.disable_destination, write=True)
    outbox_message = _unit(lambda tx: tx.outbox, Outbox.get, write=False)
    outbox_depth = _unit(lambda tx: tx.outbox, Outbox.pending_count, write=False)
    oldest_pending_created_at = _unit(
        lambda tx: tx.outbox, Outbox.oldest_pending_created_at, write=False
    )
    prune_outbox = _unit(lambda tx: tx.outbox, Outbox.prune, write=True)

    add_health = _unit(lambda tx: tx.history, History.add, write=True)
    health_series = _unit(lambda tx: tx.history, History.series, write=False)

    audit = _unit(lambda tx: tx.audit, Audit.record, write=True)
    audit_for_community = _unit(lambda tx: tx.audit, Audit.for_community, write=False)

    # ---- units of more than one call ------------------------------------------------------

    async def delete_user_data(self, user_id: int) -> Purged:
        """Erase a user's data, secrets included; the WAL is checkpointed so no copy lingers."""
        purged = await self.run(lambda tx: tx.delete_user_data(user_id))
        await self.checkpoint()
        return purged

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

    async def prune_history(
        self,
        *,
        now: float,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        max_points_per_account: int = DEFAULT_MAX_POINTS_PER_ACCOUNT,
        full_resolution_seconds: float = FULL_RESOLUTION_SECONDS,
        bucket_seconds: float = BUCKET_SECONDS,
        chunk: int = PRUNE_CHUNK,
    ) -> int:
        """Expire, thin and cap the health history; returns how many samples went.

        One short transaction per chunk, so polls queued on the database thread run in
        between instead of waiting for the whole prune.
        """
        if chunk < 1:
            raise ValueError("prune_history needs chunk >= 1 (rows deleted per transaction)")
        plan = PrunePlan.at(
            now,
            retention_seconds=retention_seconds,
            max_points_per_account=max_points_per_account,
            full_resolution_seconds=full_resolution_seconds,
            bucket_seconds=bucket_seconds,
        )
        removed = 0
        while (expired := await self.run(partial(_prune_expired, plan, chunk))) > 0:
            removed += expired
        after: int | None = None
        while True:
            done, after, count = await self.run(partial(_prune_accounts_step, plan, after, chunk))
            removed += count
            if done:
                return removed

    async def delete_account(self, account_id: int) -> Purged:
        """Unlink: purge the account's secrets, subscriptions and history."""
        purged = await self.run(lambda tx: tx.delete_account(account_id))
        await self.checkpoint()
        return purged

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

    async def mark_delivered(self, message_ids: Sequence[int], *, now: float) -> None:
        """Record a delivery ahead of any other work queued for the database (see
        DatabaseThread): the shorter this takes, the rarer a resend after a crash."""
        ids = list(message_ids)
        await self._submit(
            lambda tx: tx.outbox.mark_delivered(ids, now=now), write=True, urgent=True
        )

    async def release_outbox(self, message_ids: Sequence[int]) -> None:
        ids = list(message_ids)
        await self.run(lambda tx: tx.outbox.release(ids))


def _prune_expired(plan: PrunePlan, chunk: int, tx: Tx) -> int:
    return tx.history.prune_expired(plan, limit=chunk)


def _prune_accounts_step(
    plan: PrunePlan, after: int | None, chunk: int, tx: Tx
) -> tuple[bool, int | None, int]:
    return tx.history.prune_accounts_step(plan, after=after, limit=chunk)


# Name the generated units after their Store attribute (tracebacks and reprs say
# `Store.get_account`, not `Accounts.get`).
for _name, _member in vars(Store).items():
    if getattr(_member, "_store_unit", False):
        _member.__name__, _member.__qualname__ = _name, f"Store.{_name}"
del _name, _member
