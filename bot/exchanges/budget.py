"""The request budget: every request is charged its cost in its scope *before* it is sent.

The venues' limits come from :mod:`bot.exchanges.limits`. One :class:`Budget` per hub keeps a
*lane* per limit and scope: per IP (one lane per egress route) or per API key, and per endpoint
where the venue meters each endpoint apart. A request goes only when every lane it is charged in
has room; otherwise it waits, and a lane the venue has said "limited" or "banned" about sends
nothing at all until the venue's ``Retry-After`` (or the window) has passed.

API for the rest of the bot (the hub does the wiring, callers only choose a priority)::

    from bot.exchanges.budget import Priority

    await hub.read_account(venue, creds)                               # scheduled read
    await hub.read_account(venue, creds, priority=Priority.CONFIRM)    # urgent confirming read
    await hub.check_key(venue, creds)                                  # link time: Priority.LINK
    await hub.read_account(venue, creds, defer=True)   # the monitor's: ReadDeferred, not a wait

Priorities, lowest first (:class:`Priority`):

- ``ROUTINE``: scheduled reads of calm and watch accounts. They may spend at most
  ``1 - reserve`` (75 % by default) of any window: the rest is the reserve.
- ``LINK``: a person is waiting (the key check at link time, a ``/status`` read). May use the
  reserve.
- ``DANGER``: scheduled reads of accounts at margin call or worse. May use the reserve; served
  before LINK and ROUTINE when several wait.
- ``CONFIRM``: an urgent confirming read (a price feed says an account crossed a level). Served
  first, may use the reserve.

A scheduled read's priority is what the monitor said about the account the last time (see
:class:`Pace`): reads of accounts at margin call or worse are DANGER without the caller asking.

What the budget guarantees, and how:

- **Before, not after.** Costs are charged before the request is signed (so a wait never makes
  a signed timestamp stale). Windows are kept as rolling logs a little longer than the venue's
  (``WINDOW_SLACK``) and filled to at most ``HARD_SHARE`` of the limit, so a venue that counts in
  fixed windows (Binance) or rolling ones (Bybit) is never exceeded.
- **The venue's own count wins.** Where a venue reports its count (Binance
  ``X-MBX-USED-WEIGHT-1M``, Bybit ``X-Bapi-Limit-Status``/``X-Bapi-Limit``), cost it counted
  that this process did not send (another program on the same IP or key) is charged too.
- **Stop means stop.** A "limited" or "banned" answer stops the lane at once: every request
  charged in it, including those of reads already in flight, fails with
  :class:`BudgetStopped` (an ``ExchangeReadError`` "rate_limited" carrying ``retry_after``)
  until ``Retry-After`` or the answer's duration has passed. The lane then ramps up from
  ``RAMP_START`` of its limit over two windows, never straight back to full rate, and each
  limited answer trims the lane's share for a while (``TRIM``). A per-key limit stops that
  key's lanes only.
- **A read admitted can finish.** A read's first request takes what the whole read is
  expected to cost (learnt per venue), so its later requests never wait half-way. A routine read
  asked with ``defer=True`` (the monitor's) that would have to wait for room, or queue behind
  another routine read, raises :class:`ReadDeferred` before sending anything, with its turn at
  the lane's rate: it never holds a poll slot a read nearer to danger needs.
- **Degrade fairly and visibly.** Each read's :class:`Pace` tells the monitor how much to
  stretch the account's cadence: demand on every lane is known (cost per read / interval per
  account), and routine cadences are stretched evenly until routine demand fits the lane's
  routine share; danger reads keep their cadence unless danger alone outgrows the whole lane.
  :meth:`Budget.report` gives demanded vs granted reads per venue and a state ("ok",
  "stretched", "limited", "banned") with the reason in words; each change of state is logged
  once.

Time: ``speed`` runs every window that many times faster (tests, the demo and the benchmarks run
the simulator's limits at the same speed); all figures inside are in venue seconds.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import random
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ExchangeReadError
from .limits import Answer, Bucket, VenueLimits

log = logging.getLogger(__name__)

# Share of a limit the budget ever fills (a rolling window's worth of jitter between our send
# time and the venue's arrival time; "we do not recommend running your application at the very
# edge of these limits", Bybit).
HARD_SHARE = 0.95
# Windows are kept this much longer than the venue's (a share, plus real seconds of network
# jitter), and decay counters drain as much slower.
WINDOW_SLACK = 0.02
JITTER_SECONDS = 0.05
# Our own requests charged this long (real seconds) before a venue's fixed window began may have
# reached it after: the venue's count of the new window is compared with them included.
RECONCILE_GRACE_SECONDS = 1.0
DEFAULT_RESERVE = 0.25
# After a stop, a lane starts again at this share of its limit and ramps to full over 2 windows.
RAMP_START = 0.25
# Each limited answer multiplies the lane's share by TRIM; it recovers by TRIM_RECOVERY a window.
TRIM = 0.8
TRIM_RECOVERY = 0.05
# Longest a request waits for room before it is given up as rate limited (in windows).
MAX_WAIT_WINDOWS = 5.0
# A routine read whose first request would wait longer than this share of a window is deferred
# (ReadDeferred) instead: the monitor asks again when the lane has room.
DEFER_AFTER_WINDOWS = 0.02
# Cadences are planned to fill this share of what a lane allows: reads come a little early
# (the schedule's jitter) and a lane planned to the brim would keep reads waiting.
PLAN_SHARE = 0.9
# Cadences are never stretched more than this (the figure is shown, not hidden).
MAX_STRETCH = 1000.0
# A venue reads as "stretched" above ENTER and as "ok" again below LEAVE (no flapping at 1.0).
STRETCH_ENTER = 1.10
STRETCH_LEAVE = 1.02


class Priority(enum.IntEnum):
    """Who is asking; higher is served first. See the module docstring."""

    ROUTINE = 0
    LINK = 1
    DANGER = 2
    CONFIRM = 3


class BudgetStopped(ExchangeReadError):
    """A request not sent: its lane is stopped ("limited"/"banned") or would wait too long."""

    def __init__(self, retry_after: float, detail: str) -> None:
        super().__init__("rate_limited", retry_after=round(max(0.0, retry_after), 3), detail=detail)


class ReadDeferred(ExchangeReadError):
    """A routine read not started: its lanes are full for now, and waiting would hold a poll
    slot that a read nearer to danger needs. Nothing was sent; read again in ``retry_after``.

    The monitor reschedules the account (no failure is recorded); other callers may treat it
    as any "rate_limited" error.
    """

    def __init__(self, retry_after: float, detail: str) -> None:
        super().__init__("rate_limited", retry_after=round(max(0.0, retry_after), 3), detail=detail)


class LimitClock:
    """Venue time: the monotonic clock times ``speed`` (1 in production)."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError("the limits speed must be positive")
        self.speed = float(speed)

    def now(self) -> float:
        return time.monotonic() * self.speed

    def wall(self) -> float:
        """Wall-clock venue time, for windows the venue aligns to the clock (Binance minutes)."""
        return time.time() * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class FollowingClock(LimitClock):
    """Venue time that is another clock's (a demo's or a test's simulated clock, which jumps
    minutes at a time): the venues' windows pass as that clock says; waiting sleeps on it."""

    def __init__(self, clock: Any) -> None:
        super().__init__(1.0)
        self._clock = clock  # anything with now() and an async sleep(seconds)

    def now(self) -> float:
        return float(self._clock.now())

    def wall(self) -> float:
        return float(self._clock.now())

    async def sleep(self, seconds: float) -> None:
        await self._clock.sleep(seconds)


