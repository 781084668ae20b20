"""The alert policy: a pure state machine from (persisted state, latest reading, time) to alerts.

No I/O and no clock: the caller passes ``now`` (seconds since the epoch) and persists the returned
state together with the returned events (``store.transition``), so re-evaluating after a restart
never repeats what was already told. Every rule here has a test named after the story it protects
in ``tests/monitor/test_policy.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from risk.model import Health

Level = Literal["ok", "watch", "margin_call", "critical"]
LEVELS: tuple[Level, ...] = ("ok", "watch", "margin_call", "critical")
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
# How an exchange read failed; the same words as bot.exchanges' ExchangeReadError.state.
Problem = Literal[
    "auth_failed", "permission_denied", "rate_limited", "exchange_down", "bad_response"
]
FeedTold = Literal["data_stale", "key_invalid", "exchange_down"]

# Read failures that mean the key itself was refused: told at once, and polling stops.
KEY_PROBLEMS = frozenset({"auth_failed", "permission_denied"})


def rank(level: Level) -> int:
    """Order of severity: ok 0, watch 1, margin_call 2, critical 3."""
    return _RANK[level]


@dataclass(frozen=True, slots=True)
class UserThresholds:
    """A subscription's own alert levels; ``None`` means "not set". Same fields as the store's.

    ``*_ratio`` are in the venue's own ratio (Kraken margin level 1.2, Binance USDⓈ-M margin
    ratio 0.6); ``*_move`` are the adverse uniform price move, as a fraction, that would
    liquidate the account (``critical_move=0.05``: "critical once a 5 % move liquidates me").
    The user's levels only ever add alerts: the venue's own levels always apply too.
    """

    watch_ratio: float | None = None
    margin_call_ratio: float | None = None
    critical_ratio: float | None = None
    watch_move: float | None = None
    margin_call_move: float | None = None
    critical_move: float | None = None


@dataclass(frozen=True, slots=True)
class AlertRules:
    """How a subscription is alerted; the defaults are the product's."""

    thresholds: UserThresholds = UserThresholds()
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
    # Idempotency keys include ``now // key_bucket`` so a retried evaluation within one bucket
    # produces the same key, while the same transition an hour later is a new alert.
    key_bucket: float = 300.0

    def snoozed(self, now: float) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until


@dataclass(frozen=True, slots=True)
class AlertState:
    """What the policy remembers about one subscription between polls (persisted by the store)."""

    level: Level = "ok"  # the judged level, hysteresis applied
    told_level: Level = "ok"  # the level the user was last told about
    told_at: float | None = None  # when a level alert (escalation or reminder) last went out
    failed_polls: int = 0
    feed_told: FeedTold | None = None  # the feed problem the user was last told about
    positions: tuple[str, ...] = ()  # symbols open at the last successful read
    last_success_at: float | None = None


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


def evaluate(
    state: AlertState, reading: Reading, rules: AlertRules, subject: Subject, now: float
) -> Decision:
    """Judge one reading for one subscription. Pure: same inputs, same answer."""
    if isinstance(reading, FeedFailure):
        return _on_failure(state, reading, rules, subject, now)
    return _on_health(state, reading, rules, subject, now)


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


def _user_level(health: Health, thresholds: UserThresholds, slack: float) -> Level:
    ratio, move = health.ratio, health.move_to_liquidation
    for level in ("critical", "margin_call", "watch"):
        line = getattr(thresholds, f"{level}_ratio")
        value = ratio.value
        if line is not None and value is not None and _ratio_past(value, line, ratio.safer, slack):
            return level  # type: ignore[return-value]
        line = getattr(thresholds, f"{level}_move")
        if line is not None and move is not None and abs(move) <= line * (1 + slack):
            return level  # type: ignore[return-value]
    return "ok"


def _ratio_past(value: float, line: float, safer: str, slack: float) -> bool:
    if safer == "lower":
        return value >= line * (1 - slack)
    return value <= line * (1 + slack)


