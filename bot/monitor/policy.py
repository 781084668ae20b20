"""The alert policy: a pure state machine from (persisted state, latest reading, time) to alerts.

No I/O and no clock: the caller passes ``now`` (seconds since the epoch) and persists the returned
state together with the returned events (``store.transition``), so re-evaluating after a restart
never repeats what was already told. Every rule here has a test named after the story it protects
in ``tests/monitor/test_policy.py``.

The state is the store's own record (``bot.store.records.AlertState``): one vocabulary on both
sides. Each alert is numbered by the subscription's ``sequence``, saved in the same transaction
as the alert, so its outbox key (``sub{id}:{n}:{kind}``) is the same when the same poll is judged
again and new for every new alert: two distinct transitions can never share a key.

Alerts held back on purpose are held by a named rule, recorded as ``AlertState.withheld``:
``hysteresis`` (a recovery waits until the figure is past the band) and ``snooze`` (the owner
paused routine alerts). A critical escalation is never held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.exchanges.types import ReadState
from bot.store.records import ALERT_LEVELS, AlertLevel, AlertState, FeedTold, Thresholds, Withheld
from risk.model import Health

Level = AlertLevel
LEVELS: tuple[Level, ...] = ALERT_LEVELS
_RANK: dict[str, int] = {name: rank for rank, name in enumerate(LEVELS)}

Priority = Literal["critical", "routine"]
EventKind = Literal[
    "escalation",  # the level rose
    "reminder",  # still at margin call or worse
    "recovery",  # the level fell past the hysteresis band
    "data_stale",  # reads failed for N polls in a row
    "key_invalid",  # the exchange refused the key (invalid, revoked, or lost its read permission)
    "exchange_down",  # the exchange did not answer for N polls in a row
    "feed_restored",  # reads succeed again after one of the three above was told
    "position_vanished",  # a position seen at the previous poll is gone (closed or liquidated)
]
# How an exchange read failed: bot.exchanges' own word (ExchangeReadError.state).
Problem = ReadState

# Read failures that mean the key itself was refused: told at once, and polling stops.
KEY_PROBLEMS = frozenset({"auth_failed", "permission_denied"})

__all__ = [
    "KEY_PROBLEMS",
    "LEVELS",
    "AlertEvent",
    "AlertRules",
    "AlertState",
    "Decision",
    "FeedFailure",
    "Level",
    "Problem",
    "Subject",
    "Thresholds",
    "evaluate",
    "judge_level",
    "rank",
]


def rank(level: Level | str) -> int:
    """Order of severity: ok 0, watch 1, margin_call 2, critical 3."""
    return _RANK[level]


@dataclass(frozen=True, slots=True)
class AlertRules:
    """How a subscription is alerted; the defaults are the product's.

    ``thresholds`` are the subscription's own levels (``bot.store.records.Thresholds``): they
    only ever add alerts, the venue's own levels always apply too.
    """

    thresholds: Thresholds = field(default_factory=Thresholds)
    # "Critical = within the user's distance of liquidation": this distance when they set none.
    default_critical_move: float = 0.05
    # Recovery is announced only once the figure is this much (relative) on the safe side of the
    # level it left, so an account hovering on a line does not flap between alert and all-clear.
    hysteresis: float = 0.10
    remind_margin_call_every: float = 30 * 60.0
    remind_critical_every: float = 10 * 60.0
    # Consecutive failed reads before "stale" / "exchange down" is told; a key refusal is told
    # at once.
    stale_after_polls: int = 3
    snoozed_until: float | None = None

    def snoozed(self, now: float) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until


@dataclass(frozen=True, slots=True)
class Subject:
    """Who the alert is for and about; copied into every event so delivery needs no look-up."""

    subscription_id: int
    account_label: str
    venue: str


@dataclass(frozen=True, slots=True)
class FeedFailure:
    """A poll whose read failed; ``problem`` is ExchangeReadError.state."""

    problem: Problem


Reading = Health | FeedFailure


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One thing to tell a subscription; the outbox stores it and delivery renders it."""

    subscription_id: int
    account_label: str
    venue: str
    kind: EventKind
    level: Level  # the level after this event
    previous_level: Level
    priority: Priority
    idempotency_key: str
    at: float
    ratio_name: str | None = None
    ratio_value: float | None = None
    move_to_liquidation: float | None = None
    symbol: str | None = None  # position_vanished
    problem: str | None = None  # feed events: the read failure behind them
    approximate: bool = False
    sequence: int = 0  # the subscription's alert number (its key's ``n``)
    # The pool judged on its own that is worst, when it is at least as bad as the account
    # (risk Health.pools): an isolated position (its symbol) or another coin's pool (its coin),
    # its ratio, and the move that liquidates it (an isolated position's own distance).
    pool_label: str | None = None
    pool_isolated: bool = False
    pool_ratio: float | None = None
    pool_move: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's answer: the state to persist and, in the same transaction, the events."""

    state: AlertState
    events: tuple[AlertEvent, ...]

    def newly_withheld(self, before: AlertState) -> Withheld | None:
        """The rule that started holding an alert back with this poll (None if none did).

        One hold, however many polls it lasts, is counted and logged once.
        """
        now = self.state.withheld
        return now if now is not None and now != before.withheld else None


