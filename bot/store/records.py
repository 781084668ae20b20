"""The rows the store hands out and takes in: frozen dataclasses, never dicts.

Conventions shared by every record:
- times are UTC epoch seconds (`float`, as `time.time()`); callers pass `now` (fake clocks work);
- platform ids (Discord snowflakes, Telegram chat ids) are strings, as the platform gives them;
- ratios and moves are fractions (0.80, not 80 %), as in the risk contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Platform = Literal["discord", "telegram", "console"]
AccountStatus = Literal["active", "paused", "key_invalid", "error", "disabled"]
AlertLevel = Literal["ok", "watch", "margin_call", "critical"]
# The feed problem a subscription was told about (the same words as the alert kinds).
FeedTold = Literal["data_stale", "key_invalid", "exchange_down"]
FEED_TOLD: tuple[FeedTold, ...] = ("data_stale", "key_invalid", "exchange_down")
# Why an alert is held back on purpose (counted in alerts_withheld_total and logged): the
# recovery band (hysteresis) or the owner's snooze.
Withheld = Literal["hysteresis", "snooze"]
Share = Literal["none", "state", "ratio", "positions"]
DigestSchedule = Literal["off", "daily", "weekly"]
OutboxStatus = Literal["pending", "delivered", "dropped"]

ALERT_LEVELS: tuple[AlertLevel, ...] = ("ok", "watch", "margin_call", "critical")
SHARE_LEVELS: tuple[Share, ...] = ("none", "state", "ratio", "positions")
DIGEST_SCHEDULES: tuple[DigestSchedule, ...] = ("off", "daily", "weekly")
ACCOUNT_STATUSES: tuple[AccountStatus, ...] = (
    "active",
    "paused",
    "key_invalid",
    "error",
    "disabled",
)

# Outbox priorities: higher is delivered first ("critical before routine").
PRIORITY_ROUTINE = 0
PRIORITY_WARNING = 50
PRIORITY_CRITICAL = 100


@dataclass(frozen=True)
class Destination:
    """Where a message goes: one chat, optionally one topic/thread inside it."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    is_dm: bool = False


@dataclass(frozen=True)
class User:
    id: int
    platform: str
    platform_user_id: str
    display_name: str | None
    created_at: float


@dataclass(frozen=True)
class Account:
    """A linked exchange account. Encrypted credentials stay in the store: see `has_credentials`."""

    id: int
    owner_id: int
    venue: str
    label: str
    status: str
    last_error: str | None
    next_poll_at: float | None
    last_polled_at: float | None
    last_ok_at: float | None
    consecutive_failures: int
    has_credentials: bool
    key_id: str | None  # which master key encrypted the credentials (a fingerprint, not the key)
    created_at: float


@dataclass(frozen=True)
class Thresholds:
    """A subscription's own alert levels; `None` means "use the venue's level / the default".

    `*_ratio` are in the venue's own ratio (see risk's `Health.ratio`); `*_move` are the fractional
    uniform price move still needed to reach liquidation (0.05 = within 5 % of liquidation).
    """

    watch_ratio: float | None = None
    margin_call_ratio: float | None = None
    critical_ratio: float | None = None
    watch_move: float | None = None
    margin_call_move: float | None = None
    critical_move: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Subscription:
    id: int
    account_id: int
    destination: Destination
    community_id: str | None  # the guild/group the chat belongs to; None for a DM
    thresholds: Thresholds
    snoozed_until: float | None
    digest: DigestSchedule | str
    digest_time: str  # "HH:MM" in `timezone`
    digest_weekday: int | None  # 0 = Monday, for weekly digests
    timezone: str  # IANA name, e.g. "Europe/Berlin"
    last_digest_at: float | None
    share: Share | str
    enabled: bool
    disabled_reason: str | None
    created_at: float


@dataclass(frozen=True)
class CommunitySettings:
    """Per Discord guild / Telegram group settings set by its moderators."""

    platform: str
    community_id: str
    alert_channel_id: str | None = None
    alert_thread_id: str | None = None
    moderator_role_id: str | None = None
    default_thresholds: Thresholds = field(default_factory=Thresholds)
    default_share: Share | str = "state"
    allowed_venues: tuple[str, ...] = ()  # empty: every supported venue
    enabled: bool = True
    updated_at: float | None = None


