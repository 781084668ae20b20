"""The simulator enforces each venue's request limits as the venue does (on by default).

The rules are the product's one table, :mod:`bot.exchanges.limits` (a leaf of the standard
library, so importing it pulls in no ccxt): weights per endpoint, the scope (the caller's IP,
which is ``request.remote``, or its API key, from the venue's key header), the window and how
the venue counts it (fixed windows on the clock for Binance, rolling ones, Kraken's draining
counter). How the venue *behaves* is modelled here:

- a request over a limit is refused with the venue's own "limited" answer and a
  ``Retry-After`` saying when the window has room again (Bybit's per-IP limit bans at once, as
  documented);
- a request arriving while its scope is refused ("failing to back off after receiving 429s"),
  or the third refusal within two windows, earns the venue's ban where it has one (Binance 418,
  from 2 minutes and doubling; Bybit 403 for 10 minutes; Kraken's temporary lockout), else one
  more "limited";
- successful answers carry the venue's own count where it reports one (Binance
  ``X-MBX-USED-WEIGHT-1M``, Bybit ``X-Bapi-Limit`` / ``X-Bapi-Limit-Status``).

``speed`` runs every window that many times faster (the product's budget must then run at the
same speed); ``Retry-After`` stays in the venue's seconds. :meth:`SimLimits.consume` charges
cost for another program on the same IP or key. :meth:`SimLimits.report` gives, per venue, the
limited answers, bans and the largest cost any scope spent in one window.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.exchanges.limits import VENUE_LIMITS, Answer, Bucket, VenueLimits

# Refusals of one scope within two windows that earn a ban (where the venue bans).
BAN_AFTER = 3
# Requests arriving this long (real seconds) after a scope's first refusal were already on
# their way when the client was told: they are refused too, but are no failure to back off.
IN_FLIGHT_GRACE = 0.25


class _Counter:
    """One bucket for one scope, counted as the venue counts it."""

    def __init__(self, bucket: Bucket, limit: float) -> None:
        self.bucket = bucket
        self.limit = limit
        self._log: deque[tuple[float, float]] = deque()
        self._total = 0.0
        self._index = -1
        self._fixed = 0.0
        self._level = 0.0
        self._level_at = 0.0
        self.max_used = 0.0

    def used(self, now: float) -> float:
        kind = self.bucket.kind
        if kind == "fixed":
            index = math.floor(now / self.bucket.window)
            if index != self._index:
                self._index, self._fixed = index, 0.0
            return self._fixed
        if kind == "decay":
            drain = self.bucket.limit / self.bucket.window
            return max(0.0, self._level - drain * (now - self._level_at))
        while self._log and self._log[0][0] <= now - self.bucket.window:
            self._total -= self._log.popleft()[1]
        if not self._log:
            self._total = 0.0
        return self._total

    def room_in(self, cost: float, now: float) -> float | None:
        """None when ``cost`` fits now, else the seconds until it would."""
        used = self.used(now)
        excess = used + cost - self.limit
        if excess <= 1e-9:
            return None
        kind = self.bucket.kind
        if kind == "fixed":
            return (self._index + 1) * self.bucket.window - now
        if kind == "decay":
            return excess / (self.bucket.limit / self.bucket.window)
        freed = 0.0
        for at, spent in self._log:
            freed += spent
            if freed >= excess - 1e-9:
                return max(0.0, at + self.bucket.window - now)
        return self.bucket.window

    def charge(self, cost: float, now: float) -> None:
        used = self.used(now)
        kind = self.bucket.kind
        if kind == "fixed":
            self._fixed = used + cost
        elif kind == "decay":
            self._level, self._level_at = used + cost, now
        else:
            self._log.append((now, cost))
            self._total += cost
        self.max_used = max(self.max_used, used + cost)


@dataclass
class _Scope:
    """The venue's standing with one caller on one bucket: refusals and bans."""

    refusals: deque[float] = field(default_factory=deque)
    refused_since: float = 0.0
    refused_until: float = 0.0
    banned_until: float = 0.0
    bans: int = 0


@dataclass
class Admitted:
    """A request let through: what it was charged, so its answer can carry the venue's count."""

    table: VenueLimits
    counters: list[tuple[_Counter, float]]
    now: float


@dataclass
class _VenueStats:
    requests: int = 0
    limited_answers: int = 0
    bans: int = 0
    requests_while_refused: int = 0