def evaluate(
    state: AlertState, reading: Reading, rules: AlertRules, subject: Subject, now: float
) -> Decision:
    """Judge one reading for one subscription. Pure: same inputs, same answer."""
    if isinstance(reading, FeedFailure):
        return _on_failure(state, reading, rules, subject, now)
    return _on_health(state, reading, rules, subject, now)


# ---- levels ------------------------------------------------------------------------------------


def judge_level(health: Health, rules: AlertRules, slack: float = 0.0) -> Level:
    """The level ``health`` is at: the worse of the venue's levels and the user's.

    ``slack`` widens every level towards the safe side by that fraction (hysteresis).
    """
    thresholds = rules.thresholds
    if thresholds.critical_move is None and thresholds.critical_ratio is None:
        thresholds = replace(thresholds, critical_move=rules.default_critical_move)
    level = max(_venue_level(health, slack), _user_level(health, thresholds, slack), key=rank)
    # Each pool the venue judges on its own (an isolated position, another coin's pool) can be
    # liquidated whatever the account's ratio says: judged by the same levels, the worst wins.
    for pool in health.pools:
        level = max(
            level, _venue_level(pool, slack), _user_level(pool, thresholds, slack), key=rank
        )
    return level


def worst_pool(health: Health, rules: AlertRules) -> Health | None:
    """The pool of ``health.pools`` judged worst, when it is at least as bad as the account's
    own figures and past "ok": the one an alert should name."""
    if not health.pools:
        return None
    own = judge_level(replace(health, pools=()), rules)
    pool = max(health.pools, key=lambda p: rank(judge_level(p, rules)))
    judged = judge_level(pool, rules)
    return pool if judged != "ok" and rank(judged) >= rank(own) else None


def _pool_facts(health: Health, rules: AlertRules) -> dict[str, object]:
    """What an alert says about the worst pool (``AlertEvent.pool_*``)."""
    pool = worst_pool(health, rules)
    if pool is None:
        return {}
    isolated = pool.margin_mode == "isolated"
    return {
        "pool_label": pool.positions[0].symbol if isolated else pool.settle,
        "pool_isolated": isolated,
        "pool_ratio": pool.ratio.value,
        "pool_move": pool.move_to_liquidation,
    }


def _venue_level(health: Health, slack: float) -> Level:
    ratio = health.ratio
    if ratio.value is None:
        named = {"liquidation": "critical", "warning": "watch"}
        return named.get(health.state, health.state)  # type: ignore[return-value]
    for level, line in (
        ("critical", ratio.liquidation),
        ("margin_call", ratio.margin_call),
        ("watch", ratio.warning),
    ):
        if _ratio_past(ratio.value, line, ratio.safer, slack):
            return level  # type: ignore[return-value]
    return "ok"


def _user_lines(thresholds: Thresholds) -> tuple[tuple[Level, float | None, float | None], ...]:
    """(level, ratio line, move line) of the user's thresholds, most severe first."""
    return (
        ("critical", thresholds.critical_ratio, thresholds.critical_move),
        ("margin_call", thresholds.margin_call_ratio, thresholds.margin_call_move),
        ("watch", thresholds.watch_ratio, thresholds.watch_move),
    )


