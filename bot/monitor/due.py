"""The due-account queue: which accounts to poll now, read concurrently but bounded per exchange.

The queue is the ``next_poll_at`` column (one index scan per tick), not one scheduler job per
account: that scales to thousands of accounts and survives restarts for free. An account being
polled stays in ``in_flight`` until its poll finishes, so it is never polled twice at once even
though it stays "due" in the database until the poll's transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from bot.monitor.clock import Clock
from bot.store import Account, Store

log = logging.getLogger(__name__)

# Polls in flight per exchange. A poll is ~2 requests of exchange latency, so this bounds the
# rate: with 4, four venues at 50 ms reached 119 polls/s where 10,000 accounts at 60 s need 167
# (bench/monitor_capacity.py). The hub's request budget still holds each venue to its limits.
POLLS_IN_FLIGHT_PER_VENUE = 32

# The danger cadence is a sixth of the calm one, never faster than this (s) unless calm is.
DANGER_FLOOR = 5.0
# Each read comes one interval after the one before was due, less up to this share of it at
# random, so reads bunched by a restart or an outage drift apart again and never run late.
JITTER = 0.1
# The first read of an account in a run (start-up re-check, a newly linked account) is followed
# by the next one after a random share of the interval from this to 1: a restart spreads the
# whole schedule over one interval instead of leaving it bunched.
SPREAD_FROM = 0.2


@dataclass(frozen=True, slots=True)
class PollIntervals:
    """How often an account is read: more often the closer it is to liquidation."""

    calm: float = 60.0
    watch: float = 30.0
    danger: float = 10.0  # margin call or critical
    failure_cap: float = 600.0  # slowest retry of an account whose reads keep failing

    def __post_init__(self) -> None:
        if not 0 < self.danger <= self.watch <= self.calm:
            raise ValueError(
                "poll intervals must be positive and never slower closer to liquidation: "
                f"danger {self.danger:g} s <= watch {self.watch:g} s <= calm {self.calm:g} s"
            )

    @classmethod
    def from_calm(cls, calm: float) -> PollIntervals:
        """Watch at half the calm interval, danger at a sixth (at least DANGER_FLOOR s, but
        never slower than watch: with a calm interval under 30 s the floor gives way)."""
        watch = calm / 2
        return cls(calm=calm, watch=watch, danger=min(watch, max(DANGER_FLOOR, calm / 6)))

    @staticmethod
    def urgent(level: str) -> bool:
        """Whether ``level`` is read at the danger cadence (and out of the limits' reserve)."""
        return level in ("margin_call", "critical")

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


def next_read_at(
    due: float | None,
    now: float,
    interval: float,
    *,
    first: bool = False,
    rng: random.Random | None = None,
) -> float:
    """When to read an account next, ``interval`` after it was due (not after the poll ended).

    The gap is ``interval`` less up to JITTER of it, so the schedule never drifts later and
    reads bunched together drift apart. A first read in this run (``first``), or one so late
    that the due time is an interval gone (an outage, a stretched venue), starts from now,
    after a random share of the interval from SPREAD_FROM: a restart's re-check, which reads
    every account at once, leaves the next reads spread over one interval.
    """
    draw = (rng or random).random()
    if first or due is None or due + interval <= now:
        return now + interval * (SPREAD_FROM + (1 - SPREAD_FROM) * draw)
    return due + interval * (1 - JITTER * draw)


# Polls in flight per exchange kept for accounts last judged at margin call or worse: their
# reads never wait behind a backlog of calm ones (a restart's re-check, a stretched venue).
URGENT_POLLS_PER_VENUE = 8


class DueQueue:
    """Launches a poll task for each due account, at most ``per_venue`` at once per exchange.

    ``urgent`` names the accounts last judged at margin call or worse (the poller's): they are
    looked up and launched first, on slots of their own, however many calm accounts are due.
    """

    def __init__(
        self,
        store: Store,
        poll: Callable[[Account], Awaitable[object]],
        clock: Clock,
        *,
        per_venue: int = POLLS_IN_FLIGHT_PER_VENUE,
        batch: int = 500,
        urgent: Callable[[], Collection[int]] | None = None,
    ) -> None:
        self._store = store
        self._poll = poll
        self._clock = clock
        self._per_venue = per_venue
        self._batch = batch
        self._urgent = urgent
        self._venue_slots: dict[tuple[str, bool], asyncio.Semaphore] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def in_flight(self) -> frozenset[int]:
        return frozenset(self._tasks)

    async def launch_due(self) -> int:
        """Start polls for the accounts that are due and not already being polled."""
        now = self._clock.now()
        started = 0
        urgent = set(self._urgent()) if self._urgent is not None else set()
        waiting = [i for i in urgent if i not in self._tasks]
        if waiting:
            found = await self._store.read(lambda tx: [tx.accounts.get(i) for i in waiting])
            for account in found:
                if (
                    account is not None
                    and account.status == "active"
                    and account.next_poll_at is not None
                    and account.next_poll_at <= now
                ):
                    started += self._launch(account, urgent=True)
        due = await self._store.due_accounts(now, limit=self._batch)
        for account in due:
            if account.id not in self._tasks:
                started += self._launch(account, urgent=account.id in urgent)
        return started

    def _launch(self, account: Account, *, urgent: bool) -> int:
        task = asyncio.create_task(self._run(account, urgent), name=f"poll-account-{account.id}")
        self._tasks[account.id] = task
        # Also when the task is cancelled before it ever ran (its ``finally`` never runs):
        # a done task left here would make drain() spin for ever.
        task.add_done_callback(lambda done, key=account.id: self._forget(key, done))
        return 1

    def _forget(self, account_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(account_id) is task:
            del self._tasks[account_id]

    async def drain(self, timeout: float | None = None) -> int:
        """Wait for every poll in flight (shutdown, tests); after ``timeout`` seconds cancel the
        rest (a poll that had not committed leaves no trace). Returns how many were cancelled."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            _, pending = await asyncio.wait(set(self._tasks.values()), timeout=left)
            if pending and deadline is not None and loop.time() >= deadline:
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return len(pending)
        return 0

    async def _run(self, account: Account, urgent: bool = False) -> None:
        size = URGENT_POLLS_PER_VENUE if urgent else self._per_venue
        slots = self._venue_slots.setdefault((account.venue, urgent), asyncio.Semaphore(size))
        try:
            async with slots:
                await self._poll(account)
        except Exception:
            # The poll already classifies exchange errors; this is a bug or a store failure.
            log.exception("poll of account %d failed", account.id)
        finally:
            self._tasks.pop(account.id, None)
