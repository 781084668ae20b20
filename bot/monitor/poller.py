"""One poll of one account: read → risk.assess → alert policy → one store transaction.

The transaction holds everything the poll decided: each subscription's new alert state, the
outbox rows those states caused, the health sample and the account's next poll time. A crash
before it commits leaves no trace (the re-check on start-up polls again); after it, the alerts
are safely queued.
"""

from __future__ import annotations

import contextlib
import logging
import random
from dataclasses import dataclass

import risk
from bot.exchanges.budget import Pace, ReadDeferred
from bot.exchanges.errors import ExchangeReadError
from bot.monitor import state as state_map
from bot.monitor.clock import Clock
from bot.monitor.due import JITTER, PollIntervals, next_read_at
from bot.monitor.history import health_point
from bot.monitor.policy import (
    KEY_PROBLEMS,
    AlertEvent,
    AlertRules,
    FeedFailure,
    Level,
    evaluate,
    judge_level,
    rank,
)
from bot.monitor.presenter import LastRead, Presenter
from bot.monitor.source import SnapshotSource

# bot.ops.metrics is a leaf (stdlib and prometheus-client only): recording from here adds no
# dependency on the rest of the service.
from bot.ops import metrics
from bot.store import Account, AlertState, NewMessage, Store, Subscription, Tx
from risk.model import Health

log = logging.getLogger(__name__)

# The poll-failure reason of an exception that is not a classified ExchangeReadError: kept apart
# from the venue's own "bad_response" so that an adapter or risk bug shows up on its own.
UNEXPECTED_FAILURE = "unexpected_error"


@dataclass(frozen=True, slots=True)
class PollResult:
    account_id: int
    ok: bool
    level: Level
    events: tuple[AlertEvent, ...]
    queued: tuple[int, ...]  # outbox ids newly queued by this poll
    next_poll_at: float
    queued_alerts: tuple[str, ...] = ()  # the alerts metric's label of each queued row
    withheld: tuple[Withholding, ...] = ()  # holds that started with this poll


def alert_label(event: AlertEvent) -> str:
    """The ``alerts_total{level}`` label: the level for level changes, the kind for the rest."""
    return event.level if event.kind in ("escalation", "reminder", "recovery") else event.kind