class SimLimits:
    """Per-venue, per-scope request counting and the venues' answers past their limits."""

    def __init__(
        self,
        *,
        speed: float = 1.0,
        enabled: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not speed > 0:
            raise ValueError("the limits speed must be positive")
        self.speed = float(speed)
        self.enabled = enabled
        self.clock = clock  # wall-clock seconds (tests may hold it still)
        self._counters: dict[tuple[str, str, str], _Counter] = {}
        self._scopes: dict[tuple[str, str, str], _Scope] = {}
        self._stats: dict[str, _VenueStats] = {}

    def now(self) -> float:
        """Venue time (wall clock, as the venues align their windows), ``speed`` times faster."""
        return self.clock() * self.speed

    def table(self, venue: str) -> VenueLimits | None:
        return VENUE_LIMITS.get(venue) if self.enabled else None

    # --- the request path -------------------------------------------------------------------

    async def admit(
        self, venue: str, plugin: Any, request: web.Request, path: str
    ) -> tuple[web.StreamResponse | None, Admitted | None]:
        """Charge ``request``; returns the venue's refusal instead when it goes over a limit."""
        table = self.table(venue)
        if table is None:
            return None, None
        kind = await _body_kind(table, request)
        charges = table.charges(request.method, path, kind)
        ip = request.remote or "unknown"
        key = request.headers.get(table.key_header) if table.key_header else None
        stats = self._stats.setdefault(venue, _VenueStats())
        stats.requests += 1
        now = self.now()
        wanted: list[tuple[_Counter, float, tuple[str, str, str]]] = []
        for name, cost in charges.items():
            if cost <= 0:
                continue
            bucket = table.bucket(name)
            who = ip if bucket.scope == "ip" else key
            if who is None:
                continue
            scope_key = (name, who, path if bucket.per_endpoint else "")
            counter = self._counters.get(scope_key)
            if counter is None:
                counter = self._counters[scope_key] = _Counter(bucket, float(bucket.limit))
            wanted.append((counter, float(cost), scope_key))
        for counter, cost, scope_key in wanted:
            refusal = self._refuse_if_over(table, plugin, counter, cost, scope_key, stats, now)
            if refusal is not None:
                return refusal, None
        for counter, cost, _ in wanted:
            counter.charge(cost, now)
        return None, Admitted(table, [(c, cost) for c, cost, _ in wanted], now)

    def _refuse_if_over(
        self,
        table: VenueLimits,
        plugin: Any,
        counter: _Counter,
        cost: float,
        scope_key: tuple[str, str, str],
        stats: _VenueStats,
        now: float,
    ) -> web.StreamResponse | None:
        scope = self._scopes.setdefault(scope_key, _Scope())
        bucket = counter.bucket
        ban = _answer(table, "banned", bucket)
        if now < scope.banned_until and ban is not None:
            stats.requests_while_refused += 1
            return _refusal(plugin, table, ban, scope.banned_until - now)
        if now < scope.refused_until:
            if now - scope.refused_since < IN_FLIGHT_GRACE * self.speed:
                stats.limited_answers += 1  # sent before the client could know
                limited = _answer(table, "limited", bucket) or Answer("limited", status=429)
                return _refusal(plugin, table, limited, scope.refused_until - now)
            stats.requests_while_refused += 1
            return self._refuse(table, plugin, bucket, scope, stats, now, scope.refused_until - now)
        wait = counter.room_in(cost, now)
        if wait is None:
            return None
        return self._refuse(table, plugin, bucket, scope, stats, now, wait)

    def _refuse(
        self,
        table: VenueLimits,
        plugin: Any,
        bucket: Bucket,
        scope: _Scope,
        stats: _VenueStats,
        now: float,
        wait: float,
    ) -> web.StreamResponse:
        while scope.refusals and scope.refusals[0] < now - 2 * bucket.window:
            scope.refusals.popleft()
        scope.refusals.append(now)
        ban = _answer(table, "banned", bucket)
        if ban is not None and (bucket.exceeded == "banned" or len(scope.refusals) >= BAN_AFTER):
            scope.bans += 1
            # Binance: "from 2 minutes to 3 days", growing with each repeat.
            lasts = (ban.lasts or 2 * bucket.window) * 2 ** (scope.bans - 1)
            scope.banned_until = now + min(lasts, 3 * 86400.0)
            scope.refusals.clear()
            stats.bans += 1
            return _refusal(plugin, table, ban, scope.banned_until - now)
        limited = _answer(table, "limited", bucket)
        if now >= scope.refused_until:
            scope.refused_since = now
        scope.refused_until = max(scope.refused_until, now + wait)
        stats.limited_answers += 1
        if limited is None:  # a venue that only bans (none today): answer its ban
            limited = ban or Answer("limited", status=429)
        return _refusal(plugin, table, limited, wait)

    def stamp(self, admitted: Admitted | None, response: web.StreamResponse) -> None:
        """Add the venue's own count of what the caller used to a successful answer."""
        if admitted is None:
            return
        for counter, _ in admitted.counters:
            reported = counter.bucket.reported
            if reported is None:
                continue
            used = counter.used(self.now())
            if reported.used:
                response.headers[reported.used] = f"{used:g}"
            if reported.remaining:
                response.headers[reported.remaining] = f"{max(0.0, counter.limit - used):g}"
            if reported.limit:
                response.headers[reported.limit] = f"{counter.limit:g}"

    # --- control ----------------------------------------------------------------------------

    def consume(
        self, venue: str, bucket: str, who: str, cost: float, *, endpoint: str = ""
    ) -> None:
        """Charge ``cost`` to ``who`` (an IP or key) on ``bucket``: another program's use."""
        table = VENUE_LIMITS[venue]
        spec = table.bucket(bucket)
        scope_key = (bucket, who, endpoint if spec.per_endpoint else "")
        counter = self._counters.get(scope_key)
        if counter is None:
            counter = self._counters[scope_key] = _Counter(spec, float(spec.limit))
        counter.charge(cost, self.now())

    def report(self) -> dict[str, dict[str, Any]]:
        """Per venue: requests, limited answers, bans, and per bucket the largest cost one
        scope spent in one window (as the venue counts) against the limit."""
        out: dict[str, dict[str, Any]] = {}
        for venue, stats in self._stats.items():
            table = VENUE_LIMITS[venue]
            names = {b.name for b in table.buckets}
            peaks: dict[str, float] = {}
            for (name, _, _), counter in self._counters.items():
                if name in names:
                    peaks[name] = max(peaks.get(name, 0.0), counter.max_used)
            out[venue] = {
                "requests": stats.requests,
                "limited_answers": stats.limited_answers,
                "bans": stats.bans,
                "requests_while_refused": stats.requests_while_refused,
                "max_cost_per_window": peaks,
                "cost_limit_per_window": {b.name: b.limit for b in table.buckets},
            }
        return out


def _answer(table: VenueLimits, verdict: str, bucket: Bucket) -> Answer | None:
    return next(
        (
            a
            for a in table.answers
            if a.verdict == verdict and (a.scope is None or a.scope == bucket.scope)
        ),
        None,
    )


async def _body_kind(table: VenueLimits, request: web.Request) -> str | None:
    if table.body_field is None or not request.body_exists:
        return None
    try:
        body = json.loads(await request.text())
    except ValueError:
        return None
    kind = body.get(table.body_field) if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else None


def _refusal(plugin: Any, table: VenueLimits, answer: Answer, wait: float) -> web.Response:
    """The venue's own body for ``answer``, with Retry-After (whole venue seconds)."""
    retry_after = max(1, math.ceil(wait))
    venue = table.venue
    response: web.Response
    if answer.verdict == "banned" and venue.startswith("binance"):
        until = int((time.time() + wait) * 1000)
        response = web.json_response(
            {
                "code": -1003,
                "msg": f"Way too much request weight used; IP banned until {until}. Please use "
                "WebSocket Streams for live updates to avoid bans.",
            },
            status=answer.status or 418,
        )
    elif answer.verdict == "banned" and venue == "bybit":
        # Bybit names no Retry-After for this: "wait for at least 10 minutes".
        return web.Response(status=answer.status or 403, text="403 Forbidden: access too frequent")
    elif answer.marker and answer.marker.startswith("E"):  # Kraken's error array
        response = web.json_response({"error": [answer.marker], "result": {}})
    else:
        response = plugin.error_response("rate_limit", float(retry_after))
    response.headers["Retry-After"] = str(retry_after)
    return response
