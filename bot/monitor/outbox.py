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
from bot.monitor.presenter import Presenter
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
        ids = [row.id for row in rows]
        destination = rows[0].destination
        async with self._slots:
            try:
                transport = self._transports.for_platform(destination.platform)
                combined = self._presenter.deliverable([row.payload for row in rows])
                await asyncio.wait_for(
                    transport.send(destination, combined), timeout=self._send_timeout
                )
            except DeliveryRetry as exc:
                await self._failed(ids, str(exc), exc.retry_after)
                return DeliveryReport(retried=len(rows))
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
                return DeliveryReport(gone=len(rows))
            except Exception as exc:  # any other failure is transient: back off and try again
                delay = backoff_delay(max(row.attempts for row in rows) + 1, rng=self._rng)
                error = _describe(exc)
                log.warning(
                    "delivery to %s failed (%s); retry in %.0fs", destination.platform, error, delay
                )
                await self._failed(ids, error, delay)
                return DeliveryReport(retried=len(rows))
            delivered_at = self._clock.now()
            await self._store.mark_delivered(ids, now=delivered_at)
            for row in rows:
                metrics.observe_delivery_lag(delivered_at - row.created_at)
            return DeliveryReport(delivered=len(rows), sends=1)

    async def _failed(self, ids: list[int], error: str, delay: float) -> None:
        now = self._clock.now()

        def work(tx: Tx) -> None:
            for message_id in ids:
                tx.outbox.mark_failed(message_id, now=now, error=error, retry_after=delay)

        await self._store.run(work)


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
        for other in tx.subscriptions.for_account(account.id, enabled_only=True):
            if other.destination.is_dm:
                tx.outbox.enqueue(
                    NewMessage(
                        idempotency_key=f"gone:sub{gone.id}:to{other.id}",
                        destination=other.destination,
                        payload=notice,
                        priority=PRIORITY_WARNING,
                        subscription_id=other.id,
                    ),
                    now=now,
                )
    return disabled


def _describe(exc: BaseException) -> str:
    # The type and message only: transports must keep tokens out of their exception texts, and
    # nothing here adds the payload (it can hold balances).
    if isinstance(exc, TimeoutError):
        return "the chat platform did not answer in time"
    if isinstance(exc, NoTransport):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:300]
