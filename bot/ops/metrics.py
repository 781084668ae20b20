"""The service's Prometheus metrics, in one registry per :class:`Metrics` (never the global one).

Other packages record through the module-level functions, which write to the installed
:class:`Metrics` (a fresh one exists from import, so calling them is always safe and cheap)::

    from bot.ops import metrics

    metrics.record_poll()                        # one account read, whatever its outcome
    metrics.record_poll(failure="rate_limited")  # ... that failed, with the ExchangeReadError state
    metrics.record_alert("margin_call")          # one alert queued, by level (or feed problem)
    metrics.record_withheld("hysteresis")        # a named rule started holding alerts back
    metrics.record_outbox_expired(2)             # outbox rows dropped: their chat never took them
    metrics.record_replies_dropped(5)            # command replies dropped by a shutdown
    metrics.observe_delivery_lag(12.5)           # seconds from queued (created_at) to delivered
    metrics.set_outbox_depth(3)                  # messages waiting to be delivered
    metrics.set_accounts({"active": 40, "key_invalid": 2})  # accounts per status, all of them
    metrics.set_front_end("telegram", up=True)   # a chat front end connected (False: lost)
    metrics.watch_venue_limits(hub.limits_report) # each venue's standing against its limits
    metrics.set_exchange_mode("simulator")       # which exchanges are read (live: the real ones)

The composition root makes one ``Metrics()``, calls :func:`install` and serves it with
:class:`bot.ops.server.OpsServer`; tests make their own and either call its methods or install
it with :func:`installed`. Label values are cut to ``[a-z0-9_]`` and 40 characters, so a stray
error text can neither blow up the number of series nor leak into the exposition.

Exposed names (prefix ``marginwatch_``): ``polls_total``, ``poll_failures_total{reason}``,
``alerts_total{level}``, ``alerts_withheld_total{rule}``, ``outbox_expired_total``,
``replies_dropped_total``, ``delivery_lag_seconds`` (histogram), ``outbox_depth``,
``accounts{state}``, ``front_end_up{front_end}``, ``last_poll_timestamp_seconds``,
``exchange_mode{mode}`` (1 for the mode in effect: live, testnet or simulator), and per venue
against its request limits: ``venue_reads_demanded_per_minute{venue}``,
``venue_reads_granted_per_minute{venue}``, ``venue_limit_state{venue,state}`` (1 for the
current state: ok, stretched, limited, banned), ``venue_limited_answers{venue}`` and
``venue_bans{venue}`` (answers so far).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

NAMESPACE = "marginwatch"
# Seconds from an alert being queued to it reaching the chat: sub-second when healthy, minutes
# while a platform rate-limits or is down.
DELIVERY_LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)
_LABEL_CHARS = re.compile(r"[^a-z0-9_]+")
VENUE_LIMIT_STATES = ("ok", "stretched", "limited", "banned")
# The source of venue limit reports: venue -> an object with state, reason,
# reads_demanded_per_minute, reads_granted_per_minute, limited_answers and bans (the exchange
# hub's limits_report; duck-typed, so this module stays a leaf).
LimitsSource = Callable[[], Mapping[str, Any]]


def label(value: str) -> str:
    """A safe, bounded label value: lower-case ``[a-z0-9_]``, at most 40 characters."""
    cleaned = _LABEL_CHARS.sub("_", str(value).strip().lower()).strip("_")[:40]
    return cleaned or "other"


@dataclass(frozen=True)
class HealthReport:
    """What /healthz says: ``ok`` or ``degraded``, and why."""

    status: str  # "ok" | "degraded"
    problems: tuple[str, ...]  # everything degraded, in words (the exchanges' limits included)
    last_poll_at: float | None
    seconds_since_last_poll: float | None
    outbox_depth: int
    accounts: int
    front_ends: Mapping[str, bool]
    uptime_seconds: float
    # Venues read slower than asked, or refused, because of their request limits: degraded,
    # but nothing a restart would fix (see ``needs_attention``).
    venue_limits: Mapping[str, str] = dataclasses.field(default_factory=dict)
    exchange_mode: str = "live"  # anything else: a rehearsal, no real account is read

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def needs_attention(self) -> bool:
        """A problem besides the venues' limits (a front end down, reads stuck): what a health
        check should act on. Limits alone are degraded but no reason to restart."""
        return len(self.problems) > len(self.venue_limits)

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "problems": list(self.problems),
            "last_poll_at": self.last_poll_at,
            "seconds_since_last_poll": self.seconds_since_last_poll,
            "outbox_depth": self.outbox_depth,
            "accounts": self.accounts,
            "front_ends": dict(self.front_ends),
            "uptime_seconds": round(self.uptime_seconds, 3),
            "venue_limits": dict(self.venue_limits),
            "exchange_mode": self.exchange_mode,
        }


class Metrics:
    """All metrics of one running service, in their own registry."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.started_at = clock()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.polls = Counter("polls", "Account reads attempted.", namespace=NAMESPACE, registry=r)
        self.poll_failures = Counter(
            "poll_failures",
            "Account reads that failed, by reason.",
            ["reason"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.alerts = Counter(
            "alerts",
            "Alerts queued for delivery, by level.",
            ["level"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.alerts_withheld = Counter(
            "alerts_withheld",
            "Times a named rule (hysteresis, snooze) started holding a subscription's alerts back.",
            ["rule"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.outbox_expired = Counter(
            "outbox_expired",
            "Outbox messages dropped because their chat did not accept them within the age limit.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.replies_dropped = Counter(
            "replies_dropped",
            "Command replies still waiting when the service stopped, dropped unsent.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.delivery_lag = Histogram(
            "delivery_lag_seconds",
            "Seconds from an alert being queued to its delivery.",
            namespace=NAMESPACE,
            buckets=DELIVERY_LAG_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge(
            "outbox_depth", "Messages waiting in the outbox.", namespace=NAMESPACE, registry=r
        )
        self.accounts = Gauge(
            "accounts", "Linked accounts, by state.", ["state"], namespace=NAMESPACE, registry=r
        )
        self.front_end_up = Gauge(
            "front_end_up",
            "1 while a chat front end is connected.",
            ["front_end"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.last_poll = Gauge(
            "last_poll_timestamp_seconds",
            "Unix time of the latest account read.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.exchange_mode = Gauge(
            "exchange_mode",
            "1 for the exchanges this service reads (live: the real ones; testnet, simulator).",
            ["mode"],
            namespace=NAMESPACE,
            registry=r,
        )
        self._exchange_mode = "live"
        self.exchange_mode.labels(mode="live").set(1)
        self._last_poll_at: float | None = None
        self._depth = 0
        self._account_counts: dict[str, int] = {}
        self._front_ends: dict[str, bool] = {}
        self._limits: LimitsSource | None = None
        r.register(_VenueLimitsCollector(self))

    def __repr__(self) -> str:
        return f"Metrics(outbox_depth={self._depth}, last_poll_at={self._last_poll_at})"

    # --- recording -----------------------------------------------------------------------
    def record_poll(self, *, failure: str | None = None) -> None:
        """One account read; ``failure`` is why it failed (e.g. ``rate_limited``), None if ok."""
        now = self._clock()
        self.polls.inc()
        if failure is not None:
            self.poll_failures.labels(reason=label(failure)).inc()
        with self._lock:
            self._last_poll_at = now
        self.last_poll.set(now)

    def record_alert(self, level: str) -> None:
        """One alert queued: ``watch``, ``margin_call``, ``critical``, ``ok`` (recovery), ..."""
        self.alerts.labels(level=label(level)).inc()

    def record_withheld(self, rule: str) -> None:
        """A rule (``hysteresis``, ``snooze``) started holding a subscription's alerts back."""
        self.alerts_withheld.labels(rule=label(rule)).inc()

    def record_outbox_expired(self, count: int) -> None:
        """Outbox rows dropped because their chat never accepted them in time."""
        if count > 0:
            self.outbox_expired.inc(count)

    def record_replies_dropped(self, count: int) -> None:
        """Command replies that were still waiting to go out when the service stopped."""
        if count > 0:
            self.replies_dropped.inc(count)

    def observe_delivery_lag(self, seconds: float) -> None:
        """Seconds between an outbox row's ``created_at`` and its delivery."""
        self.delivery_lag.observe(max(0.0, float(seconds)))

    def set_outbox_depth(self, depth: int) -> None:
        with self._lock:
            self._depth = int(depth)
        self.outbox_depth.set(depth)

    def set_accounts(self, counts: Mapping[str, int]) -> None:
        """Accounts per state; a state missing from ``counts`` that was there before drops to 0."""
        fresh = {label(state): int(n) for state, n in counts.items()}
        with self._lock:
            for state in self._account_counts.keys() - fresh.keys():
                self.accounts.labels(state=state).set(0)
            self._account_counts = fresh
        for state, n in fresh.items():
            self.accounts.labels(state=state).set(n)

    def set_front_end(self, name: str, *, up: bool) -> None:
        """Whether a chat front end (``discord``, ``telegram``) is connected."""
        key = label(name)
        with self._lock:
            self._front_ends[key] = up
        self.front_end_up.labels(front_end=key).set(1 if up else 0)

    def watch_venue_limits(self, source: LimitsSource | None) -> None:
        """Report each venue's standing against its request limits from ``source`` (read at
        each scrape and health check)."""
        with self._lock:
            self._limits = source

    def venue_limits(self) -> dict[str, Any]:
        """The latest venue limit reports (empty when nothing is watched)."""
        with self._lock:
            source = self._limits
        if source is None:
            return {}
        try:
            return dict(source())
        except Exception:  # a report must never break a scrape or a health check
            return {}

    def set_exchange_mode(self, mode: str) -> None:
        """Which exchanges are read: ``live``, ``testnet`` or ``simulator``."""
        key = label(mode)
        with self._lock:
            previous, self._exchange_mode = self._exchange_mode, key
        self.exchange_mode.labels(mode=previous).set(0)
        self.exchange_mode.labels(mode=key).set(1)

    # --- reading -------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """The Prometheus text format of this registry."""
        return generate_latest(self.registry)

    def health(self, *, stale_after: float) -> HealthReport:
        """``degraded`` when a front end is down, or accounts exist but no read for ``stale_after``.

        Before the first read, ``stale_after`` seconds of start-up grace apply.
        """
        now = self._clock()
        with self._lock:
            last, depth = self._last_poll_at, self._depth
            accounts = sum(self._account_counts.values())
            front_ends = dict(self._front_ends)
            mode = self._exchange_mode
        problems = [f"{name} is not connected" for name, up in sorted(front_ends.items()) if not up]
        since = None if last is None else max(0.0, now - last)
        if accounts:
            if since is None and now - self.started_at > stale_after:
                problems.append(f"no account read since start-up ({now - self.started_at:.0f}s)")
            elif since is not None and since > stale_after:
                problems.append(f"no account read for {since:.0f}s")
        limited = {
            venue: str(getattr(report, "reason", None) or getattr(report, "state", ""))
            for venue, report in sorted(self.venue_limits().items())
            if getattr(report, "state", "ok") != "ok"
        }
        problems.extend(f"{venue}: {reason}" for venue, reason in limited.items())
        return HealthReport(
            status="degraded" if problems else "ok",
            problems=tuple(problems),
            last_poll_at=last,
            seconds_since_last_poll=None if since is None else round(since, 3),
            outbox_depth=depth,
            accounts=accounts,
            front_ends=front_ends,
            uptime_seconds=now - self.started_at,
            venue_limits=limited,
            exchange_mode=mode,
        )


class _VenueLimitsCollector(Collector):
    """The venue limit gauges, read from the watched source at each scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # collected fresh at each scrape; nothing to describe up front

    def collect(self) -> Iterable[GaugeMetricFamily]:
        reports = self._metrics.venue_limits()
        demanded = GaugeMetricFamily(
            f"{NAMESPACE}_venue_reads_demanded_per_minute",
            "Account reads per minute the monitor asks of the venue.",
            labels=["venue"],
        )
        granted = GaugeMetricFamily(
            f"{NAMESPACE}_venue_reads_granted_per_minute",
            "Account reads per minute the venue's request limits allow.",
            labels=["venue"],
        )
        state = GaugeMetricFamily(
            f"{NAMESPACE}_venue_limit_state",
            "1 for the venue's current standing against its request limits.",
            labels=["venue", "state"],
        )
        limited = GaugeMetricFamily(
            f"{NAMESPACE}_venue_limited_answers",
            "Answers meaning 'limited' the venue gave since start.",
            labels=["venue"],
        )
        bans = GaugeMetricFamily(
            f"{NAMESPACE}_venue_bans", "Bans the venue answered since start.", labels=["venue"]
        )
        for venue, report in sorted(reports.items()):
            name = label(venue)
            demanded.add_metric([name], float(getattr(report, "reads_demanded_per_minute", 0)))
            granted.add_metric([name], float(getattr(report, "reads_granted_per_minute", 0)))
            current = getattr(report, "state", "ok")
            for each in VENUE_LIMIT_STATES:
                state.add_metric([name, each], 1.0 if each == current else 0.0)
            limited.add_metric([name], float(getattr(report, "limited_answers", 0)))
            bans.add_metric([name], float(getattr(report, "bans", 0)))
        return [demanded, granted, state, limited, bans]


_current = Metrics()


def current() -> Metrics:
    """The installed metrics (what the module-level functions write to)."""
    return _current


def install(metrics: Metrics) -> Metrics:
    """Make ``metrics`` the target of the module-level functions; returns the previous one."""
    global _current
    previous, _current = _current, metrics
    return previous


@contextlib.contextmanager
def installed(metrics: Metrics) -> Iterator[Metrics]:
    """Install ``metrics`` for the duration of a ``with`` block (tests, the demo)."""
    previous = install(metrics)
    try:
        yield metrics
    finally:
        install(previous)


def record_poll(*, failure: str | None = None) -> None:
    _current.record_poll(failure=failure)


def record_alert(level: str) -> None:
    _current.record_alert(level)


def record_withheld(rule: str) -> None:
    _current.record_withheld(rule)


def record_outbox_expired(count: int) -> None:
    _current.record_outbox_expired(count)


def record_replies_dropped(count: int) -> None:
    _current.record_replies_dropped(count)


def observe_delivery_lag(seconds: float) -> None:
    _current.observe_delivery_lag(seconds)


def set_outbox_depth(depth: int) -> None:
    _current.set_outbox_depth(depth)


def set_accounts(counts: Mapping[str, int]) -> None:
    _current.set_accounts(counts)


def set_front_end(name: str, *, up: bool) -> None:
    _current.set_front_end(name, up=up)


def watch_venue_limits(source: LimitsSource | None) -> None:
    _current.watch_venue_limits(source)


def set_exchange_mode(mode: str) -> None:
    _current.set_exchange_mode(mode)
