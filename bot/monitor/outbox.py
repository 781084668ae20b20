"""Outbox delivery: claim due rows, coalesce them per chat (critical first), send, record it.

Delivery is at least once: a row is marked delivered only after its transport returned, so a
crash between the two sends it again on restart (with the same idempotency key on the row). A
row is claimed with a lease (``claimed_until``), so a crashed worker's claim simply expires.

Retries are persisted as the row's ``next_attempt_at`` rather than done in-process with
tenacity: a waiting retry must survive a restart and must not hold a worker (or the chat's other
alerts) while it waits, and the policy is one line, :func:`backoff_delay`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.messages import Message
from bot.monitor.clock import Clock
from bot.monitor.render import coalesce, message_from_json
from bot.monitor.transport import (
    DeliveryRetry,
    Destination,
    DestinationGone,
    NoTransport,
    Transports,
)

log = logging.getLogger(__name__)


class QueuedMessage(Protocol):
    """An outbox row as the store hands it out (``bot.store.records.OutboxMessage``)."""

    @property
    def id(self) -> int: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def destination(self) -> Destination: ...
    @property
    def payload(self) -> Any: ...
    @property
    def priority(self) -> int: ...  # higher first
    @property
    def subscription_id(self) -> int | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def created_at(self) -> float: ...


class OutboxPort(Protocol):
    """What delivery needs from the store."""

    async def claim_due(self, now: float, lease: float, limit: int) -> Sequence[QueuedMessage]:
        """Pending rows whose ``next_attempt_at`` has come and that no live lease holds."""
        ...

    async def mark_delivered(self, ids: Sequence[int], now: float) -> None: ...

    async def retry_later(self, ids: Sequence[int], next_attempt_at: float, error: str) -> None:
        """Count one more attempt, release the claim, and wait until ``next_attempt_at``."""
        ...

    async def destination_gone(
        self, ids: Sequence[int], subscription_ids: Sequence[int], reason: str, now: float
    ) -> None:
        """Drop the rows, disable the subscriptions with ``reason``, and record it (audit)."""
        ...


def backoff_delay(
    attempts: int,
    *,
    base: float = 5.0,
    cap: float = 3600.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``attempts`` failed tries: doubling, capped, half of it jittered.

    Jitter spreads retries of many chats hit by one outage; keeping half the delay fixed stops a
    retry from coming back at once.
    """
    ceiling = min(cap, base * 2 ** min(max(attempts, 0), 30))
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
        port: OutboxPort,
        transports: Transports,
        clock: Clock,
        *,
        lease: float = 120.0,
        batch: int = 200,
        send_timeout: float = 30.0,
        concurrency: int = 8,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._port = port
        self._transports = transports
        self._clock = clock
        self._lease = lease
        self._batch = batch
        self._send_timeout = send_timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._rng = rng

    async def deliver_due(self) -> DeliveryReport:
        """One round: claim what is due, one coalesced send per chat, record each outcome."""
        rows = await self._port.claim_due(self._clock.now(), self._lease, self._batch)
        if not rows:
            return DeliveryReport()
        groups = _by_chat(rows)
        # Start the chats with critical rows first; each chat is independent of the others.
        reports = await asyncio.gather(*(self._deliver_chat(group) for group in groups))
        total = DeliveryReport()
        for report in reports:
            total += report
        return total

    async def _deliver_chat(self, rows: list[QueuedMessage]) -> DeliveryReport:
        ids = [row.id for row in rows]
        destination = rows[0].destination
        async with self._slots:
            try:
                transport = self._transports.for_platform(destination.platform)
                combined = coalesce([_message(row) for row in rows])
                await asyncio.wait_for(
                    transport.send(destination, combined), timeout=self._send_timeout
                )
            except DeliveryRetry as exc:
                await self._port.retry_later(ids, self._clock.now() + exc.retry_after, str(exc))
                return DeliveryReport(retried=len(rows))
            except DestinationGone as exc:
                subscriptions = sorted(
                    {row.subscription_id for row in rows if row.subscription_id is not None}
                )
                log.warning(
                    "destination on %s is gone (%s): disabling %d subscription(s)",
                    destination.platform,
                    exc.reason,
                    len(subscriptions),
                )
                await self._port.destination_gone(ids, subscriptions, exc.reason, self._clock.now())
                return DeliveryReport(gone=len(rows))
            except Exception as exc:  # any other failure is transient: back off and try again
                attempts = max(row.attempts for row in rows)
                delay = backoff_delay(attempts, rng=self._rng)
                error = _describe(exc)
                log.warning(
                    "delivery to %s failed (%s); retry in %.0fs",
                    destination.platform,
                    error,
                    delay,
                )
                await self._port.retry_later(ids, self._clock.now() + delay, error)
                return DeliveryReport(retried=len(rows))
            await self._port.mark_delivered(ids, self._clock.now())
            return DeliveryReport(delivered=len(rows), sends=1)


def _by_chat(rows: Sequence[QueuedMessage]) -> list[list[QueuedMessage]]:
    groups: dict[tuple[str, str, str], list[QueuedMessage]] = {}
    for row in rows:
        dest = row.destination
        groups.setdefault((dest.platform, dest.chat_id, dest.thread_id or ""), []).append(row)
    ordered = [
        sorted(group, key=lambda r: (-r.priority, r.created_at, r.id)) for group in groups.values()
    ]
    return sorted(ordered, key=lambda g: (-g[0].priority, g[0].created_at, g[0].id))


def _message(row: QueuedMessage) -> Message:
    return message_from_json(row.payload)


def _describe(exc: BaseException) -> str:
    # The type and message only: transports must keep tokens out of their exception texts, and
    # nothing here adds the payload (it can hold balances).
    if isinstance(exc, TimeoutError):
        return "the chat platform did not answer in time"
    if isinstance(exc, NoTransport):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:300]
