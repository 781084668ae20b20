"""The due-account queue: which accounts to poll now, read concurrently but bounded per exchange.

The queue is the ``next_poll_at`` column (one index scan per tick), not one scheduler job per
account: that scales to thousands of accounts and survives restarts for free. An account being
polled stays in ``in_flight`` until its poll finishes, so it is never polled twice at once even
though it stays "due" in the database until the poll's transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.monitor.clock import Clock
from bot.store import Account, Store

log = logging.getLogger(__name__)

# Polls in flight per exchange. A poll is ~2 requests of exchange latency, so this bounds the
# rate: with 4, four venues at 50 ms reached 119 polls/s where 10,000 accounts at 60 s need 167
# (bench/monitor_capacity.py). The hub's per-exchange throttle still caps the request rate.
POLLS_IN_FLIGHT_PER_VENUE = 32


@dataclass(frozen=True, slots=True)
class PollIntervals:
    """How often an account is read: more often the closer it is to liquidation."""

    calm: float = 60.0
    watch: float = 30.0
    danger: float = 10.0  # margin call or critical
    failure_cap: float = 600.0  # slowest retry of an account whose reads keep failing

    def after_success(self, level: str) -> float:
        if level in ("margin_call", "critical"):
            return self.danger
        if level == "watch":
            return self.watch
        return self.calm

    def after_failure(self, failures: int, retry_after: float | None = None) -> float:
        """Back off while the exchange fails, but never sooner than it asked (``retry_after``)."""
        backoff = min(self.danger * 2 ** max(failures - 1, 0), self.failure_cap)
        return max(backoff, retry_after or 0.0)


class DueQueue:
    """Launches a poll task for each due account, at most ``per_venue`` at once per exchange."""

    def __init__(
        self,
        store: Store,
        poll: Callable[[Account], Awaitable[object]],
        clock: Clock,
        *,
        per_venue: int = POLLS_IN_FLIGHT_PER_VENUE,
        batch: int = 500,
    ) -> None:
        self._store = store
        self._poll = poll
        self._clock = clock
        self._per_venue = per_venue
        self._batch = batch
        self._venue_slots: dict[str, asyncio.Semaphore] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def in_flight(self) -> frozenset[int]:
        return frozenset(self._tasks)

    async def launch_due(self) -> int:
        """Start polls for the accounts that are due and not already being polled."""
        due = await self._store.due_accounts(self._clock.now(), limit=self._batch)
        started = 0
        for account in due:
            if account.id in self._tasks:
                continue
            task = asyncio.create_task(self._run(account), name=f"poll-account-{account.id}")
            self._tasks[account.id] = task
            # Also when the task is cancelled before it ever ran (its ``finally`` never runs):
            # a done task left here would make drain() spin for ever.
            task.add_done_callback(lambda done, key=account.id: self._forget(key, done))
            started += 1
        return started

    def _forget(self, account_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(account_id) is task:
            del self._tasks[account_id]

    async def drain(self) -> None:
        """Wait for every poll in flight (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _run(self, account: Account) -> None:
        slots = self._venue_slots.setdefault(account.venue, asyncio.Semaphore(self._per_venue))
        try:
            async with slots:
                await self._poll(account)
        except Exception:
            # The poll already classifies exchange errors; this is a bug or a store failure.
            log.exception("poll of account %d failed", account.id)
        finally:
            self._tasks.pop(account.id, None)
