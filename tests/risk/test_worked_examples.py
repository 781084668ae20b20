"""Every published worked example in tests/fixtures/worked-examples.json, through the public API."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import risk

CASES = {
    c["id"]: c
    for c in json.loads(
        (Path(__file__).parents[1] / "fixtures" / "worked-examples.json").read_text()
    )["cases"]
}


def close(actual: float, expected: float, tolerance: float) -> bool:
    return math.isclose(actual, expected, rel_tol=0.0, abs_tol=tolerance)


def test_every_published_case_has_a_test_here() -> None:
    tested = {
        name.removeprefix("test_").replace("_", "-")
        for name in globals()
        if name.startswith("test_")
    }
    assert set(CASES) <= tested, f"untested worked examples: {set(CASES) - tested}"


def test_kraken_margin_call_price() -> None:
    case = CASES["kraken-margin-call-price"]
    snapshot = risk.parse_snapshot(
        {
            "venue": "kraken",
            "settle": "USD",
            "wallet_balance": 10_000,
            "positions": [
                {
                    "symbol": "BTC/USD",
                    "kind": "spot_margin",
                    "size": 1,
                    "entry_price": 20_000,
                    "mark_price": 20_000,
                    "used_margin": 4_000,
                    "used_margin_in": "quote",
                }
            ],
        }
    )
    health = risk.assess(snapshot)
    move = health.move_to_margin_call
    assert move is not None
    price = 20_000 * (1 + move)
    expect, tol = case["expect"], case["tolerance"]
    assert close(price, expect["btc_price_at_margin_call"], tol)
    assert close(
        health.positions[0].margin_call_price or 0, expect["btc_price_at_margin_call"], tol
    )
    at_call = risk.assess(
        risk.parse_snapshot(
            {
                **risk.snapshot_to_dict(snapshot),
                "positions": [
                    {**risk.snapshot_to_dict(snapshot)["positions"][0], "mark_price": price}
                ],
            }
        )
    )
    assert close(at_call.equity, expect["equity_at_margin_call"], tol)
    assert close(at_call.positions[0].unrealized_pnl, expect["pnl_at_margin_call"], tol)
    assert close(at_call.ratio.value or 0, 0.80, 1e-12)
    assert at_call.state == "margin_call"


def test_kraken_trade_balance_identities() -> None:
    case = CASES["kraken-trade-balance-identities"]
    # n = -10.0232 as one long whose price fell; m = 7.0354 fixed in quote.
    health = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "kraken",
                "settle": "USD",
                "wallet_balance": 392.2264,
                "positions": [
                    {
                        "symbol": "XBT/USD",
                        "kind": "spot_margin",
                        "size": 1,
                        "entry_price": 100.0,
                        "mark_price": 100.0 - 10.0232,
                        "used_margin": 7.0354,
                    }
                ],
            }
        )
    )
    tol = case["tolerance"]
    assert close(health.equity, case["expect"]["e"], tol["e"])
    assert close(health.equity - (health.initial_margin or 0), case["expect"]["mf"], tol["mf"])
    assert close((health.ratio.value or 0) * 100, case["expect"]["ml"], tol["ml"])


def test_binance_margin_account_identities() -> None:
    case = CASES["binance-margin-account-identities"]
    tol = case["tolerance"]
    health = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binance",
                "settle": "BTC",
                "wallet_balance": 6.82728457,
                "liabilities": [{"asset": "BTC", "amount": 0.58633215, "interest": 0, "price": 1}],
            }
        )
    )
    assert close(health.ratio.value or 0, case["expect"]["marginLevel"], tol["marginLevel"])
    assert close(health.equity, case["expect"]["totalNetAssetOfBtc"], tol["totalNetAssetOfBtc"])
    bnb = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binance",
                "settle": "BNB",
                "wallet_balance": 2346.5 + 0,
                "liabilities": [
                    {"asset": "BNB", "amount": 201.66666672, "interest": 0, "price": 1}
                ],
            }
        )
    )
    assert close(bnb.equity, case["expect"]["BNB_netAsset"], tol["BNB_netAsset"])


def test_binance_usdm_cross_liquidation_price() -> None:
    case = CASES["binance-usdm-cross-liquidation-price"]
    snapshot = json.loads(
        (Path(risk.__file__).parent / "examples" / "binance-usdm.json").read_text()
    )
    health = risk.assess(risk.parse_snapshot(snapshot))
    eth = next(p for p in health.positions if p.symbol.startswith("ETH"))
    assert close(
        eth.liquidation_price or 0, case["expect"]["ETHUSDT_liquidation_price"], case["tolerance"]
    )
    assert close(eth.liquidation_price or 0, eth.reported_liquidation_price or 0, case["tolerance"])


def test_binance_maintenance_amount() -> None:
    case = CASES["binance-maintenance-amount"]
    expect, tol = case["expect"], case["tolerance"]
    # USDⓈ-M BTCUSDT ladder: 0.4 % to 50k, 0.5 % to 250k, 1 % above: level 2 cum is 50.
    usdm = risk.build_tiers(
        [(0, 50_000, 0.004), (50_000, 250_000, 0.005), (250_000, 1_000_000, 0.01)]
    )
    assert close(usdm[1].amount, 50, tol)
    assert close(usdm[2].amount, expect["usdm_level3_cum"], tol)
    assert close(risk.next_amount(50, 0.05, 0.025, 0.56), expect["coinm_level5_cum_btc"], tol)
    coinm = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binancecoinm",
                "settle": "BTC",
                "wallet_balance": 1.0,
                "positions": [
                    {
                        "symbol": "BTC/USD:BTC",
                        "kind": "inverse",
                        "size": 100,
                        "contract_size": 100,
                        "entry_price": 25_000,
                        "mark_price": 25_000,
                        "maintenance_rate": 0.004,
                        "maintenance_amount": 0,
                    }
                ],
            }
        )
    )
    assert close(coinm.positions[0].notional, expect["coinm_notional_btc"], tol)
    assert close(coinm.positions[0].maintenance_margin, expect["coinm_maintenance_btc"], tol)


def test_bybit_inverse_position_pnl() -> None:
    case = CASES["bybit-inverse-position-pnl"]
    tol = case["tolerance"]

    def short(mark: float) -> risk.PositionHealth:
        return risk.assess(
            risk.parse_snapshot(
                {
                    "venue": "bybit",
                    "settle": "BTC",
                    "wallet_balance": 0.1,
                    "positions": [
                        {
                            "symbol": "BTC/USD:BTC",
                            "kind": "inverse",
                            "size": -300,
                            "contract_size": 1,
                            "entry_price": 27464.50441675,
                            "mark_price": mark,
                            "maintenance_rate": 0.005,
                        }
                    ],
                }
            )
        ).positions[0]

    # Bybit's positionValue is the value at entry: the notional while mark equals entry.
    assert close(short(27464.50441675).notional, case["expect"]["positionValue_btc"], tol)
    assert close(short(28224.50).unrealized_pnl, case["expect"]["unrealisedPnl_btc"], tol)


@pytest.mark.parametrize(
    "field,expected,tol",
    [
        ("equity", 1030895.56, 0.005),
        ("maintenance_margin", 427713.32, 0.005),
        ("effective_leverage", 8.17, 0.005),
        ("move_to_margin_call", -0.0645, 0.00005),
        ("move_to_liquidation", -0.0769, 0.00005),
    ],
)
def test_design_contract_example_figures(field: str, expected: float, tol: float) -> None:
    snapshot = json.loads(
        (Path(risk.__file__).parent / "examples" / "binance-usdm.json").read_text()
    )
    health = risk.assess(risk.parse_snapshot(snapshot))
    assert close(getattr(health, field), expected, tol)
    assert health.state == "ok"
    assert close(health.ratio.value or 0, 0.4149, 0.00005)
    btc = health.positions[1]
    assert (btc.close_rank, round(btc.liquidation_price or 0, 2), round(btc.distance or 0, 4)) == (
        2,
        26316.89,
        -0.1768,
    )
    assert btc.reported_liquidation_price is None