@dataclass
class _Stop:
    until: float
    verdict: str
    retry_after_given: bool


class Lane:
    """One limit in one scope: an IP route's bucket, or a key's (and endpoint's)."""

    def __init__(self, bucket: Bucket, scope_id: str, clock: LimitClock, reserve: float) -> None:
        self.bucket = bucket
        self.scope_id = scope_id
        self.clock = clock
        self.reserve = reserve
        self.limit = float(bucket.limit)
        self.window = float(bucket.window) * (1 + WINDOW_SLACK) + JITTER_SECONDS * clock.speed
        self.venues: set[str] = set()
        self._log: deque[tuple[float, float]] = deque()
        self._total = 0.0
        self._level = 0.0  # decay counters
        self._level_at = 0.0
        self.waiting: dict[int, float] = {}
        self.stop: _Stop | None = None
        self.ramp_from: float | None = None
        self.trim = 1.0
        self._trim_at = 0.0
        self._external: deque[tuple[float, float]] = deque()
        # Planned demand: account token -> (cost per venue second, urgent).
        self.demand: dict[str, tuple[float, bool]] = {}
        self.routine_demand = 0.0
        self.urgent_demand = 0.0
        self.limited_answers = 0
        self.bans = 0
        # Deferred routine reads are given turns one after another at the lane's routine rate,
        # so a backlog (a restart's re-check) is spread out instead of asking again at once.
        self._next_turn = 0.0

    def __repr__(self) -> str:
        return f"Lane({self.bucket.name}, {self.scope_id})"

    # --- counting ---------------------------------------------------------------------------

    def used(self, now: float) -> float:
        if self.bucket.kind == "decay":
            drain = self.limit / self.window
            return max(0.0, self._level - drain * (now - self._level_at))
        horizon = now - self.window
        while self._log and self._log[0][0] <= horizon:
            self._total -= self._log.popleft()[1]
        if not self._log:
            self._total = 0.0
        return self._total

    def charge(self, cost: float, now: float) -> None:
        if self.bucket.kind == "decay":
            self._level = self.used(now) + cost
            self._level_at = now
        else:
            self.used(now)
            self._log.append((now, cost))
            self._total += cost

    def hard_cap(self) -> float:
        cap = self.limit * HARD_SHARE
        # Small limits (Kraken's 1 public call a second) are whole requests, not shares.
        return max(cap, math.floor(self.limit)) if self.limit < 20 else cap

    def ceiling(self, priority: Priority, now: float) -> float:
        share = 1.0 - self.reserve if priority == Priority.ROUTINE else 1.0
        return self.hard_cap() * share * self.trim_at(now) * self.ramp(now)

    def ramp(self, now: float) -> float:
        if self.ramp_from is None:
            return 1.0
        progress = (now - self.ramp_from) / (2 * self.window)
        if progress >= 1.0:
            self.ramp_from = None
            return 1.0
        return RAMP_START + (1.0 - RAMP_START) * max(0.0, progress)

    def trim_at(self, now: float) -> float:
        if self.trim < 1.0:
            windows = (now - self._trim_at) / self.window
            if windows > 0:
                self.trim = min(1.0, self.trim + TRIM_RECOVERY * windows)
                self._trim_at = now
        return self.trim

    # --- admission --------------------------------------------------------------------------

    def stopped_for(self, now: float) -> float:
        """Seconds this lane stays stopped (0: not stopped); a passed stop starts the ramp."""
        stop = self.stop
        if stop is None:
            return 0.0
        if now < stop.until:
            return stop.until - now
        self.stop = None
        self.ramp_from = now
        return 0.0

    def wait_for(self, cost: float, priority: Priority, now: float) -> float:
        """Seconds until ``cost`` fits at ``priority`` (0: now), ahead of no higher waiter."""
        ahead = sum(c for p, c in self.waiting.items() if p > priority)
        ceiling = self.ceiling(priority, now)
        used = self.used(now)
        need = used + ahead + cost - ceiling
        if need <= 1e-9:
            return 0.0
        if used <= 1e-9 and ahead <= 0 and cost <= self.hard_cap():
            return 0.0  # an idle lane always lets one request through
        if self.bucket.kind == "decay":
            return need / (self.limit / self.window)
        freed = 0.0
        for at, spent in self._log:
            freed += spent
            if freed >= need - 1e-9:
                return max(0.0, at + self.window - now)
        return self.window  # room only opens as the ramp and trim recover

    # --- what the venue said ----------------------------------------------------------------

    def reconcile(self, used: float | None, remaining: float | None, limit: float | None) -> None:
        """Adopt the venue's own count of this lane (another program may use the IP or key)."""
        now = self.clock.now()
        if limit is not None and 0 < limit <= 100 * self.bucket.limit:
            self.limit = float(limit)
        if used is None and remaining is not None:
            used = self.limit - remaining
        if used is None:
            return
        if self.bucket.kind == "fixed":
            # What this lane charged since the venue's window began (external cost adopted
            # earlier included), and a moment before: a request charged just before the window
            # turned may have reached the venue just after, and is ours, not another program's.
            wall = self.clock.wall()
            began = now - (wall - math.floor(wall / self.bucket.window) * self.bucket.window)
            since = began - RECONCILE_GRACE_SECONDS * self.clock.speed
            unseen = used - sum(cost for at, cost in self._log if at >= since)
        else:
            unseen = used - self.used(now)
        # A few of our own requests counted by the venue in a window we charged them to the one
        # before (a slow answer across the minute) are no other program: a difference within
        # the margin the budget never fills is left alone.
        if unseen > max(0.5, (1 - HARD_SHARE) * self.limit):
            self.charge(unseen, now)
            self._external.append((now, unseen))

    def _external_in(self, now: float) -> float:
        while self._external and self._external[0][0] <= now - self.window:
            self._external.popleft()
        return sum(cost for _, cost in self._external)

    def stop_for(self, answer: Answer, retry_after: float | None) -> float:
        now = self.clock.now()
        lasts = retry_after if retry_after is not None else answer.lasts or self.bucket.window
        until = now + lasts
        if self.stop is None or until > self.stop.until:
            self.stop = _Stop(until, answer.verdict, retry_after is not None)
        if answer.verdict == "banned":
            self.bans += 1
        else:
            self.limited_answers += 1
        self.trim, self._trim_at = self.trim_at(now) * TRIM, now
        self.ramp_from = None
        return lasts

    # --- planning ---------------------------------------------------------------------------

    def plan(self, token: str, rate: float, urgent: bool) -> None:
        old = self.demand.get(token)
        if old is not None:
            self._add(-old[0], old[1])
        self.demand[token] = (rate, urgent)
        self._add(rate, urgent)

    def forget(self, token: str) -> None:
        old = self.demand.pop(token, None)
        if old is not None:
            self._add(-old[0], old[1])

    def _add(self, rate: float, urgent: bool) -> None:
        if urgent:
            self.urgent_demand = max(0.0, self.urgent_demand + rate)
        else:
            self.routine_demand = max(0.0, self.routine_demand + rate)

    def turn_for(self, cost: float, now: float, wait: float) -> float:
        """Seconds until a deferred read of ``cost`` should ask again: after the reads deferred
        before it, at the lane's routine rate (never sooner than ``wait``)."""
        rate = self.hard_cap() * (1 - self.reserve) * PLAN_SHARE / self.window
        start = max(self._next_turn, now + wait)
        self._next_turn = start + cost / max(rate, 1e-9)
        return start - now

    def stretch(self, urgent: bool) -> float:
        """How much the cadences planned on this lane must stretch to fit (1: not at all)."""
        now = self.clock.now()
        capacity = self.hard_cap() * self.trim_at(now) * PLAN_SHARE / self.window
        capacity = max(0.0, capacity - self._external_in(now) / self.window)
        if urgent:
            if self.urgent_demand <= capacity:
                return 1.0
            return min(MAX_STRETCH, self.urgent_demand / max(capacity, 1e-9))
        routine = capacity * (1 - self.reserve) - max(
            0.0, self.urgent_demand - capacity * self.reserve
        )
        if self.routine_demand <= routine:
            return 1.0
        if routine <= 0:
            return MAX_STRETCH
        return min(MAX_STRETCH, self.routine_demand / routine)


