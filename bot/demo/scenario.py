"""The demo's scenario: a scenario file (``bot/sim/scenario_file.py``: an accounts file plus a
scripted market) with the trader's alert settings, and the built-in one.

The built-in accounts are linked through the real link path with the keys below, which exist
only inside the local simulator. Each step is one minute of simulated time; every price of every
venue moves by the step's factor, so both accounts live through the same market.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sim.accounts import SimulatedAccount
from bot.sim.scenario_file import (
    SCENARIO_FIELDS,
    STEP_FIELDS,
    ScenarioError,
    ScenarioFile,
    parse_scenario,
)
from bot.sim.server import Simulator

# Keys of the simulator's demo accounts: they open nothing anywhere else.
KRAKEN_KEY = "demo-kraken-key"
KRAKEN_SECRET = base64.b64encode(b"demo-kraken-secret-not-a-real-one").decode()
BINANCE_KEY = "demo-binance-usdm-key"
BINANCE_SECRET = "demo-binance-usdm-secret-not-a-real-one"

# (phase shown in the terminal, price factor per one-minute step)
PHASES: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("calm market", (1.004, 0.997, 1.002, 0.999)),
    ("prices slide", (0.97, 0.965, 0.96, 0.96)),
    ("the slide deepens", (0.95, 0.95, 0.96)),
    ("a bounce", (1.07, 1.06, 1.06, 1.04, 1.03)),
    ("calm again", (1.0, 1.001, 0.999)),
    ("flash crash", (0.9, 0.88, 0.895)),
    ("aftermath", (1.0, 1.0)),
)
# The demo's own fields, beside a scenario file's (README: "Demo scenarios").
DEMO_FIELDS: dict[str, str] = {
    "alerts": "`marginwatch demo` only: the trader's own /alerts settings, set after linking, "
    'e.g. {"watch": "20%", "critical": "5%"}'
}
ALERT_SETTINGS = ("watch", "critical", "level")


@dataclass(frozen=True)
class DemoScenario:
    """A scenario file for ``marginwatch demo``: every account is linked, then the market plays."""

    file: ScenarioFile
    alerts: Mapping[str, str]

    @property
    def steps(self) -> tuple[Mapping[str, Any], ...]:
        return self.file.steps

    @property
    def step_seconds(self) -> float:
        return self.file.step_seconds

    def simulator(self) -> tuple[Simulator, list[SimulatedAccount]]:
        return self.file.simulator()


def default_scenario_data() -> dict[str, Any]:
    """The built-in scenario as its file holds it (what ``--print-scenario`` prints)."""
    steps: list[dict[str, Any]] = []
    for phase, factors in PHASES:
        for index, factor in enumerate(factors):
            steps.append({"phase": phase, "factor": factor} if index == 0 else {"factor": factor})
    return {
        "prices": {"BTC": 60_000, "ETH": 3_000, "DOT": 6},
        "accounts": [
            {
                "venue": "kraken",
                "label": "kraken-margin",
                "key": KRAKEN_KEY,
                "secret": KRAKEN_SECRET,
                # DOT.S is staked DOT: listed by Kraken, never collateral.
                "balances": {"USD": 30_000, "DOT.S": 250},
                "positions": [
                    {
                        "symbol": "BTC/USD",
                        "side": "long",
                        "size": 1,
                        "entry": 60_000,
                        "leverage": 5,
                    },
                    {"symbol": "ETH/USD", "side": "long", "size": 5, "entry": 3_000, "leverage": 5},
                    {
                        "symbol": "DOT/USD",
                        "side": "short",
                        "size": 1_000,
                        "entry": 6.2,
                        "leverage": 3,
                    },
                ],
            },
            {
                "venue": "binanceusdm",
                "label": "binance-futures",
                "key": BINANCE_KEY,
                "secret": BINANCE_SECRET,
                "balances": {"USDT": 40_000},
                "positions": [
                    {"symbol": "BTC/USDT:USDT", "side": "long", "size": 1.5, "entry": 58_000},
                    {"symbol": "ETH/USDT:USDT", "side": "long", "size": 10, "entry": 3_100},
                ],
            },
        ],
        "step_seconds": 60,
        "steps": steps,
        # The trader's own alert settings, set through /alerts like a user would.
        "alerts": {"watch": "20%", "critical": "5%"},
    }


def scenario_json() -> str:
    """The built-in scenario as a file's JSON."""
    return json.dumps(default_scenario_data(), indent=2) + "\n"


def parse_demo_scenario(data: Any, *, source: str) -> DemoScenario:
    """A demo scenario file's JSON, or :class:`ScenarioError` with one sentence."""
    parsed = parse_scenario(data, source=source, extra_fields=DEMO_FIELDS)
    if not parsed.accounts.accounts:
        raise ScenarioError(f"{source}: accounts is empty: the demo needs at least one to link")
    alerts = parsed.extra.get("alerts", {})
    if not isinstance(alerts, dict):
        raise ScenarioError(f"{source}: alerts must be an object like {DEMO_FIELDS['alerts']}")
    for name, value in alerts.items():
        if name not in ALERT_SETTINGS:
            raise ScenarioError(
                f"{source}: alerts.{name} is not an /alerts setting ({', '.join(ALERT_SETTINGS)})"
            )
        if not isinstance(value, str):
            raise ScenarioError(f'{source}: alerts.{name} must be text as typed, e.g. "20%"')
    return DemoScenario(parsed, dict(alerts))


def default_scenario() -> DemoScenario:
    return parse_demo_scenario(default_scenario_data(), source="the built-in scenario")


def load_scenario(path: Path | None) -> DemoScenario:
    """The built-in scenario, or one from a file; ScenarioError (one sentence) if unusable."""
    if path is None:
        return default_scenario()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path} is not a text file") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_demo_scenario(data, source=str(path))


def readme_fields() -> str:
    """The scenario format's own fields as a Markdown table, for the README."""
    rows = ["| field | what it holds |", "|---|---|"]
    for prefix, fields in (("", SCENARIO_FIELDS), ("", DEMO_FIELDS), ("steps[].", STEP_FIELDS)):
        for name, text in fields.items():
            rows.append(f"| `{prefix}{name}` | {text.replace('|', chr(92) + '|')} |")
    return "\n".join(rows) + "\n"