def _user_level(health: Health, thresholds: Thresholds, slack: float) -> Level:
    ratio, move = health.ratio, health.move_to_liquidation
    for level, ratio_line, move_line in _user_lines(thresholds):
        value = ratio.value
        if (
            ratio_line is not None
            and value is not None
            and _ratio_past(value, ratio_line, ratio.safer, slack)
        ):
            return level
        if move_line is not None and move is not None and abs(move) <= move_line * (1 + slack):
            return level
    return "ok"


def _ratio_past(value: float, line: float, safer: str, slack: float) -> bool:
    if safer == "lower":
        return value >= line * (1 - slack)
    return value <= line * (1 + slack)


def _next_level(current: Level, health: Health, rules: AlertRules) -> tuple[Level, bool]:
    """The judged level after ``health``, and whether hysteresis held it above the figures."""
    raw = judge_level(health, rules)
    if rank(raw) >= rank(current):
        return raw, False
    # Going down: only as far as the level the figures clear with the hysteresis band added.
    relaxed = judge_level(health, rules, slack=rules.hysteresis)
    if rank(relaxed) < rank(current):
        return relaxed, False
    return current, True


# ---- events ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Alerts:
    """The events of one evaluation, each numbered from the subscription's sequence."""

    subject: Subject
    now: float
    sequence: int
    facts: Callable[[], dict[str, object]] = dict
    events: list[AlertEvent] = field(default_factory=list)

    def add(
        self,
        kind: EventKind,
        level: Level,
        previous: Level,
        priority: Priority,
        **facts: object,
    ) -> None:
        self.sequence += 1
        self.events.append(
            AlertEvent(
                subscription_id=self.subject.subscription_id,
                account_label=self.subject.account_label,
                venue=self.subject.venue,
                kind=kind,
                level=level,
                previous_level=previous,
                priority=priority,
                idempotency_key=alert_key(self.subject.subscription_id, self.sequence, kind),
                at=self.now,
                sequence=self.sequence,
                **{**self.facts(), **facts},  # type: ignore[arg-type]
            )
        )

    def by_priority(self) -> tuple[AlertEvent, ...]:
        # Stable sort: critical first, otherwise the order the rules produced them.
        return tuple(sorted(self.events, key=lambda e: e.priority != "critical"))


def alert_key(subscription_id: int, sequence: int, kind: str) -> str:
    """The outbox key of a subscription's ``sequence``-th alert (unique per subscription)."""
    return f"sub{subscription_id}:{sequence}:{kind}"


def _health_facts(health: Health, rules: AlertRules) -> Callable[[], dict[str, object]]:
    pool_facts = _pool_facts(health, rules)
    return lambda: {
        "ratio_name": health.ratio.name,
        "ratio_value": health.ratio.value,
        "move_to_liquidation": health.move_to_liquidation,
        "approximate": health.approximate,
        **pool_facts,
    }


# ---- a successful read -------------------------------------------------------------------------


@dataclass(slots=True)
class _Told:
    """What the user has been told about the level, as the rules below move it on."""

    level: Level
    at: float | None
    withheld: Withheld | None = None


def _on_health(
    state: AlertState, health: Health, rules: AlertRules, subject: Subject, now: float
) -> Decision:
    snoozed = rules.snoozed(now)
    alerts = _Alerts(subject, now, state.sequence, _health_facts(health, rules))
    feed_held = _feed_restored(state, alerts, snoozed)
    # Every pool's positions count (another coin's pool holds its own).
    current = tuple(sorted({p.symbol for h in (health, *health.pools) for p in h.positions}))
    vanished_held = _positions_vanished(state, current, alerts, snoozed)
    level, held_by_band = _next_level(state.level, health, rules)  # type: ignore[arg-type]
    told = _Told(state.told_level, state.told_at)  # type: ignore[arg-type]
    if rank(level) > rank(told.level):
        _escalation(level, told, alerts, snoozed, now)
    elif rank(level) < rank(told.level):
        _recovery(level, told, alerts, snoozed, now)
    else:
        _reminder(level, told, rules, alerts, snoozed, now)
    if held_by_band and told.withheld is None and told.level == level:
        told.withheld = "hysteresis"
    if told.withheld is None and (feed_held or vanished_held):
        told.withheld = "snooze"
    new_state = replace(
        state,
        level=level,
        told_level=told.level,
        told_at=told.at,
        failed_polls=0,
        feed_told=None,
        positions=current,
        last_success_at=now,
        sequence=alerts.sequence,
        withheld=told.withheld,
    )
    return Decision(new_state, alerts.by_priority())