def _on_health(
    state: AlertState, health: Health, rules: AlertRules, subject: Subject, now: float
) -> Decision:
    events: list[AlertEvent] = []
    snoozed = rules.snoozed(now)
    pool_facts = _pool_facts(health, rules)

    def event(
        kind: EventKind,
        level: Level,
        previous: Level,
        priority: Priority,
        tag: str,
        **facts: object,
    ) -> AlertEvent:
        return AlertEvent(
            subscription_id=subject.subscription_id,
            account_label=subject.account_label,
            venue=subject.venue,
            kind=kind,
            level=level,
            previous_level=previous,
            priority=priority,
            idempotency_key=_key(subject, kind, tag, now, rules),
            at=now,
            ratio_name=health.ratio.name,
            ratio_value=health.ratio.value,
            move_to_liquidation=health.move_to_liquidation,
            approximate=health.approximate,
            **pool_facts,
            **facts,  # type: ignore[arg-type]
        )

    feed_told = state.feed_told
    if feed_told is not None:
        if not snoozed:
            events.append(
                event(
                    "feed_restored",
                    state.level,
                    state.level,
                    "routine",
                    feed_told,
                    problem=feed_told,
                )
            )
        feed_told = None

    # A position that was open last time and is gone now: closed by the trader or liquidated.
    # Every pool's positions count (another coin's pool holds its own).
    current = tuple(sorted({p.symbol for h in (health, *health.pools) for p in h.positions}))
    if state.last_success_at is not None:
        risky = rank(state.level) >= rank("margin_call")
        for symbol in sorted(set(state.positions) - set(current)):
            priority: Priority = "critical" if risky else "routine"
            if priority == "critical" or not snoozed:
                events.append(
                    event(
                        "position_vanished",
                        state.level,
                        state.level,
                        priority,
                        symbol,
                        symbol=symbol,
                    )
                )

    level = _next_level(state.level, health, rules)
    told_level, told_at = state.told_level, state.told_at
    if rank(level) > rank(told_level):
        # Snooze silences routine escalations, never the step to critical.
        if level == "critical" or not snoozed:
            priority = "critical" if level == "critical" else "routine"
            events.append(event("escalation", level, told_level, priority, f"{told_level}>{level}"))
            told_level, told_at = level, now
    elif rank(level) < rank(told_level):
        if not snoozed:
            events.append(event("recovery", level, told_level, "routine", f"{told_level}>{level}"))
            told_level, told_at = level, now
    elif rank(level) >= rank("margin_call") and not snoozed:
        every = (
            rules.remind_critical_every if level == "critical" else rules.remind_margin_call_every
        )
        if told_at is None or now - told_at >= every:
            priority = "critical" if level == "critical" else "routine"
            events.append(event("reminder", level, level, priority, level))
            told_at = now

    new_state = AlertState(
        level=level,
        told_level=told_level,
        told_at=told_at,
        failed_polls=0,
        feed_told=feed_told,
        positions=current,
        last_success_at=now,
    )
    return Decision(new_state, _by_priority(events))


def _next_level(current: Level, health: Health, rules: AlertRules) -> Level:
    raw = judge_level(health, rules)
    if rank(raw) >= rank(current):
        return raw
    # Going down: only as far as the level the figures clear with the hysteresis band added.
    relaxed = judge_level(health, rules, slack=rules.hysteresis)
    return relaxed if rank(relaxed) < rank(current) else current


def _on_failure(
    state: AlertState, failure: FeedFailure, rules: AlertRules, subject: Subject, now: float
) -> Decision:
    failed = state.failed_polls + 1
    told: FeedTold
    if failure.problem in KEY_PROBLEMS:
        told, due, priority = "key_invalid", True, "critical"
    elif failure.problem == "exchange_down":
        told, due, priority = "exchange_down", failed >= rules.stale_after_polls, "routine"
    else:
        told, due, priority = "data_stale", failed >= rules.stale_after_polls, "routine"
    events: list[AlertEvent] = []
    feed_told = state.feed_told
    # A key refusal is told even while snoozed: without a key nothing else can ever be told.
    if due and feed_told != told and (priority == "critical" or not rules.snoozed(now)):
        events.append(
            AlertEvent(
                subscription_id=subject.subscription_id,
                account_label=subject.account_label,
                venue=subject.venue,
                kind=told,
                level=state.level,
                previous_level=state.level,
                priority=priority,  # type: ignore[arg-type]
                idempotency_key=_key(subject, told, failure.problem, now, rules),
                at=now,
                problem=failure.problem,
            )
        )
        feed_told = told
    return Decision(replace(state, failed_polls=failed, feed_told=feed_told), tuple(events))


def _key(subject: Subject, kind: str, tag: str, now: float, rules: AlertRules) -> str:
    bucket = int(now // rules.key_bucket)
    return f"sub{subject.subscription_id}:{kind}:{tag}:{bucket}"


def _by_priority(events: list[AlertEvent]) -> tuple[AlertEvent, ...]:
    # Stable sort: critical first, otherwise the order the rules produced them.
    return tuple(sorted(events, key=lambda e: e.priority != "critical"))