@dataclass(frozen=True)
class AlertState:
    """What the alert policy remembers about one subscription between polls.

    One record for both sides: ``bot.monitor.policy`` reads and returns it, the store keeps it in
    ``alert_state`` with one column per field (migration ``m002``), so nothing is translated and
    nothing is kept in an untyped memo.
    """

    subscription_id: int
    level: AlertLevel | str = "ok"  # the judged level, hysteresis applied
    told_level: AlertLevel | str = "ok"  # the level the user was last told about
    told_at: float | None = None  # when a level alert (escalation, recovery, reminder) went out
    failed_polls: int = 0  # consecutive failed reads
    feed_told: FeedTold | None = None  # the feed problem the user was last told about
    positions: tuple[str, ...] = ()  # symbols open at the last successful read
    last_success_at: float | None = None
    # How many alerts this subscription has queued, ever: the next one is ``sequence + 1``. It is
    # saved in the poll's own transaction, so a retried evaluation of the same poll numbers its
    # alerts the same (same outbox key) and every new alert gets a number of its own.
    sequence: int = 0
    withheld: Withheld | None = None  # the visible rule holding an alert back right now
    updated_at: float | None = None  # set by the store when it saves the row


@dataclass(frozen=True)
class NewMessage:
    """An outbox message to enqueue. The same `idempotency_key` twice is stored once."""

    idempotency_key: str
    destination: Destination
    payload: Mapping[str, Any]
    priority: int = PRIORITY_ROUTINE
    subscription_id: int | None = None


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    idempotency_key: str
    destination: Destination
    payload: Mapping[str, Any]
    priority: int
    subscription_id: int | None
    status: OutboxStatus | str
    created_at: float
    attempts: int
    next_attempt_at: float
    claimed_until: float | None
    delivered_at: float | None
    last_error: str | None
    # The send this row first went out in: rows claimed together for one chat share it, and a
    # resend after a crash repeats that send (same rows, same token: Discord's nonce).
    send_token: str | None = None


@dataclass(frozen=True)
class HealthPoint:
    """One sample of an account's health, for charts and digests.

    ``state`` to ``move_to_liquidation`` are the account's own (cross) pool's figures;
    ``effective_leverage`` is the account's as the status card shows it (every position,
    isolated ones included). An account that keeps pools judged on their own (isolated
    positions, Binance COIN-M coins) also keeps the worst state of them all and the figures of
    the one closest to liquidation (``closest_*``, see ``bot.monitor.history``), which is what a
    chart draws. Rows written before migration m004 have them empty: the account's figures
    were all that was kept.
    """

    account_id: int
    at: float
    state: str
    equity: float | None = None
    ratio: float | None = None
    ratio_name: str | None = None
    maintenance_margin: float | None = None
    move_to_liquidation: float | None = None
    effective_leverage: float | None = None
    worst_state: str | None = None
    # "cross" (the account's own pool, or another coin's) or "isolated" (one position's).
    closest_kind: str | None = None
    # The isolated position's symbol, or the coin of a cross pool where the account keeps one
    # per coin; None for the account's own pool of a one-pool account.
    closest_name: str | None = None
    closest_side: str | None = None  # "long" / "short" for an isolated position
    closest_state: str | None = None
    closest_ratio: float | None = None
    closest_move: float | None = None

    @property
    def level_state(self) -> str:
        """The worst venue state of the account and every pool (``state`` in older rows)."""
        return self.worst_state or self.state

    @property
    def nearest_move(self) -> float | None:
        """The move to liquidation of the pool closest to it (the account's in older rows)."""
        return self.closest_move if self.closest_kind else self.move_to_liquidation

    @property
    def nearest_ratio(self) -> float | None:
        """The venue's ratio of that same pool."""
        return self.closest_ratio if self.closest_kind else self.ratio


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor_platform: str
    actor_id: str
    action: str
    community_id: str | None
    target: str | None
    detail: str | None
