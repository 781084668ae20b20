"""ccxt's own recorded exchange responses through ccxt's parsers, our adapters and risk.

The bodies are the ``httpResponse`` entries of ccxt's static test fixtures (copied unchanged
into tests/fixtures/ccxt/). Where a body carries the venue's own figure, the health is compared
with it; the tolerance and the reason for any difference are written next to each comparison.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

import risk
from bot.exchanges.replay import REPLAY_CREDENTIALS, replay
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ccxt"


def fixture(venue: str, method: str, description: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / f"{venue}.json").read_text())
    return next(e for e in data["methods"][method] if e["description"] == description)


def raw_brackets_from_ccxt_options(symbol_id: str, levels: list[list[str]]) -> dict[str, Any]:
    """Binance's leverageBracket body rebuilt from ccxt's cached [floor, rate] pairs, with
    the cum chain Binance publishes (cum_n = floor_n·(rate_n − rate_{n−1}) + cum_{n−1})."""
    brackets, cum, previous = [], 0.0, 0.0
    for index, (floor, rate) in enumerate(levels):
        floor_value, rate_value = float(floor), float(rate)
        cum += floor_value * (rate_value - previous)
        previous = rate_value
        cap = float(levels[index + 1][0]) if index + 1 < len(levels) else 1e12
        brackets.append(
            {
                "bracket": index + 1,
                "initialLeverage": 1,
                "notionalFloor": floor_value,
                "notionalCap": cap,
                "maintMarginRatio": rate_value,
                "cum": cum,
            }
        )
    return {"symbol": symbol_id, "brackets": brackets}


KRAKEN_POSITIONS = fixture("kraken", "fetchPositions", "fetchPositions")


async def test_kraken_recorded_position_through_ccxt_parser():
    async with Simulator(limits_speed=LIMITS_SPEED) as sim:
        sim.load_recording(
            "kraken", {"POST /0/private/OpenPositions": KRAKEN_POSITIONS["httpResponse"]}
        )
        exchange = ccxt.kraken(
            {
                "apiKey": REPLAY_CREDENTIALS.api_key,
                "secret": REPLAY_CREDENTIALS.secret,
                # A bare ccxt client keeps to Kraken's public limit (one call a second, which
                # the simulator enforces) with ccxt's own limiter, at the tests' limits speed.
                "enableRateLimit": True,
                "rateLimit": 1000 / LIMITS_SPEED,
            }
        )
        exchange.urls["api"] = {"public": sim.base_url("kraken"), "private": sim.base_url("kraken")}
        try:
            (position,) = await exchange.fetch_positions()
        finally:
            await exchange.close()
    expected = KRAKEN_POSITIONS["parsedResponse"][0]
    for field in ("symbol", "side", "contracts", "unrealizedPnl", "initialMargin", "leverage"):
        assert position[field] == expected[field], field


async def test_kraken_recorded_position_through_the_adapter_matches_krakens_net():
    recording = {
        "POST /0/private/OpenPositions": KRAKEN_POSITIONS["httpResponse"],
        # The fixture has no TradeBalance/BalanceEx: a small USDT-collateral account around it.
        "POST /0/private/TradeBalance": {
            "error": [],
            "result": {
                # m: the short's 2.5 ADA of margin at the recorded mark 0.608527.
                "tb": "20.0000",
                "e": "19.9898",
                "m": "1.5213",
                "n": "-0.0102",
                "ml": "1313.99",
            },
        },
        "POST /0/private/BalanceEx": {
            "error": [],
            "result": {"USDT": {"balance": "20.00000000", "hold_trade": "0"}},
        },
    }
    read = await replay("kraken", recording)
    (position,) = read.snapshot.positions
    assert position.symbol == "ADA/USDT" and position.size == -10.0
    assert position.entry_price == pytest.approx(6.07505 / 10)  # cost / vol
    assert position.mark_price == pytest.approx(6.08527 / 10)  # value / vol (docalcs)
    # A short's margin is borrowed base: 1.5187625 USDT at entry = 2.5 ADA.
    assert position.used_margin_in == "base" and position.used_margin == pytest.approx(2.5)
    health = risk.assess(read.snapshot)
    # Kraken's own `net` and ours agree exactly: both are (entry − mark) × 10 for a short.
    assert health.positions[0].unrealized_pnl == pytest.approx(-0.01022, abs=1e-9)
    # USDT collateral at the simulator's USDT/USD (1.0); ml given to 4 digits: tolerance 1e-4.
    assert health.ratio.value == pytest.approx(read.snapshot.reported["margin_level"], rel=1e-4)


BINANCE = json.loads((FIXTURES / "binance.json").read_text())


def binance_usdm_recording() -> dict[str, Any]:
    account = fixture(
        "binance", "fetchPositions", "Fetch linear positions using account endnpoint"
    )["httpResponse"]
    rows = fixture("binance", "fetchPositions", "Fetch linear positions without symbols")[
        "httpResponse"
    ]
    levels = BINANCE["options"]["leverageBrackets"]["BTC/USDT:USDT"]
    return {
        "GET /fapi/v3/account": account,
        "GET /fapi/v3/positionRisk": rows,
        "GET /fapi/v1/leverageBracket": [raw_brackets_from_ccxt_options("BTCUSDT", levels)],
    }


async def test_binance_recorded_account_health_agrees_with_binance_figures():
    read = await replay("binanceusdm", binance_usdm_recording())
    health = risk.assess(read.snapshot)
    account = binance_usdm_recording()["GET /fapi/v3/account"]
    (position,) = health.positions
    # The USDT row holds 3.73 but the totals 25.73: Multi-Assets mode, inferred (no flag in v3).
    assert read.snapshot.wallet_balance == pytest.approx(25.7261006)
    assert any("Multi-Assets" in note for note in read.notes) and read.approximate
    # Binance's liquidationPrice 64846.98753790. Tolerance 0.05 %: account and positionRisk
    # were recorded moments apart (uPnL 0.5423 vs 0.5111), and Binance counts the USDC
    # collateral at its own USDC price, which we take as 1.
    assert position.liquidation_price == pytest.approx(64846.98753790, rel=5e-4)
    # Binance's account ratio totalMaintMargin / totalMarginBalance. Tolerance 0.5 % for the
    # same two-moment reason (2.43034 / 26.26840 vs our 2.43010 / 26.23717).
    venue_ratio = float(account["totalMaintMargin"]) / float(account["totalMarginBalance"])
    assert health.ratio.value == pytest.approx(venue_ratio, rel=5e-3)


async def test_binance_recorded_position_through_ccxt_keeps_symbol_and_side():
    read = await replay("binanceusdm", binance_usdm_recording())
    (position,) = read.snapshot.positions
    assert (position.symbol, position.size, position.margin_mode) == (
        "BTC/USDT:USDT",
        0.009,
        "cross",
    )
    # ccxt's unified maintenanceMargin for this row is 0.004 × notional = 2.4301; ours from
    # the bracket (cum 0 in the first bracket) is the same here, and would differ above it.
    tier = position.tiers[0]
    assert (tier.rate, tier.amount) == (0.004, 0.0)


async def test_binance_recorded_flat_account_has_binance_margin_balance_as_equity():
    balance = fixture("binance", "fetchBalance", "Linear swap balance")["httpResponse"]
    read = await replay(
        "binanceusdm",
        {
            "GET /fapi/v3/account": balance,
            "GET /fapi/v3/positionRisk": [],
            "GET /fapi/v1/leverageBracket": [],
        },
    )
    health = risk.assess(read.snapshot)
    assert read.snapshot.positions == () and not read.approximate
    assert health.equity == pytest.approx(float(balance["totalMarginBalance"]), abs=1e-8)
