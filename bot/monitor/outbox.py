"""Outbox delivery: claim due rows, coalesce them per chat (critical first), send, record it.

The rows' payloads are worded by the injected :class:`~bot.monitor.presenter.Presenter`, which
also turns one chat's rows into the one message its transport sends.

Delivery is at least once: a row is marked delivered only after its transport returned, so a
crash between the two sends it again on restart (with the same idempotency key on the row). A
row is claimed with a lease (``claimed_until``), so a crashed worker's claim simply expires.

Retries are persisted as the row's ``next_attempt_at`` rather than done in-process with
tenacity: a waiting retry must survive a restart and must not hold a worker (or the chat's other
alerts) while it waits; the curve is the store's, :func:`backoff_delay` only adds jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.monitor.clock import Clock
from bot.monitor.presenter import Payload, Presenter
from bot.monitor.transport import DeliveryRetry, DestinationGone, NoTransport, Transports

# bot.ops.metrics is a leaf (stdlib and prometheus-client only): recording from here adds no
# dependency on the rest of the service.
from bot.ops import metrics
from bot.store import (
    PRIORITY_WARNING,
    Destination,
    NewMessage,
    OutboxMessage,
    Store,
    Subscription,
    Tx,
    backoff_seconds,
)

log = logging.getLogger(__name__)


def backoff_delay(attempts: int, *, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``attempts`` failed tries: the store's doubling curve, jittered.

    Jitter spreads the retries of many chats hit by one outage; keeping half the delay fixed
    stops a retry from coming straight back.
    """
    ceiling = backoff_seconds(attempts)
    return ceiling / 2 + rng() * ceiling / 2


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery round did (rows, not sends: coalescing sends several rows at once)."""

    delivered: int = 0
    sends: int = 0
    retried: int = 0
    gone: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.delivered + other.delivered,
            self.sends + other.sends,
            self.retried + other.retried,
            self.gone + other.gone,
        )


class OutboxDispatcher:
    """Delivers due outbox rows through the registered transports."""

    def __init__(
        self,
        store: Store,
        transports: Transports,
        clock: Clock,
        presenter: Presenter,
        *,
        lease: float = 120.0,
        batch: int = 200,
        send_timeout: float = 30.0,
        concurrency: int = 8,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._transports = transports
        self._clock = clock
        self._presenter = presenter
        self._lease = lease
        self._batch = batch
        self._send_timeout = send_timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._rng = rng

    async def deliver_due(self) -> DeliveryReport:
        """One round: claim what is due, one coalesced send per chat, record each outcome."""
        rows = await self._store.claim_outbox(
            now=self._clock.now(), limit=self._batch, lease_seconds=self._lease
        )
        total = DeliveryReport()
        if rows:
            groups = _by_chat(rows)
            # Start the chats with critical rows first; each chat is independent of the others.
            reports = await asyncio.gather(*(self._deliver_chat(group) for group in groups))
            for report in reports:
                total += report
        # After every round, empty or not: a waiting retry or a fresh alert changes the depth too.
        metrics.set_outbox_depth(await self._store.outbox_depth())
        return total

    async def _deliver_chat(self, rows: list[OutboxMessage]) -> DeliveryReport:
        """One chat's due rows: one send per send token, oldest first, stopping at a failure.

        A failure holds the chat's later sends too (they are retried with it), so a message
        that had to wait never arrives after a newer one.
        """
        sends = _by_send(rows)
        total = DeliveryReport()
        async with self._slots:
            for index, batch in enumerate(sends):
                report = await self._deliver_send(batch, later=sends[index + 1 :])
                total += report
                if not report.delivered:
                    break
        return total

    async def _deliver_send(
        self, rows: list[OutboxMessage], *, later: list[list[OutboxMessage]]
    ) -> DeliveryReport:
        destination = rows[0].destination
        held = [row.id for batch in later for row in batch]
        ids = [row.id for row in rows]
        try:
            transport = self._transports.for_platform(destination.platform)
            combined = self._presenter.deliverable([row.payload for row in rows])
            await asyncio.wait_for(
                transport.send(destination, combined, _send_key(rows)),
                timeout=self._send_timeout,
            )
        except DeliveryRetry as exc:
            await self._failed(ids + held, str(exc), exc.retry_after)
            return DeliveryReport(retried=len(rows) + len(held))
        except DestinationGone as exc:
            now, reason = self._clock.now(), exc.reason
            presenter = self._presenter
            disabled = await self._store.run(
                lambda tx: _disable_and_tell_owners(tx, destination, reason, presenter, now=now)
            )
            log.warning(
                "a %s chat is gone (%s): %d subscription(s) disabled",
                destination.platform,
                exc.reason,
                len(disabled),
            )
            return DeliveryReport(gone=len(rows) + len(held))
        except Exception as exc:  # any other failure is transient: back off and try again
            delay = backoff_delay(max(row.attempts for row in rows) + 1, rng=self._rng)
            error = _describe(exc)
            log.warning(
                "delivery to %s failed (%s); retry in %.0fs", destination.platform, error, delay
            )
            # A timeout or a broken connection may have delivered it: resend the same send.
            unknown = isinstance(exc, (TimeoutError, ConnectionError))
            await self._failed(ids, error, delay, outcome_unknown=unknown)
            await self._failed(held, error, delay)
            return DeliveryReport(retried=len(rows) + len(held))
        # Recorded at once, ahead of any poll waiting for the database (see Store.mark_delivered):
        # the platform has the message, and only this row says so.
        delivered_at = self._clock.now()
        await self._store.mark_delivered(ids, now=delivered_at)
        for row in rows:
            metrics.observe_delivery_lag(delivered_at - row.created_at)
        return DeliveryReport(delivered=len(rows), sends=1)

    async def _failed(
        self, ids: list[int], error: str, delay: float, *, outcome_unknown: bool = False
    ) -> None:
        if not ids:
            return
        now = self._clock.now()

        def work(tx: Tx) -> None:
            for message_id in ids:
                tx.outbox.mark_failed(
                    message_id,
                    now=now,
                    error=error,
                    retry_after=delay,
                    outcome_unknown=outcome_unknown,
                )

        await self._store.run(work)


def _by_send(rows: Sequence[OutboxMessage]) -> list[list[OutboxMessage]]:
    """A chat's rows as its sends: one per send token, the send holding the oldest row first."""
    sends: dict[str, list[OutboxMessage]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        sends.setdefault(row.send_token or f"row{row.id}", []).append(row)
    return [
        sorted(batch, key=lambda r: (-r.priority, r.created_at, r.id)) for batch in sends.values()
    ]


def _send_key(rows: Sequence[OutboxMessage]) -> str:
    """The send's idempotency key: its token (the same when a crash makes us send it again)."""
    return rows[0].send_token or f"row{rows[0].id}"


def _by_chat(rows: Sequence[OutboxMessage]) -> list[list[OutboxMessage]]:
    groups: dict[tuple[str, str, str], list[OutboxMessage]] = {}
    for row in rows:
        dest = row.destination
        groups.setdefault((dest.platform, dest.chat_id, dest.thread_id or ""), []).append(row)
    ordered = [
        sorted(group, key=lambda r: (-r.priority, r.created_at, r.id)) for group in groups.values()
    ]
    return sorted(ordered, key=lambda g: (-g[0].priority, g[0].created_at, g[0].id))


def _disable_and_tell_owners(
    tx: Tx, destination: Destination, reason: str, presenter: Presenter, *, now: float
) -> list[Subscription]:
    """Disable the gone chat's subscriptions and tell each owner in their private chat, if any."""
    disabled = tx.outbox.disable_destination(destination, now=now, reason=reason)
    for gone in disabled:
        account = tx.accounts.get(gone.account_id)
        if account is None:
            continue
        notice = presenter.render_destination_gone(account.label, destination.platform, reason)
        _tell_owner_privately(tx, account.id, notice, f"gone:sub{gone.id}", now=now)
    return disabled


def _tell_owner_privately(
    tx: Tx, account_id: int, notice: Payload, about: str, *, now: float
) -> None:
    """Queue ``notice`` for each private chat subscribed to the account (none: nobody to tell).

    The key has the time in it: the same notice can be due again later (a chat gone again
    after a re-subscribe, more alerts expired).
    """
    for other in tx.subscriptions.for_account(account_id, enabled_only=True):
        if other.destination.is_dm:
            tx.outbox.enqueue(
                NewMessage(
                    idempotency_key=f"{about}:to{other.id}:{int(now * 1000)}",
                    destination=other.destination,
                    payload=notice,
                    priority=PRIORITY_WARNING,
                    subscription_id=other.id,
                ),
                now=now,
            )


def expire_and_tell_owners(
    tx: Tx, presenter: Presenter, *, now: float, max_age: float
) -> list[OutboxMessage]:
    """Drop the outbox rows older than ``max_age`` that their chat never accepted; tell each
    owner whose shared-channel alerts were dropped in their private chat (one notice per
    account and chat). Rows of a private chat have nowhere else to go: they are only counted."""
    expired = tx.outbox.expire(now=now, max_age=max_age)
    counts: dict[tuple[int, tuple[str, str, str]], int] = {}
    for row in expired:
        dest = row.destination
        if row.subscription_id is not None and not dest.is_dm:
            key = (row.subscription_id, (dest.platform, dest.chat_id, dest.thread_id or ""))
            counts[key] = counts.get(key, 0) + 1
    for (subscription_id, (platform, _, _)), count in counts.items():
        subscription = tx.subscriptions.get(subscription_id)
        account = None if subscription is None else tx.accounts.get(subscription.account_id)
        if account is None:
            continue
        notice = presenter.render_undelivered(account.label, platform, count, max_age)
        _tell_owner_privately(tx, account.id, notice, f"expired:sub{subscription_id}", now=now)
    return expired


def _describe(exc: BaseException) -> str:
    # The type and message only: transports must keep tokens out of their exception texts, and
    # nothing here adds the payload (it can hold balances).
    if isinstance(exc, TimeoutError):
        return "the chat platform did not answer in time"
    if isinstance(exc, NoTransport):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:300]
