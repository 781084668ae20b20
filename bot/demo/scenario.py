"""The demo's scenario: the documented file format plus the trader's alert settings, and the
built-in market (two accounts and a scripted hour of prices).

The accounts are linked through the real link path with the keys below, which exist only inside
the local simulator. Each step is one minute of simulated time; every price of every venue moves
by the step's factor, so both accounts live through the same market.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from bot.sim.accounts import SpecError, register_model
from bot.sim.scenario import ScenarioFile, parse_scenario

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


@register_model
class DemoScenario(ScenarioFile):
    """A scenario file for ``marginwatch demo``: every account is linked, then the market plays."""

    model_config = ConfigDict(extra="forbid", title="demo scenario")

    alerts: dict[str, str] = Field(
        default_factory=dict,
        description='the trader\'s own /alerts settings, e.g. {"watch": "20%", "critical": "5%"}',
    )

    def problems(self) -> list[str]:
        problems = super().problems()
        if not self.accounts:
            problems.insert(0, "accounts is empty: the demo needs at least one account to link.")
        unknown = sorted(set(self.alerts) - {"watch", "critical", "level"})
        problems += [
            f"alerts.{name} is not an /alerts setting (watch, critical, level)." for name in unknown
        ]
        return problems


def default_scenario() -> DemoScenario:
    """The built-in scenario (what ``marginwatch demo --print-scenario`` prints)."""
    steps: list[dict[str, Any]] = []
    for phase, factors in PHASES:
        for index, factor in enumerate(factors):
            steps.append({"phase": phase, "factor": factor} if index == 0 else {"factor": factor})
    return DemoScenario.model_validate(
        {
            "accounts": [
                {
                    "venue": "kraken",
                    "label": "kraken-margin",
                    "api_key": KRAKEN_KEY,
                    "secret": KRAKEN_SECRET,
                    # DOT.S is staked DOT: listed, never collateral.
                    "balances": {"USD": 30_000.0, "DOT.S": 250.0},
                    "positions": [
                        {
                            "symbol": "BTC/USD",
                            "side": "long",
                            "size": 1.0,
                            "entry_price": 60_000.0,
                            "leverage": 5,
                        },
                        {
                            "symbol": "ETH/USD",
                            "side": "long",
                            "size": 5.0,
                            "entry_price": 3_000.0,
                            "leverage": 5,
                        },
                        {
                            "symbol": "DOT/USD",
                            "side": "short",
                            "size": 1_000.0,
                            "entry_price": 6.2,
                            "leverage": 3,
                        },
                    ],
                },
                {
                    "venue": "binanceusdm",
                    "label": "binance-futures",
                    "api_key": BINANCE_KEY,
                    "secret": BINANCE_SECRET,
                    "balances": {"USDT": 40_000.0},
                    "positions": [
                        {
                            "symbol": "BTC/USDT:USDT",
                            "side": "long",
                            "size": 1.5,
                            "entry_price": 58_000.0,
                        },
                        {
                            "symbol": "ETH/USDT:USDT",
                            "side": "long",
                            "size": 10.0,
                            "entry_price": 3_100.0,
                        },
                    ],
                },
            ],
            "prices": {
                "kraken": {"BTC/USD": 60_000.0, "ETH/USD": 3_000.0, "DOT/USD": 6.0},
                "binanceusdm": {"BTC/USDT": 60_000.0, "ETH/USDT": 3_000.0},
            },
            "steps": steps,
            "step_seconds": 60,
            # The trader's own alert settings, set through /alerts like a user would.
            "alerts": {"watch": "20%", "critical": "5%"},
        }
    )


def scenario_json(scenario: DemoScenario) -> str:
    """The scenario as the JSON a file holds (unset optional fields left out)."""
    return json.dumps(scenario.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def load_scenario(path: Path | None) -> DemoScenario:
    """The built-in scenario, or one from a file; SpecError (one sentence each) if unusable."""
    if path is None:
        return default_scenario()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError([f"cannot read {path}: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise SpecError([f"{path} is not a text file"]) from None
    except json.JSONDecodeError as exc:
        raise SpecError([f"{path} is not JSON: {exc.msg} at line {exc.lineno}"]) from None
    scenario = parse_scenario(data, source=str(path), model=DemoScenario)
    assert isinstance(scenario, DemoScenario)
    return scenario


def readme_fields() -> str:
    """The scenario format as a Markdown table, for the README (one row per field)."""
    from bot.sim.accounts import AccountSpec, PositionSpec
    from bot.sim.scenario import StepSpec

    rows = ["| field | type | what it holds |", "|---|---|---|"]
    for prefix, model in (
        ("", DemoScenario),
        ("steps[].", StepSpec),
        ("accounts[].", AccountSpec),
        ("accounts[].positions[].", PositionSpec),
    ):
        for name, field in model.model_fields.items():
            kind = _type_name(field.annotation)
            if field.is_required():
                kind += " (required)"
            elif isinstance(field.default, float):
                kind += f", default {field.default:g}"
            text = (field.description or "").replace("|", "\\|")
            rows.append(f"| `{prefix}{name}` | {kind} | {text} |")
    return "\n".join(rows) + "\n"


def readme_venues() -> str:
    """What an account of each simulated venue takes, as a Markdown table for the README."""
    from bot.sim.accounts import VENUE_FORMATS

    rows = [
        "| venue | signs in with | position symbols | balances in |",
        "|---|---|---|---|",
    ]
    for venue, fmt in VENUE_FORMATS.items():
        symbols = ", ".join(f"`{s}`" for s in fmt.symbols) or "none (`borrowed` instead)"
        if fmt.isolated:
            symbols += " (cross or isolated)"
        rows.append(
            f"| `{venue}` | {', '.join(f'`{c}`' for c in fmt.credentials)} | {symbols} | "
            f"{', '.join(fmt.currencies)} |"
        )
    return "\n".join(rows) + "\n"


def _type_name(annotation: Any) -> str:
    """A field's type in words: ``list[AccountSpec]`` -> "list of accounts"."""
    text = (
        str(annotation) if "[" in str(annotation) or "|" in str(annotation) else annotation.__name__
    )
    for old, new in (
        ("bot.sim.accounts.", ""),
        ("bot.sim.scenario.", ""),
        ("typing.", ""),
        (" | None", ""),
        ("float", "number"),
        ("str", "text"),
        ("PositionSpec", "positions"),
        ("AccountSpec", "accounts"),
        ("StepSpec", "steps"),
    ):
        text = text.replace(old, new)
    if text.startswith("list["):
        return "list of " + text[5:-1]
    if text.startswith("dict["):
        return "object"
    if text.startswith("Literal["):
        return " or ".join(f"`{part.strip()[1:-1]}`" for part in text[8:-1].split(","))
    return text