@dataclass
class Grant:
    """What one request was charged in, so its answer can be read against the same lanes."""

    lanes: tuple[tuple[Lane, float], ...]
    table: VenueLimits


@dataclass
class Tally:
    """The cost one read spent per lane (the read's demand when the monitor plans it), and what
    its first request reserved for the requests after it (see :meth:`Budget.take_for_read`)."""

    cost: dict[Lane, float] = field(default_factory=dict)
    reserved: dict[Lane, float] = field(default_factory=dict)

    def add(self, lanes: tuple[tuple[Lane, float], ...]) -> None:
        for lane, cost in lanes:
            self.cost[lane] = self.cost.get(lane, 0.0) + cost


@dataclass(frozen=True)
class Cadence:
    """An account's planned cadence: the monitor's ``base`` interval and the one granted."""

    base: float
    interval: float
    urgent: bool
    reason: str | None  # why it is slower than asked, in words; None when it is not

    @property
    def stretched(self) -> bool:
        """Slower than asked by enough to tell the account's owner (not a rounding's worth)."""
        return self.interval > self.base * STRETCH_ENTER


class Pace:
    """Handed back with each read: the monitor tells it the interval it wants for the account
    and gets the interval the venue's limits allow (see :meth:`interval`)."""

    def __init__(self, budget: Budget, venue: str, token: str, tally: Tally) -> None:
        self._budget = budget
        self.venue = venue
        self.token = token
        self._tally = tally

    def interval(self, base: float, *, urgent: bool) -> float:
        """Plan the account's next reads every ``base`` seconds (``urgent``: it is at margin
        call or worse); returns the interval granted (``base`` or longer)."""
        return self._budget.plan(self.venue, self.token, self._tally, base, urgent).interval

    @property
    def cadence(self) -> Cadence | None:
        """The account's cadence as last planned (None before the monitor planned it)."""
        return self._budget.cadence(self.token)

    @property
    def exchange(self) -> str:
        """Who sets the venue's limits, for sentences ("Binance")."""
        return self._budget.operator(self.venue)


