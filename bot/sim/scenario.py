"""Scenarios for the simulator: venues, accounts, starting prices and a scripted price path.

Two forms. :class:`Scenario` is the simulator's own, per venue in each plug-in's native state
(what tests build). :class:`ScenarioFile` is what a person writes (``marginwatch demo
--scenario FILE``): accounts in the one format of :mod:`bot.sim.accounts`, starting prices,
steps; :func:`parse_scenario` validates it with a sentence naming each bad field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .accounts import (
    AccountSpec,
    SpecError,
    account_problems,
    error_sentences,
    register_model,
    suggestion,
)
from .venues import plugins


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


# --- the documented file format -----------------------------------------------------------------

PricesSpec = dict[str, dict[str, float]]


class StepSpec(BaseModel):
    """One step of the scripted market."""

    model_config = ConfigDict(extra="forbid", title="step")

    phase: str | None = Field(None, description="a heading shown when this step comes")
    factor: float | None = Field(
        None, gt=0, description="multiply every price (of `venue`, else of every venue) by this"
    )
    venue: str | None = Field(None, description="the venue `factor` applies to (default: all)")
    prices: PricesSpec = Field(
        default_factory=dict, description="venue -> {symbol: price}: set these prices"
    )


class ScenarioFile(BaseModel):
    """A scenario file: the accounts, the starting prices and the scripted market."""

    model_config = ConfigDict(extra="forbid", title="scenario")

    accounts: list[AccountSpec] = Field(
        default_factory=list, description="the accounts, each written as `accounts[]` below"
    )
    prices: PricesSpec = Field(
        default_factory=dict,
        description="venue -> {symbol: price}: starting prices (default: the simulator's)",
    )
    steps: list[StepSpec] = Field(default_factory=list, description="the market, step by step")
    step_seconds: float = Field(60.0, gt=0, description="simulated seconds between two steps")

    def to_scenario(self) -> Scenario:
        """The simulator's own (per-venue, native) scenario."""
        venues: dict[str, dict[str, Any]] = {
            venue: {"prices": dict(prices), "accounts": []} for venue, prices in self.prices.items()
        }
        for account in self.accounts:
            venues.setdefault(account.venue, {"prices": {}, "accounts": []})["accounts"].append(
                account.native()
            )
        steps = tuple(
            step.model_dump(exclude_none=True, exclude_defaults=True) for step in self.steps
        )
        return Scenario(venues=venues, steps=steps)

    def problems(self) -> list[str]:
        """What the venues refuse in a well-formed file: one sentence each."""
        problems = account_problems(self.accounts)
        problems += _price_problems(self.prices, "prices")
        for index, step in enumerate(self.steps):
            at = f"steps[{index}]"
            if step.factor is None and not step.prices:
                problems.append(f"{at} moves nothing: give it a 'factor' or 'prices'.")
            if step.venue is not None and step.factor is None:
                problems.append(f"{at}.venue only says where 'factor' applies: give a factor.")
            if step.venue is not None and step.venue not in plugins():
                problems.append(_unknown_venue(f"{at}.venue", step.venue))
            problems += _price_problems(step.prices, f"{at}.prices")
        return problems


for _model in (StepSpec, ScenarioFile):
    register_model(_model)

# Top-level sections of the scenario format before it was documented (one plug-in dialect per
# venue); such a file is refused with the way forward rather than half-read.
_OLD_SECTIONS = ("venues", "demo")


def parse_scenario(
    data: Any, *, source: str, model: type[ScenarioFile] = ScenarioFile
) -> ScenarioFile:
    """A scenario file's contents (parsed JSON) as ``model``, or SpecError naming each field."""
    if isinstance(data, Mapping) and any(name in data for name in _OLD_SECTIONS):
        raise SpecError(
            [
                f"{source} is in the old scenario format ('venues' and 'demo' sections, "
                "each venue in its own spelling), which is no longer read: list the accounts "
                "under 'accounts' with venue, label, api_key, secret, balances and positions "
                '(see the README, "Demo scenarios"; `marginwatch demo --print-scenario` prints '
                "the built-in one to start from)."
            ]
        )
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise SpecError([f"{source}: {p}" for p in error_sentences(exc)]) from None
    problems = parsed.problems()
    if problems:
        raise SpecError([f"{source}: {p}" for p in problems])
    return parsed


def _unknown_venue(path: str, venue: str) -> str:
    known = sorted(plugins())
    return f"{path} {venue!r} is not a simulated venue (known: {', '.join(known)})" + suggestion(
        venue, known
    )


def _price_problems(prices: PricesSpec, where: str) -> list[str]:
    problems = []
    known = plugins()
    for venue, symbols in prices.items():
        if venue not in known:
            problems.append(_unknown_venue(f"{where}.{venue}", venue))
            continue
        listed = known[venue].default_prices
        for symbol, price in symbols.items():
            if symbol not in listed:
                problems.append(
                    f"{where}.{venue}.{symbol}: the {venue} simulator has no market {symbol!r} "
                    f"(it has {', '.join(listed)})" + suggestion(symbol, listed)
                )
            elif not price > 0:
                problems.append(f"{where}.{venue}.{symbol} must be above 0, not {price:g}.")
    return problems
