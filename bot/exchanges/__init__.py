"""Reading margin accounts through ccxt, read-only: the interface the rest of the bot uses.

The names below are imported on first use (PEP 562), so that importing one leaf module of the
package (the simulator reads ``bot.exchanges.limits``) does not import ccxt.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .budget import Budget, Priority
    from .errors import ExchangeReadError, ReadOnlyViolation
    from .hub import ExchangeHub
    from .registry import SUPPORTED_VENUES
    from .types import AccountRead, Credentials, KeyCheck, VenueInfo

_WHERE = {
    "SUPPORTED_VENUES": "registry",
    "AccountRead": "types",
    "Budget": "budget",
    "Credentials": "types",
    "ExchangeHub": "hub",
    "ExchangeReadError": "errors",
    "KeyCheck": "types",
    "Priority": "budget",
    "ReadOnlyViolation": "errors",
    "VenueInfo": "types",
}

__all__ = [
    "SUPPORTED_VENUES",
    "AccountRead",
    "Budget",
    "Credentials",
    "ExchangeHub",
    "ExchangeReadError",
    "KeyCheck",
    "Priority",
    "ReadOnlyViolation",
    "VenueInfo",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
