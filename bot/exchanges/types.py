"""Values crossing the exchanges boundary: credentials in, an account read or key check out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

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