@dataclass(frozen=True)
class VenueReport:
    """One venue's standing against its limits (for /healthz, metrics and logs)."""

    venue: str
    state: str  # "ok" | "stretched" | "limited" | "banned"
    reason: str | None
    accounts: int
    reads_demanded_per_minute: float
    reads_granted_per_minute: float
    stretch: float
    limited_answers: int
    bans: int


@dataclass
class _Planned:
    venue: str
    cadence: Cadence
    lanes: tuple[Lane, ...]
    expires: float


class Budget:
    """All lanes of one hub. ``speed`` scales every window (tests); ``reserve`` is the share of
    each window routine reads leave to the other priorities."""

    def __init__(
        self,
        *,
        speed: float = 1.0,
        reserve: float = DEFAULT_RESERVE,
        enforce: bool = True,
        clock: LimitClock | None = None,
    ) -> None:
        if not 0.0 <= reserve < 1.0:
            raise ValueError("the reserve is a share of each limit, from 0 to below 1")
        # enforce=False charges and plans nothing: only for measuring the bot without limits
        # (bench/monitor_capacity.py --no-limits), never a default.
        self.enforce = enforce
        self.clock = clock or LimitClock(speed)
        self.reserve = reserve
        self._lanes: dict[tuple[str, str, str], Lane] = {}
        self._tables: dict[str, VenueLimits] = {}
        self._by_venue: dict[str, list[Lane]] = {}
        self._planned: dict[str, _Planned] = {}
        # Per venue, the routine stretch each lane last planned (all accounts of a lane share it).
        self._stretch: dict[str, dict[Lane, tuple[float, str]]] = {}
        self._stopped: set[Lane] = set()
        self._states: dict[str, str] = {}
        self._swept_at = 0.0
        # What one read of a venue costs per bucket, learnt from finished reads (a moving mean).
        self._read_cost: dict[tuple[str, str], float] = {}
        # The routine interval the monitor last asked per venue (for reads not planned yet).
        self._routine_base: dict[str, float] = {}

    @property
    def speed(self) -> float:
        return self.clock.speed

    def register(self, table: VenueLimits) -> None:
        self._tables[table.venue] = table
        self._by_venue.setdefault(table.venue, [])

    # --- charging ---------------------------------------------------------------------------

    def lanes(
        self,
        table: VenueLimits,
        charges: Mapping[str, float],
        *,
        route: str,
        key: str | None,
        endpoint: str,
    ) -> tuple[tuple[Lane, float], ...]:
        """The lanes ``charges`` fall in for a request over ``route`` with ``key``."""
        out = []
        for name, cost in charges.items():
            if cost <= 0:
                continue
            bucket = table.bucket(name)
            if bucket.scope == "key":
                if key is None:
                    continue  # a key's limit cannot be spent by a request without a key
                scope_id = key
            else:
                scope_id = route
            lane_key = (name, scope_id, endpoint if bucket.per_endpoint else "")
            lane = self._lanes.get(lane_key)
            if lane is None:
                lane = self._new_lane(bucket, scope_id, lane_key)
            out.append((lane, float(cost)))
        return tuple(out)

    def _new_lane(self, bucket: Bucket, scope_id: str, lane_key: tuple[str, str, str]) -> Lane:
        lane = Lane(bucket, scope_id, self.clock, self.reserve)
        self._lanes[lane_key] = lane
        for venue, table in self._tables.items():
            if any(b.name == bucket.name for b in table.buckets):
                lane.venues.add(venue)
                self._by_venue.setdefault(venue, []).append(lane)
        return lane

    async def acquire(
        self,
        table: VenueLimits,
        lanes: tuple[tuple[Lane, float], ...],
        priority: Priority,
        *,
        may_defer: bool = False,
    ) -> Grant:
        """Wait until every lane has room for its cost at ``priority``, then charge them all.

        Raises :class:`BudgetStopped` at once if a lane is stopped, and when room would come
        only after ``MAX_WAIT_WINDOWS`` windows; :class:`ReadDeferred` rather than waiting more
        than ``DEFER_AFTER_WINDOWS`` when ``may_defer`` (a routine read's first request).
        """
        grant = Grant(lanes, table)
        if not lanes or not self.enforce:
            return grant
        started = self.clock.now()
        longest = MAX_WAIT_WINDOWS * max(lane.window for lane, _ in lanes)
        waiting = False
        try:
            while True:
                now = self.clock.now()
                self._raise_if_stopped(table, lanes, now)
                wait = max(lane.wait_for(cost, priority, now) for lane, cost in lanes)
                if wait <= 0:
                    for lane, cost in lanes:
                        lane.charge(cost, now)
                    return grant
                if now + wait - started > longest:
                    raise BudgetStopped(
                        wait, f"{table.operator}'s limits leave no room for this request now"
                    )
                windows = max(lane.window for lane, _ in lanes)
                queued = any(lane.waiting.get(Priority.ROUTINE, 0.0) > 0 for lane, _ in lanes)
                # A routine read never queues behind another (each waiter holds a poll slot).
                if (
                    may_defer
                    and priority == Priority.ROUTINE
                    and (
                        wait > DEFER_AFTER_WINDOWS * windows
                        or (queued and not waiting)
                        or now - started > DEFER_AFTER_WINDOWS * windows
                    )
                ):
                    turn = max(lane.turn_for(cost, now, wait) for lane, cost in lanes)
                    raise ReadDeferred(turn, f"{table.operator}'s limits are spent for now")
                if not waiting:
                    waiting = True
                    for lane, cost in lanes:
                        lane.waiting[priority] = lane.waiting.get(priority, 0.0) + cost
                # A little jitter: many waiters on one lane do not all wake at the same instant.
                await self.clock.sleep(min(wait, lanes[0][0].window) * random.uniform(1.0, 1.05))
        finally:
            if waiting:
                for lane, cost in lanes:
                    left = lane.waiting.get(priority, 0.0) - cost
                    if left > 1e-9:
                        lane.waiting[priority] = left
                    else:
                        lane.waiting.pop(priority, None)

    def take_for_read(
        self, table: VenueLimits, lanes: tuple[tuple[Lane, float], ...], tally: Tally
    ) -> tuple[tuple[Lane, float], ...]:
        """The cost to take now for one request of a read.

        A read's first request takes what the whole read is expected to cost (learnt per venue
        and bucket), so a read admitted is a read that can finish: its later requests draw on
        that and never wait for room half-way, holding a poll slot a danger read needs.
        """
        out = []
        first = not tally.cost
        for lane, cost in lanes:
            if first:
                expected = self._read_cost.get((table.venue, lane.bucket.name), 0.0)
                # Never more than the lane could ever let through at once.
                take = max(cost, min(expected, lane.hard_cap() * (1 - self.reserve)))
                tally.reserved[lane] = take - cost
            else:
                left = tally.reserved.get(lane, 0.0)
                take = max(0.0, cost - left)
                tally.reserved[lane] = max(0.0, left - cost)
            out.append((lane, take))
        return tuple(out)

    def learn(self, venue: str, tally: Tally) -> None:
        """Fold one finished read's costs into the venue's expected read cost."""
        per_bucket: dict[str, float] = {}
        for lane, cost in tally.cost.items():
            per_bucket[lane.bucket.name] = per_bucket.get(lane.bucket.name, 0.0) + cost
        for name, cost in per_bucket.items():
            key = (venue, name)
            old = self._read_cost.get(key)
            self._read_cost[key] = cost if old is None else 0.8 * old + 0.2 * cost

    def _raise_if_stopped(
        self, table: VenueLimits, lanes: tuple[tuple[Lane, float], ...], now: float
    ) -> None:
        for lane, _ in lanes:
            remaining = lane.stopped_for(now)
            if remaining > 0:
                verdict = lane.stop.verdict if lane.stop else "limited"
                raise BudgetStopped(
                    remaining,
                    f"{table.operator} {verdict} requests from {_scope_words(lane.bucket)}; "
                    f"nothing is sent there for {remaining:.0f} s",
                )

    def observe(self, grant: Grant, status: int, headers: Mapping[str, str], body: str) -> None:
        """Read a response against the lanes its request was charged in."""
        if not self.enforce:
            return
        lowered = {str(k).lower(): v for k, v in headers.items()}
        for lane, _ in grant.lanes:
            reported = lane.bucket.reported
            if reported is not None:
                lane.reconcile(
                    _number(lowered, reported.used),
                    _number(lowered, reported.remaining),
                    _number(lowered, reported.limit),
                )
        answer = grant.table.answer(status, body)
        if answer is None:
            return
        retry_after = _number(lowered, "retry-after")
        for lane, _ in grant.lanes:
            if answer.scope is not None and lane.bucket.scope != answer.scope:
                continue
            lasts = lane.stop_for(answer, retry_after)
            self._stopped.add(lane)
            log.warning(
                "%s answered %s for %s (%s): nothing is sent there for %.0f s",
                grant.table.operator,
                answer.verdict,
                _scope_words(lane.bucket),
                lane.bucket.describe(),
                lasts,
            )
        self._update_state(grant.table.venue)

    # --- planning ---------------------------------------------------------------------------

    def plan(self, venue: str, token: str, tally: Tally, base: float, urgent: bool) -> Cadence:
        """Record that ``token``'s account wants a read every ``base`` s, costing what
        ``tally`` spent per lane; returns the cadence the lanes allow."""
        if not self.enforce:
            return Cadence(base=base, interval=base, urgent=urgent, reason=None)
        now = self.clock.now()
        self._sweep(now)
        if not urgent:
            self._routine_base[venue] = base
        old = self._planned.get(token)
        if tally.cost:
            rates = {lane: cost / base for lane, cost in tally.cost.items()} if base > 0 else {}
            for lane in old.lanes if old is not None else ():
                if lane not in rates:
                    lane.forget(token)
        elif old is not None and base > 0:  # a read that spent nothing: keep what it planned
            rates = {
                lane: lane.demand.get(token, (0.0, urgent))[0] * old.cadence.base / base
                for lane in old.lanes
            }
        else:
            rates = {}
        worst, which = 1.0, None
        for lane, rate in rates.items():
            lane.plan(token, rate, urgent)
            factor = lane.stretch(urgent)
            if not urgent:
                self._stretch.setdefault(venue, {})[lane] = (factor, lane.bucket.describe())
            if factor > worst:
                worst, which = factor, lane
        reason = None
        if which is not None and worst > STRETCH_LEAVE:
            reason = f"{self.operator(venue)} allows {which.bucket.describe()}"
        cadence = Cadence(base=base, interval=base * worst, urgent=urgent, reason=reason)
        self._planned[token] = _Planned(
            venue, cadence, tuple(rates), now + 3 * cadence.interval + 120.0
        )
        self._update_state(venue)
        return cadence

    def note_deferred(
        self, venue: str, token: str | None, lanes: tuple[tuple[Lane, float], ...]
    ) -> None:
        """A read put off before the monitor ever planned its account (a restart's backlog):
        count its demand now, so every cadence stretches for it at once, not a cycle later."""
        if token is None or token in self._planned or not self.enforce:
            return
        tally = Tally()
        tally.cost = {
            lane: max(cost, self._read_cost.get((venue, lane.bucket.name), 0.0))
            for lane, cost in lanes
        }
        self.plan(venue, token, tally, self._routine_base.get(venue, 60.0), False)

    def cadence(self, token: str) -> Cadence | None:
        planned = self._planned.get(token)
        return None if planned is None else planned.cadence

    def is_urgent(self, token: str) -> bool:
        planned = self._planned.get(token)
        return planned is not None and planned.cadence.urgent

    def forget(self, token: str) -> None:
        """An account no longer read (unlinked): its demand leaves every lane."""
        planned = self._planned.pop(token, None)
        if planned is not None:
            for lane in planned.lanes:
                lane.forget(token)

    def _sweep(self, now: float) -> None:
        # Accounts that stopped being read (unlinked, paused) stop counting as demand.
        if now - self._swept_at < 30.0:
            return
        self._swept_at = now
        for token in [t for t, p in self._planned.items() if p.expires < now]:
            self.forget(token)

    # --- reporting --------------------------------------------------------------------------

    def operator(self, venue: str) -> str:
        table = self._tables.get(venue)
        return table.operator if table else venue

    def report(self) -> dict[str, VenueReport]:
        """Every venue this budget has seen, with its state against its limits."""
        per_venue: dict[str, list[_Planned]] = {}
        for planned in self._planned.values():
            per_venue.setdefault(planned.venue, []).append(planned)
        out = {}
        for venue in sorted(set(self._tables) | set(per_venue)):
            plans = per_venue.get(venue, [])
            lanes = self._by_venue.get(venue, [])
            state, reason = self._state_of(venue)
            out[venue] = VenueReport(
                venue=venue,
                state=state,
                reason=reason,
                accounts=len(plans),
                reads_demanded_per_minute=round(
                    sum(60.0 / p.cadence.base for p in plans if p.cadence.base > 0), 2
                ),
                reads_granted_per_minute=round(
                    sum(60.0 / p.cadence.interval for p in plans if p.cadence.interval > 0), 2
                ),
                stretch=round(self._routine_stretch(venue)[0], 2),
                limited_answers=sum(lane.limited_answers for lane in lanes),
                bans=sum(lane.bans for lane in lanes),
            )
        return out

    def _routine_stretch(self, venue: str) -> tuple[float, str | None]:
        lanes = self._stretch.get(venue)
        if not lanes:
            return 1.0, None
        factor, described = max(lanes.values(), key=lambda item: item[0])
        return factor, described

    def _state_of(self, venue: str) -> tuple[str, str | None]:
        """The venue's state: a stopped IP lane (limited, banned), stretched cadences, or ok.

        A stopped key concerns one account, not the venue: it shows on that account only.
        """
        now = self.clock.now()
        operator = self.operator(venue)
        for lane in list(self._stopped):
            if lane.stopped_for(now) <= 0:
                self._stopped.discard(lane)
        stops = [
            lane
            for lane in self._stopped
            if venue in lane.venues and lane.bucket.scope == "ip" and lane.stop is not None
        ]
        for verdict in ("banned", "limited"):
            hit = [lane for lane in stops if lane.stop is not None and lane.stop.verdict == verdict]
            if hit:
                lane = max(hit, key=lambda x: x.stop.until if x.stop else 0.0)
                left = lane.stopped_for(now)
                return verdict, (
                    f"{operator} {verdict} requests from {_scope_words(lane.bucket)} "
                    f"({lane.bucket.describe()}); nothing is sent there for {left:.0f} s"
                )
        factor, described = self._routine_stretch(venue)
        threshold = STRETCH_LEAVE if self._states.get(venue) == "stretched" else STRETCH_ENTER
        if factor > threshold:
            return "stretched", f"reads stretched {factor:.1f}x: {operator} allows {described}"
        return "ok", None

    def _update_state(self, venue: str) -> None:
        state, reason = self._state_of(venue)
        if self._states.get(venue, "ok") != state:
            self._states[venue] = state
            if state == "ok":
                log.info("%s: back within its limits; reads at the cadence asked", venue)
            else:
                log.warning("%s: %s (%s)", venue, state, reason)
        else:
            self._states[venue] = state


def _scope_words(bucket: Bucket) -> str:
    return "this IP" if bucket.scope == "ip" else "this API key"


def _number(headers: Mapping[str, str], name: str | None) -> float | None:
    if name is None:
        return None
    value = headers.get(name.lower())
    if value is None:
        return None
    try:
        number = float(str(value).split(",")[0].strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
