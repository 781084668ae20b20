"""Scenario files: an accounts file plus a scripted market, for `marginwatch demo --scenario`
and `marginwatch sim --scenario`. One format for both, and for every venue::

    {
      "prices": {"BTC": 60000, "ETH": 3000},
      "accounts": [ ...as in an accounts file (bot/sim/accounts.py)... ],
      "step_seconds": 60,
      "steps": [
        {"phase": "flash crash", "factor": 0.9},
        {"factor": 0.95, "venue": "kraken"},
        {"prices": {"BTC": 41000}}
      ]
    }

``prices`` and ``accounts`` are exactly an accounts file's. Each step moves the market once,
``step_seconds`` of simulated time after the one before: ``factor`` multiplies every price (of
``venue`` only, if given), ``prices`` sets assets' prices in US dollars as ``POST /_sim/prices``
does, ``phase`` is a heading shown when the step comes. A caller may allow fields of its own
(the demo's ``alerts``). A bad file is refused whole with one sentence naming the field.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .accounts import AccountsError, AccountsFile, SimulatedAccount, open_accounts, parse_accounts
from .market import PriceError, bases, parse_usd_prices
from .scenario import Scenario
from .server import Simulator
from .venues import plugins

# Field -> what it holds: the README's table is written from these (tests/test_readme.py).
SCENARIO_FIELDS: dict[str, str] = {
    "prices": "starting prices in US dollars by asset, as in an accounts file",
    "accounts": "the accounts, each as in an accounts file",
    "step_seconds": "simulated seconds from one step to the next (default 60)",
    "steps": "the market, one move per step (fields below)",
}
STEP_FIELDS: dict[str, str] = {
    "phase": "a heading shown when this step comes",
    "factor": "multiply every price by this (only `venue`'s, if given)",
    "venue": "the one venue `factor` moves (default: every venue)",
    "prices": 'set these assets\' prices in US dollars, e.g. {"BTC": 41000}',
}
DEFAULT_STEP_SECONDS = 60.0
# Sections of the scenario format before it was documented (each venue in its own dialect).
_OLD_SECTIONS = ("venues", "demo")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``str()`` is one sentence naming the field."""


@dataclass(frozen=True)
class ScenarioFile:
    accounts: AccountsFile
    steps: tuple[Mapping[str, Any], ...] = ()  # the simulator's own form (see to_steps)
    step_seconds: float = DEFAULT_STEP_SECONDS
    extra: Mapping[str, Any] = field(default_factory=dict)  # the caller's own fields

    @property
    def phases(self) -> tuple[str | None, ...]:
        return tuple(step.get("phase") for step in self.steps)

    def simulator(self, **options: Any) -> tuple[Simulator, list[SimulatedAccount]]:
        """A simulator holding these accounts and prices, ready to play the steps."""
        sim = Simulator(Scenario(steps=self.steps), **options)
        sim.serve_all()  # dollar prices and factors reach every venue, as in `marginwatch sim`
        return sim, open_accounts(sim, self.accounts)


def parse_scenario(
    data: Any, *, source: str, extra_fields: Mapping[str, str] | None = None
) -> ScenarioFile:
    """A scenario file's JSON as :class:`ScenarioFile`, or :class:`ScenarioError`."""
    own = dict(extra_fields or {})
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario is a JSON object with 'accounts' and 'steps'")
    if any(name in data for name in _OLD_SECTIONS):
        raise ScenarioError(
            f"{source} is in the old scenario format ('venues' and 'demo' sections, each venue "
            "in its own spelling), which is no longer read: list the accounts under 'accounts' "
            "as in an accounts file, with the prices in US dollars (`marginwatch demo "
            "--print-scenario` prints the built-in scenario to start from)"
        )
    _known_fields(source, data, [*SCENARIO_FIELDS, *own])
    try:
        accounts = parse_accounts(
            {"prices": data.get("prices", {}), "accounts": data.get("accounts", [])}
        )
        if accounts.prices:  # checked now, not when the simulator opens them
            parse_usd_prices({"prices": accounts.prices}, _known_assets())
    except AccountsError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    except PriceError as exc:
        raise ScenarioError(f"{source}: prices: {exc}") from None
    step_seconds = data.get("step_seconds", DEFAULT_STEP_SECONDS)
    if (
        isinstance(step_seconds, bool)
        or not isinstance(step_seconds, int | float)
        or not math.isfinite(step_seconds)
        or step_seconds <= 0
    ):
        raise ScenarioError(
            f"{source}: step_seconds must be a positive number, not {step_seconds!r}"
        )
    steps = data.get("steps", [])
    if not isinstance(steps, list):
        raise ScenarioError(f"{source}: steps must be a list of price moves")
    return ScenarioFile(
        accounts=accounts,
        steps=tuple(_step(f"{source}: steps[{i}]", step) for i, step in enumerate(steps)),
        step_seconds=float(step_seconds),
        extra={name: data[name] for name in own if name in data},
    )


def _step(where: str, raw: Any) -> dict[str, Any]:
    """One step in the simulator's own form: ``factor``/``venue`` as given, dollar prices
    under ``usd`` (``Simulator.step`` applies them like ``POST /_sim/prices``)."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where} must be an object with a 'factor' or 'prices'")
    _known_fields(where, raw, list(STEP_FIELDS))
    step: dict[str, Any] = {}
    if "phase" in raw:
        if not isinstance(raw["phase"], str) or not raw["phase"].strip():
            raise ScenarioError(f"{where}: phase must be a heading (text)")
        step["phase"] = raw["phase"]
    if "factor" in raw:
        factor = raw["factor"]
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            raise ScenarioError(f"{where}: factor must be a number, not {factor!r}")
        if not math.isfinite(factor) or factor <= 0:
            raise ScenarioError(f"{where}: factor must be above 0, not {factor!r}")
        step["factor"] = float(factor)
    if "venue" in raw:
        if "factor" not in raw:
            raise ScenarioError(f"{where}: venue only says where 'factor' applies: give a factor")
        if raw["venue"] not in plugins():
            known = ", ".join(sorted(plugins()))
            raise ScenarioError(f"{where}: venue must be one of {known}, not {raw['venue']!r}")
        step["venue"] = raw["venue"]
    if "prices" in raw:
        try:
            step["usd"] = parse_usd_prices({"prices": raw["prices"]}, _known_assets())
        except PriceError as exc:
            raise ScenarioError(f"{where}: prices: {exc}") from None
    if "factor" not in step and "usd" not in step:
        raise ScenarioError(f"{where} moves nothing: give it a 'factor' or 'prices'")
    return step


def _known_assets() -> set[str]:
    """Every base asset some simulated venue trades (what a dollar price may be set for)."""
    return set().union(*(bases(plugin.default_prices) for plugin in plugins().values()))


def _known_fields(where: str, raw: Mapping[str, Any], fields: list[str]) -> None:
    """Refuse a field that is not one of ``fields``, naming the one it probably meant."""
    for name in sorted(set(raw) - set(fields)):
        close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
        raise ScenarioError(
            f"{where}: unknown field {name!r}"
            + (f": did you mean {close[0]!r}?" if close else f" (fields: {', '.join(fields)})")
        )
