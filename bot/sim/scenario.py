"""Scenarios for the simulator: venues, accounts, starting prices and a scripted price path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Scenario:
    """What the simulator starts with.

    ``venues`` maps a venue id to ``{"prices": {symbol: price}, "accounts": [{"api_key",
    "secret", ["passphrase"], ...venue state}]}``. Each of ``steps`` is one price move:
    ``{"factor": 0.97}`` (every price of every venue), ``{"venue": "kraken", "factor": 0.9}``,
    or ``{"prices": {"kraken": {"BTC/USD": 41000}}}``.
    """

    venues: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    steps: tuple[Mapping[str, Any], ...] = ()
    latency: float = 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        if not isinstance(data, Mapping):
            raise ValueError("a scenario is a JSON object with 'venues' and optional 'steps'")
        venues = data.get("venues", {})
        if not isinstance(venues, Mapping):
            raise ValueError("scenario 'venues' must map a venue id to its prices and accounts")
        for venue, spec in venues.items():
            accounts = spec.get("accounts", []) if isinstance(spec, Mapping) else None
            if not isinstance(accounts, list):
                raise ValueError(f"scenario venue {venue!r}: 'accounts' must be a list")
            for index, account in enumerate(accounts):
                if not isinstance(account, Mapping) or not account.get("api_key"):
                    raise ValueError(f"scenario venue {venue!r}: account {index} has no api_key")
        steps = data.get("steps", [])
        if not isinstance(steps, list):
            raise ValueError("scenario 'steps' must be a list of price moves")
        return cls(venues=venues, steps=tuple(steps), latency=float(data.get("latency", 0.0)))

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))
