"""Reading margin accounts through ccxt, read-only: the interface the rest of the bot uses."""

from .errors import ExchangeReadError, ReadOnlyViolation
from .hub import ExchangeHub
from .registry import SUPPORTED_VENUES
from .types import AccountRead, Credentials, KeyCheck, VenueInfo

__all__ = [
    "SUPPORTED_VENUES",
    "AccountRead",
    "Credentials",
    "ExchangeHub",
    "ExchangeReadError",
    "KeyCheck",
    "ReadOnlyViolation",
    "VenueInfo",
]
