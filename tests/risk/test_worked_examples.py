"""Every published worked example in tests/fixtures/worked-examples.json, through the public API."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

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


# --- Bybit: maintenance on the entry value (USDT contracts), fee to close, inverse -------------


def bybit_isolated_snapshot(
    size: float, entry: float, margin: float, rate: float = 0.005
) -> dict[str, Any]:
    """One isolated USDT-contract position on Bybit, its mark at entry, no cross positions."""
    return {
        "venue": "bybit",
        "settle": "USDT",
        "wallet_balance": 0,
        "positions": [
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": size,
                "entry_price": entry,
                "mark_price": entry,
                "maintenance_rate": rate,
                "margin_mode": "isolated",
                "isolated_margin": margin,
            }
        ],
    }


def bybit_isolated(size: float, entry: float, margin: float, rate: float = 0.005) -> risk.Health:
    return risk.assess(risk.parse_snapshot(bybit_isolated_snapshot(size, entry, margin, rate)))


def test_bybit_usdt_isolated_long() -> None:
    case = CASES["bybit-usdt-isolated-long"]
    expect, tol = case["expect"], case["tolerance"]
    initial_margin = 1 * 20_000 / 50  # position value / leverage
    assert initial_margin == expect["initial_margin"]
    health = bybit_isolated(1, 20_000, initial_margin)
    (position,) = health.positions
    assert close(position.maintenance_margin, expect["maintenance_margin"], 1e-9)
    assert close(position.liquidation_price or 0, expect["liquidation_price"], tol)
    # The position is its own pool: the account's (empty) cross pool says nothing about it.
    (pool,) = health.pools
    assert pool.margin_mode == "isolated" and pool.positions == (position,)
    assert pool.move_to_liquidation == position.distance
    assert health.ratio.value is None and health.state == "ok"


def test_bybit_usdt_isolated_short_extra_margin() -> None:
    case = CASES["bybit-usdt-isolated-short-extra-margin"]
    expect, tol = case["expect"], case["tolerance"]
    before = bybit_isolated(-1, 20_000, 400).positions[0]
    assert close(before.liquidation_price or 0, expect["liquidation_price_before"], tol)
    after = bybit_isolated(-1, 20_000, 400 + 3_000).positions[0]
    assert close(after.liquidation_price or 0, expect["liquidation_price"], tol)


def test_bybit_usdt_isolated_funding_deducted() -> None:
    case = CASES["bybit-usdt-isolated-funding-deducted"]
    position = bybit_isolated(1, 20_000, 400 - 200).positions[0]
    assert close(position.liquidation_price or 0, case["expect"]["liquidation_price"], 0.5)


def test_bybit_usdt_isolated_legacy() -> None:
    case = CASES["bybit-usdt-isolated-legacy"]
    expect, tol = case["expect"], case["tolerance"]
    long = bybit_isolated(1, 10_000, 10_000 / 50).positions[0]
    short = bybit_isolated(-1, 8_000, 8_000 / 40).positions[0]
    assert close(long.liquidation_price or 0, expect["long_liquidation_price"], tol)
    assert close(short.liquidation_price or 0, expect["short_liquidation_price"], tol)


def test_bybit_usdt_bankruptcy_price() -> None:
    # The bankruptcy price is the liquidation price with nothing to maintain: margin all lost.
    case = CASES["bybit-usdt-bankruptcy-price"]
    position = bybit_isolated(1, 10_000, 10_000 / 50, rate=0.0).positions[0]
    assert close(position.liquidation_price or 0, case["expect"]["bankruptcy_price"], 0.5)


def test_bybit_usdt_cross_sustainable_loss() -> None:
    case = CASES["bybit-usdt-cross-sustainable-loss"]
    expect, tol = case["expect"], case["tolerance"]
    # The available balance excludes the position's initial margin and its unrealised profit:
    # the wallet holds 2,000 + 200.
    snapshot = {
        "venue": "bybit",
        "settle": "USDT",
        "wallet_balance": 2_000 + expect["initial_margin"],
        "positions": [
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": 2,
                "entry_price": 10_000,
                "mark_price": 10_500,
                "maintenance_rate": 0.005,
            }
        ],
    }
    (position,) = risk.assess(risk.parse_snapshot(snapshot)).positions
    # On the entry value (2 x 10,000 x 0.5 %), not the mark's 105.
    assert close(position.maintenance_margin, expect["maintenance_margin"], 1e-9)
    assert close(position.unrealized_pnl, 1_000, 1e-9)
    loss = 2 * (10_000 - (position.liquidation_price or 0))
    assert close(loss, expect["total_sustainable_loss"], tol)


def test_bybit_usdc_fee_to_close() -> None:
    case = CASES["bybit-usdc-fee-to-close"]
    expect, tol = case["expect"], case["tolerance"]

    def fee(size: float) -> float:
        health = risk.assess(
            risk.parse_snapshot(
                {
                    "venue": "bybit",
                    "settle": "USDC",
                    "wallet_balance": 10_000,
                    "positions": [
                        {
                            "symbol": "BTC/USDC:USDC",
                            "kind": "linear",
                            "size": size,
                            "entry_price": 50_000,
                            "mark_price": 50_500,
                            "leverage": 10,
                            "maintenance_rate": 0.0,
                            "maintenance_basis": "mark",
                            "close_fee_rate": 0.00055,
                        }
                    ],
                }
            )
        )
        return health.positions[0].maintenance_margin

    assert close(fee(0.5), expect["long_fee_to_close"], tol)
    assert close(fee(-0.5), expect["short_fee_to_close"], tol)


def test_bybit_inverse_cross_legacy() -> None:
    case = CASES["bybit-inverse-cross-legacy"]
    expect, tol = case["expect"], case["tolerance"]
    # The page's fee to close at its own bankruptcy price, a constant: a negative amount.
    fee = 10_000 * 0.00075 / expect["bankruptcy_price"]

    def liquidation(rate: float) -> float:
        health = risk.assess(
            risk.parse_snapshot(
                {
                    "venue": "bybit",
                    "settle": "BTC",
                    "wallet_balance": 0.5,
                    "positions": [
                        {
                            "symbol": "BTC/USD:BTC",
                            "kind": "inverse",
                            "size": 10_000,
                            "contract_size": 1,
                            "entry_price": 8_000,
                            "mark_price": 8_000,
                            # Quantity / average entry price x MMR: valued at entry.
                            "maintenance_basis": "entry",
                            "maintenance_rate": rate,
                            "maintenance_amount": -fee,
                        }
                    ],
                }
            )
        )
        return health.positions[0].liquidation_price or 0.0

    # With nothing but the fee to maintain, equity meets the fee at the bankruptcy price.
    assert close(liquidation(0.0), expect["bankruptcy_price"], tol["bankruptcy_price"])
    price = liquidation(0.005)
    assert close(price, expect["liquidation_price"], tol["liquidation_price"])
    assert math.ceil(price / 0.5) * 0.5 == expect["liquidation_price"]  # a long rounds up


# --- Kraken Futures and Binance COIN-M: maintenance at the mark, in coin -----------------------


def test_krakenfutures_epp_liquidation() -> None:
    case = CASES["krakenfutures-epp-liquidation"]
    expect, tol = case["expect"], case["tolerance"]

    def at(rate: float, **mode: object) -> risk.PositionHealth:
        position = {
            "symbol": "BTC/USD:BTC",
            "kind": "inverse",
            "size": 1_000,
            "contract_size": 1,
            "entry_price": 8_000,
            "mark_price": 8_000,
            "maintenance_rate": rate,
            **mode,
        }
        health = risk.assess(
            risk.parse_snapshot(
                {
                    "venue": "krakenfutures",
                    "settle": "BTC",
                    "wallet_balance": 0 if mode else 0.01,
                    "positions": [position],
                }
            )
        )
        return health.positions[0]

    position = at(0.01)
    assert close(position.notional, 0.125, 1e-12)
    assert close(position.maintenance_margin, 0.00125, 1e-12)
    assert close(position.liquidation_price or 0, expect["liquidation_price"], tol)
    # The margin account holds only this position: as its own (isolated) pool with nothing to
    # maintain, its liquidation price is where the portfolio value reaches 0.
    alone = at(0.0, margin_mode="isolated", isolated_margin=0.01)
    assert close(alone.liquidation_price or 0, expect["zero_equity_price"], tol)


COINM_BTCUSD_LADDER = [
    (0, 5, 0.004),
    (5, 10, 0.005),
    (10, 20, 0.01),
    (20, 50, 0.025),
    (50, 100, 0.05),
    (100, 200, 0.10),
    (200, 400, 0.125),
]


def test_binance_coinm_calculator_liquidation_price() -> None:
    case = CASES["binance-coinm-calculator-liquidation-price"]
    expect, tol = case["expect"], case["tolerance"]
    tiers = risk.build_tiers(COINM_BTCUSD_LADDER)
    assert close(tiers[6].amount, expect["level7_cum_btc"], tol["level7_cum_btc"])
    health = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binancecoinm",
                "settle": "BTC",
                "wallet_balance": 101,
                "positions": [
                    {
                        "symbol": "BTC/USD:BTC",
                        "kind": "inverse",
                        "size": 100_000,
                        "contract_size": 100,
                        "entry_price": 45_000,
                        "mark_price": 45_000,
                        "tiers": [
                            {"floor": t.floor, "cap": t.cap, "rate": t.rate, "amount": t.amount}
                            for t in tiers
                        ],
                    }
                ],
            }
        )
    )
    price = health.positions[0].liquidation_price or 0
    # Printed to BTCUSD's 0.1 tick: half a tick either way.
    assert close(price, expect["liquidation_price"], tol["liquidation_price"] / 2)
    # At the liquidation price the notional (~298 BTC) is still in the 12.5 % bracket.
    assert 200 <= 10_000_000 / price < 400


def test_bybit_worked_example_through_the_command_line(tmp_path: Path) -> None:
    # The same public API a user has at a terminal: python -m risk assess FILE.
    import subprocess
    import sys

    snapshot = bybit_isolated_snapshot(1, 20_000, 400)
    path = tmp_path / "bybit.json"
    path.write_text(json.dumps(snapshot))
    done = subprocess.run(
        [sys.executable, "-m", "risk", "assess", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(risk.__file__).parents[1],
    )
    health = json.loads(done.stdout)
    assert close(health["positions"][0]["liquidation_price"], 19_700, 0.5)
    assert health["pools"][0]["margin_mode"] == "isolated"


def test_binance_margin_liquidation_price() -> None:
    case = CASES["binance-margin-liquidation-price"]
    expect, tol = case["expect"], case["tolerance"]
    user_a = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binance",
                "settle": "USDT",
                "wallet_balance": 0,
                "assets": [{"asset": "BTC", "amount": 1, "price": 30_000}],
                "liabilities": [{"asset": "USDT", "amount": 20_000, "price": 1}],
            }
        )
    )
    move = user_a.move_to_liquidation
    assert move is not None
    price = 30_000 * (1 + move)
    assert close(price, expect["user_a_btc_liquidation_price"], tol["user_a_btc_liquidation_price"])
    # The interest as printed, 0.00004 ETH (the page's own product 0.4 x 0.01 % x 4 would be
    # 0.00016; its equation then uses 0.40004, so the printed figure is the one to follow).
    interest = 0.00004
    assert close(0.4 + interest, expect["user_c_eth_liability"], tol["user_c_eth_liability"])
    user_c = risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binance",
                "settle": "USDT",
                "wallet_balance": 100,
                "assets": [{"asset": "ETH", "amount": 0.4, "price": 1_000}],
                "liabilities": [
                    {"asset": "ETH", "amount": 0.4, "interest": interest, "price": 1_000}
                ],
            }
        )
    )
    move = user_c.move_to_liquidation
    assert move is not None and move > 0  # borrowed ETH held against USDT: a rise liquidates
    eth = 1_000 * (1 + move)
    assert close((0.4 * eth + 100) / (0.40004 * eth), 1.1, 1e-12)