class Poller:
    """Polls accounts; safe to run for many accounts at once (never twice for one: see DueQueue)."""

    def __init__(
        self,
        store: Store,
        source: SnapshotSource,
        clock: Clock,
        *,
        presenter: Presenter,
        rules: AlertRules | None = None,
        intervals: PollIntervals | None = None,
    ) -> None:
        self._store = store
        self._source = source
        self._clock = clock
        self._presenter = presenter
        self._rules = rules or AlertRules()
        self._intervals = intervals or PollIntervals()
        self.last_reads: dict[int, LastRead] = {}
        # Reads planned per account since start (none yet: the first is spread). The jitter is
        # drawn from the account and this count, so a run replays the same schedule whatever
        # the clock's speed (the demo's story), while accounts still drift apart.
        self._planned: dict[int, int] = {}
        # Accounts last judged at margin call or worse: the due queue launches them first.
        self.urgent: set[int] = set()

    async def poll(self, account: Account) -> PollResult | None:
        """Poll once; ``None`` when the account disappeared while it was being read."""
        reading: Health | FeedFailure
        pace: Pace | None = None
        retry_after: float | None = None
        error = ""
        failure: str | None = None  # the poll-failure reason the metrics record
        try:
            read = await self._source.read(account)
            pace = read.pace
            reading = read.health()  # every pool judged (COIN-M coins, isolated positions)
        except ReadDeferred as deferred:
            # Not a failure: the venue's limits are spent for now and nothing was sent.
            return await self._defer(account, deferred.retry_after or 0.0)
        except ExchangeReadError as exc:
            reading, retry_after, error = FeedFailure(exc.state), exc.retry_after, exc.user_message
            failure = exc.state
        except risk.SnapshotError:
            # risk refused figures the venue sent (they overflow): the venue's bad answer, not
            # a bug of ours.
            reading, error = FeedFailure("bad_response"), "the exchange sent figures out of range"
            failure = "bad_response"
        except Exception as exc:  # an adapter or risk bug must not stop the other accounts
            # Type only: an unexpected exception's text is not known to be free of secrets.
            log.error("reading account %d failed unexpectedly: %s", account.id, type(exc).__name__)
            reading, error = FeedFailure("bad_response"), "the account could not be read"
            failure = UNEXPECTED_FAILURE
        metrics.record_poll(failure=failure)
        now = self._clock.now()
        if isinstance(reading, Health):
            self.last_reads[account.id] = LastRead(now, read.snapshot, reading)
        try:
            result = await self._store.run(
                lambda tx: self._judge(tx, account, reading, now, retry_after, error, pace)
            )
        except LookupError:  # unlinked while we were reading
            self.last_reads.pop(account.id, None)
            return None
        # Counted once committed: a rolled-back poll queued nothing.
        for label in result.queued_alerts:
            metrics.record_alert(label)
        for hold in result.withheld:
            metrics.record_withheld(hold.rule)
            log.info("alert withheld: %s", hold.describe())
        return result

    def _judge(
        self,
        tx: Tx,
        account: Account,
        reading: Health | FeedFailure,
        now: float,
        retry_after: float | None,
        error: str,
        pace: Pace | None = None,
    ) -> PollResult:
        # Runs on the database thread inside one transaction: states are read and written together.
        subscriptions = tx.subscriptions.for_account(account.id, enabled_only=True)
        stored = tx.alerts.for_account(account.id)
        judged = [
            self._judge_subscription(tx, account, subscription, stored, reading, now)
            for subscription in subscriptions
        ]
        level = self._account_level(reading, judged, bool(subscriptions))
        next_poll_at = self._next_poll_at(account, reading, level, now, retry_after, pace)
        messages = [row for one in judged for row, _ in one.rows]
        queued = tx.alerts.transition([one.state for one in judged], messages, now=now)
        if len(queued) < len(messages):
            # Keys are numbered per subscription and saved with its state, so this is a poll
            # judged twice from the same state; never silent, it would hide a lost alert.
            log.warning(
                "account %d: %d alert(s) were already queued under the same key",
                account.id,
                len(messages) - len(queued),
            )
        labels = {row.idempotency_key: label for one in judged for row, label in one.rows}
        queued_alerts = _queued_labels(tx, queued, labels)
        _record_poll(tx, account, reading, now, next_poll_at, error)
        return PollResult(
            account_id=account.id,
            ok=isinstance(reading, Health),
            level=level,
            events=tuple(event for one in judged for event in one.events),
            queued=tuple(queued),
            next_poll_at=next_poll_at,
            queued_alerts=queued_alerts,
            withheld=tuple(one.withheld for one in judged if one.withheld is not None),
        )

    async def _defer(self, account: Account, wait: float) -> None:
        """Read ``account`` again once its venue's limits have room (a few seconds' jitter)."""
        at = self._clock.now() + wait * (1.0 + JITTER * self._draw(account.id).random())
        with contextlib.suppress(LookupError):  # unlinked meanwhile
            await self._store.run(lambda tx: tx.accounts.schedule(account.id, at))

    def _next_read(self, account: Account, now: float, level: Level, pace: Pace | None) -> float:
        """One interval after this read was due, stretched as far as the venue's limits need."""
        interval = self._intervals.after_success(level)
        urgent = self._intervals.urgent(level)
        (self.urgent.add if urgent else self.urgent.discard)(account.id)
        if pace is not None:
            interval = pace.interval(interval, urgent=urgent)
        first = account.id not in self._planned
        return next_read_at(
            account.next_poll_at, now, interval, first=first, rng=self._draw(account.id)
        )

    def _draw(self, account_id: int) -> random.Random:
        count = self._planned.get(account_id, 0)
        self._planned[account_id] = count + 1
        return random.Random(f"{account_id}:{count}")

    def _judge_subscription(
        self,
        tx: Tx,
        account: Account,
        subscription: Subscription,
        stored: dict[int, AlertState],
        reading: Health | FeedFailure,
        now: float,
    ) -> _Judged:
        """One subscription's decision and the outbox rows it causes."""
        previous = stored.get(subscription.id) or AlertState(subscription_id=subscription.id)
        decision = evaluate(
            previous,
            reading,
            state_map.rules_for(subscription, self._rules),
            state_map.subject_for(subscription, account),
            now,
        )
        rule = decision.newly_withheld(previous)
        withheld = None if rule is None else Withholding(subscription.id, rule, decision.state)
        return _Judged(
            state=decision.state,
            events=decision.events,
            rows=self._outbox_rows(tx, account, subscription, decision.events),
            withheld=withheld,
        )

    def _account_level(
        self, reading: Health | FeedFailure, judged: list[_Judged], subscribed: bool
    ) -> Level:
        """The level the account's cadence follows: its most alarmed subscription's."""
        if isinstance(reading, Health) and not subscribed:
            return judge_level(reading, self._rules)
        return max((one.state.level for one in judged), key=rank, default="ok")  # type: ignore[arg-type]

    def _next_poll_at(
        self,
        account: Account,
        reading: Health | FeedFailure,
        level: Level,
        now: float,
        retry_after: float | None,
        pace: Pace | None = None,
    ) -> float:
        if isinstance(reading, Health):
            return self._next_read(account, now, level, pace)
        failures = account.consecutive_failures + 1
        return now + self._intervals.after_failure(failures, retry_after)

    def _outbox_rows(
        self, tx: Tx, account: Account, subscription: Subscription, events: tuple[AlertEvent, ...]
    ) -> list[tuple[NewMessage, str]]:
        """The outbox rows of ``events`` for one subscription, each with its metric label."""
        if not events:
            return []
        destination = subscription.destination
        # The owner's private chat sees everything; a shared channel what the owner chose to
        # share, under the owner's name.
        share, owner, owner_id = "positions", "", ""
        if not destination.is_dm:
            share = str(subscription.share)
            if share == "none":
                return []
            user = tx.users.get(account.owner_id)
            owner = (user.display_name or user.platform_user_id) if user else ""
            owner_id = user.platform_user_id if user else ""
        return [
            (
                NewMessage(
                    idempotency_key=event.idempotency_key,
                    destination=destination,
                    payload=self._presenter.render_alert(
                        event, share, owner=owner, owner_id=owner_id
                    ),
                    priority=state_map.priority_of(event),
                    subscription_id=subscription.id,
                ),
                alert_label(event),
            )
            for event in events
        ]