def _feed_restored(state: AlertState, alerts: _Alerts, snoozed: bool) -> bool:
    """Reads work again after a feed problem was told: say so (routine, so snooze holds it).

    Returns whether snooze held the news back.
    """
    if state.feed_told is None:
        return False
    if snoozed:
        return True
    level: Level = state.level  # type: ignore[assignment]
    alerts.add("feed_restored", level, level, "routine", problem=state.feed_told)
    return False


def _positions_vanished(
    state: AlertState, current: tuple[str, ...], alerts: _Alerts, snoozed: bool
) -> bool:
    """A position open at the last read and gone now: closed by the trader, or liquidated.

    Near liquidation (margin call or worse) that is critical news, never held by snooze.
    Returns whether snooze held some of it back.
    """
    if state.last_success_at is None:  # the first read after linking has nothing to compare
        return False
    level: Level = state.level  # type: ignore[assignment]
    priority: Priority = "critical" if rank(level) >= rank("margin_call") else "routine"
    gone = sorted(set(state.positions) - set(current))
    if priority == "routine" and snoozed:
        return bool(gone)
    for symbol in gone:
        alerts.add("position_vanished", level, level, priority, symbol=symbol)
    return False


def _escalation(level: Level, told: _Told, alerts: _Alerts, snoozed: bool, now: float) -> None:
    """The level rose past what the user knows: told at once; snooze holds all but critical."""
    if snoozed and level != "critical":
        told.withheld = "snooze"
        return
    priority: Priority = "critical" if level == "critical" else "routine"
    alerts.add("escalation", level, told.level, priority)
    told.level, told.at = level, now


def _recovery(level: Level, told: _Told, alerts: _Alerts, snoozed: bool, now: float) -> None:
    """The level fell (past the hysteresis band, see _next_level): routine good news."""
    if snoozed:
        told.withheld = "snooze"
        return
    alerts.add("recovery", level, told.level, "routine")
    told.level, told.at = level, now


def _reminder(
    level: Level, told: _Told, rules: AlertRules, alerts: _Alerts, snoozed: bool, now: float
) -> None:
    """Still at margin call or worse: remind on the level's cadence (snooze holds reminders)."""
    if rank(level) < rank("margin_call"):
        return
    every = rules.remind_critical_every if level == "critical" else rules.remind_margin_call_every
    if told.at is not None and now - told.at < every:
        return
    if snoozed:
        told.withheld = "snooze"
        return
    priority: Priority = "critical" if level == "critical" else "routine"
    alerts.add("reminder", level, level, priority)
    told.at = now


# ---- a failed read -----------------------------------------------------------------------------


def _on_failure(
    state: AlertState, failure: FeedFailure, rules: AlertRules, subject: Subject, now: float
) -> Decision:
    """Count the failure; tell the feed problem once it is due (a refused key at once).

    The level and its reminders hold while the feed is broken: nothing is judged without figures.
    """
    failed = state.failed_polls + 1
    told, due, priority = _feed_problem(failure, failed, rules)
    alerts = _Alerts(subject, now, state.sequence)
    feed_told, withheld = state.feed_told, state.withheld
    if due and feed_told != told:
        # A key refusal is told even while snoozed: without a key nothing else can be told.
        if priority == "critical" or not rules.snoozed(now):
            level: Level = state.level  # type: ignore[assignment]
            alerts.add(told, level, level, priority, problem=failure.problem)
            feed_told = told
        else:
            withheld = "snooze"
    new_state = replace(
        state,
        failed_polls=failed,
        feed_told=feed_told,
        sequence=alerts.sequence,
        withheld=withheld,
    )
    return Decision(new_state, alerts.by_priority())


def _feed_problem(
    failure: FeedFailure, failed: int, rules: AlertRules
) -> tuple[FeedTold, bool, Priority]:
    """(what to tell, whether it is due after ``failed`` failures, its priority)."""
    if failure.problem in KEY_PROBLEMS:
        return "key_invalid", True, "critical"
    due = failed >= rules.stale_after_polls
    if failure.problem == "exchange_down":
        return "exchange_down", due, "routine"
    return "data_stale", due, "routine"
