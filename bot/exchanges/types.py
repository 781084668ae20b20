"""Values crossing the exchanges boundary: credentials in, an account read or key check out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import risk.engine as risk_engine
import risk.model as risk_model

if TYPE_CHECKING:
    from .budget import Pace

ReadState = Literal[
    "auth_failed", "permission_denied", "rate_limited", "exchange_down", "bad_response"
]


@dataclass(frozen=True)
class Credentials:
    """What a user gave to link an account. Never printed: the repr names only which parts exist."""

    api_key: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    passphrase: str | None = field(default=None, repr=False)
    wallet_address: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        parts = [
            name
            for name in ("api_key", "secret", "passphrase", "wallet_address")
            if getattr(self, name)
        ]
        return f"Credentials(<{', '.join(parts) or 'empty'}: redacted>)"

    __str__ = __repr__


@dataclass(frozen=True)
class AccountRead:
    """One successful read: a validated snapshot plus what the user should know about it."""

    snapshot: risk_model.AccountSnapshot
    notes: tuple[str, ...] = ()
    approximate: bool = False
    # An account the venue keeps in several margin pools (Binance COIN-M: one per margin
    # coin, each its own settle currency): every pool, ``snapshot`` among them as the riskiest,
    # so a reader of ``snapshot`` alone still sees the pool nearest liquidation. Empty when the
    # account is one pool.
    pools: tuple[risk_model.AccountSnapshot, ...] = ()

    def health(self) -> risk_model.Health:
        """The read judged: every pool (``risk.assess_pools``: the riskiest pool's figures, the
        others and every isolated position in ``Health.pools``), approximate if the read is."""
        health = risk_engine.assess_pools(self.pools or (self.snapshot,))
        if self.approximate and not health.approximate:
            health = replace(health, approximate=True)
        return health

    # How the venue's limits let the monitor plan this account's next reads (set by the hub).
    pace: Pace | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class KeyCheck:
    """The link-time verdict on a key. ``message`` is the sentence shown to the user."""

    ok: bool
    can_report_rights: bool
    rights: frozenset[str]
    message: str


@dataclass(frozen=True)
class VenueInfo:
    """What the rest of the bot needs to know about a venue before it has any account on it."""

    venue: str
    ccxt_id: str
    label: str
    needs_secret: bool = True
    needs_passphrase: bool = False
    needs_wallet_address: bool = False
    approximate: bool = False


# The rights a key check reports, in one vocabulary across venues.
RIGHT_READ = "read"
RIGHT_TRADE = "trade"
RIGHT_WITHDRAW = "withdraw"
RIGHT_TRANSFER = "transfer"
RIGHT_MARGIN = "margin"
RIGHT_FUTURES = "futures"
RIGHT_OPTIONS = "options"
# A key with any of these is refused at link time (their names for users are in texts.py).
DANGEROUS_RIGHTS: frozenset[str] = frozenset(
    {RIGHT_TRADE, RIGHT_WITHDRAW, RIGHT_TRANSFER, RIGHT_MARGIN, RIGHT_FUTURES, RIGHT_OPTIONS}
)