@dataclass(frozen=True, slots=True)
class Withholding:
    """A subscription whose alerts a named rule started holding back with this poll."""

    subscription_id: int
    rule: str  # records.Withheld: "hysteresis" or "snooze"
    state: AlertState

    def describe(self) -> str:
        """For the log: which rule holds what (no figures, no names: those are the owner's)."""
        if self.rule == "hysteresis":
            return (
                f"subscription {self.subscription_id}: a recovery from {self.state.level} is held "
                "until the figures clear the hysteresis band"
            )
        return f"subscription {self.subscription_id}: routine alerts held by the owner's snooze"


@dataclass(frozen=True, slots=True)
class _Judged:
    state: AlertState
    events: tuple[AlertEvent, ...]
    rows: list[tuple[NewMessage, str]]
    withheld: Withholding | None


def _record_poll(
    tx: Tx,
    account: Account,
    reading: Health | FeedFailure,
    now: float,
    next_poll_at: float,
    error: str,
) -> None:
    """The poll's own trace: a health sample and the account's next poll (or its failure)."""
    if isinstance(reading, Health):
        tx.history.add(health_point(account.id, reading, now))
        tx.accounts.record_poll_ok(account.id, now=now, next_poll_at=next_poll_at)
        return
    tx.accounts.record_poll_failure(
        account.id,
        now=now,
        error=error,
        next_poll_at=next_poll_at,
        # A refused key stops polling until the owner links a new one.
        status="key_invalid" if reading.problem in KEY_PROBLEMS else None,
    )


def _queued_labels(tx: Tx, queued: list[int], labels: dict[str, str]) -> tuple[str, ...]:
    # transition() returns only the ids of rows that were new (a replayed key is skipped); the
    # rare poll that queued something looks its rows up to count exactly those.
    found = (tx.outbox.get(message_id) for message_id in queued)
    return tuple(labels[row.idempotency_key] for row in found if row is not None)
