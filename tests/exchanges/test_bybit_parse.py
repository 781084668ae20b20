"""Bybit unified account read from ccxt's recorded responses, through ccxt's parser and ours."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

import risk
from bot.exchanges import bybit
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.generic import ContractSpec

from .conftest import ccxt_bybit_ltc

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures/ccxt/bybit.json").read_text())
WALLET = FIXTURE["methods"]["fetchBalance"][0]["httpResponse"]
POSITIONS = FIXTURE["methods"]["fetchPositions"][0]["httpResponse"]
FLAT_POSITION = FIXTURE["methods"]["fetchPosition"][0]["httpResponse"]
SPECS = {"LTCUSDT": ContractSpec("LTC/USDT:USDT")}
WORKED = json.loads((Path(__file__).parents[1] / "fixtures/worked-examples.json").read_text())


def test_collateral_adds_up_to_bybits_haircut_wallet_total() -> None:
    snapshot, _ = bybit.snapshot_from_bodies(WALLET)
    collateral = sum(a.amount * a.price * (1 - a.haircut) for a in snapshot.assets)
    # By construction (the haircut is solved from this total), to float precision.
    assert collateral == pytest.approx(
        float(WALLET["result"]["list"][0]["totalWalletBalance"]), rel=1e-12
    )
    haircuts = {a.asset: a.haircut for a in snapshot.assets}
    assert haircuts["USDT"] == haircuts["USDC"] == 0.0
    assert 0.0 < haircuts["BTC"] < 0.1


def test_coin_prices_reproduce_bybits_total_equity() -> None:
    # Independent check of the USD prices read from usdValue / equity: the coins' equity at those
    # prices is Bybit's totalEquity.
    account = bybit.unified_account(WALLET)
    snapshot, _ = bybit.snapshot_from_bodies(WALLET)
    price = {a.asset: a.price for a in snapshot.assets}
    equity = sum(float(c["equity"]) * price[c["coin"]] for c in account["coin"])
    assert equity == pytest.approx(float(account["totalEquity"]), rel=1e-9)


def test_a_poll_asks_only_for_the_position_lists_that_hold_margin() -> None:
    linear, inverse = bybit.settle_coins_with_positions(bybit.unified_account(WALLET))
    assert linear == ["USDC", "USDT"]
    assert inverse == ["XRP"]  # an XRPUSD inverse position: its P&L is in XRP


def test_position_agrees_with_ccxts_own_parser() -> None:
    snapshot, _ = bybit.snapshot_from_bodies(WALLET, [POSITIONS], SPECS)
    (position,) = snapshot.positions
    parsed = ccxt_bybit_ltc().parse_position(POSITIONS["result"]["list"][0])
    assert position.symbol == parsed["symbol"] == "LTC/USDT:USDT"
    assert position.size == parsed["contracts"] == 1.2
    assert position.entry_price == parsed["entryPrice"]
    assert position.mark_price == parsed["markPrice"]
    # Bybit's liqPrice "" is "no estimate": ccxt says None, so do we; never 0.
    assert parsed["liquidationPrice"] is None
    assert "liquidation_price" not in position.reported
    # The snapshot's maintenance is Bybit's positionMM (rate derived from it, on the entry
    # value as Bybit values USDT contracts), and stays Bybit's whatever the mark does.
    assert position.maintenance_basis is None  # the profile's: entry for USDT contracts
    assert risk.profile_for("bybit").basis(position.kind) == "entry"
    for mark in (position.mark_price, position.mark_price * 0.7):
        moved = replace(snapshot, positions=(replace(position, mark_price=mark),))
        assert risk.assess(moved).positions[0].maintenance_margin == pytest.approx(
            parsed["maintenanceMargin"], rel=1e-12
        )


def test_position_mm_is_entry_value_rate_plus_closing_fee_at_bankruptcy() -> None:
    # Why the snapshot holds it fixed: Bybit's positionMM is the position value at ENTRY
    # (positionValue = size × avgPrice) × the tier rate (1 % for LTCUSDT), plus the estimated
    # taker fee (0.055 %) to close at the bankruptcy price entry × (1 − 1/lev). Printed with 8
    # decimals, the fee differs from this by 5e-7 (Bybit's own rounding of the bankruptcy
    # price, not published), hence 1e-6.
    row = POSITIONS["result"]["list"][0]
    size, entry, leverage = float(row["size"]), float(row["avgPrice"]), float(row["leverage"])
    assert float(row["positionValue"]) == pytest.approx(size * entry, rel=1e-9)
    bankruptcy = entry * (1 - 1 / leverage)
    expected = size * entry * 0.01 + size * bankruptcy * 0.00055
    assert float(row["positionMM"]) == pytest.approx(expected, abs=1e-6)


def test_health_ratio_is_of_the_order_bybit_prints() -> None:
    # accountMMRate is printed with 4 decimals ("0"): Bybit's own 7.39 / 90,042 = 0.000082
    # prints as 0. The position list here is another recording than the wallet, so only the
    # printed precision can be compared: |ours − Bybit's| < 1e-4. The simulator tests compare
    # a coherent account to half a unit of the 4th decimal.
    snapshot, _ = bybit.snapshot_from_bodies(WALLET, [POSITIONS], SPECS)
    risk.validate(snapshot)
    health = risk.assess(snapshot)
    assert health.ratio.name == "account_mm_rate"
    assert abs(health.ratio.value - snapshot.reported["account_mm_rate"]) < 1e-4
    assert health.reported["total_maintenance_margin"] == pytest.approx(7.38826721)


def test_a_flat_row_is_not_a_position() -> None:
    snapshot, _ = bybit.snapshot_from_bodies(WALLET, [FLAT_POSITION], SPECS)
    assert snapshot.positions == ()


def test_inverse_position_is_judged_as_its_dollar_equivalent() -> None:
    # Bybit's published inverse example: short 300 BTCUSD contracts (1 USD each).
    case = next(c for c in WORKED["cases"] if c["id"] == "bybit-inverse-position-pnl")
    entry, mark = 27464.50441675, 28224.50
    body = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "category": "inverse",
            "list": [
                {
                    "symbol": "BTCUSD",
                    "side": "Sell",
                    "size": "300",
                    "avgPrice": str(entry),
                    "markPrice": str(mark),
                    "positionMM": "0.00006",
                    "positionIM": "0.0011",
                    "liqPrice": "",
                    "bustPrice": "",
                    "positionValue": "0.01092319",
                    "leverage": "10",
                }
            ],
        },
    }
    snapshot, _ = bybit.snapshot_from_bodies(
        WALLET, [body], {"BTCUSD": ContractSpec("BTC/USD:BTC", 1.0, inverse=True)}
    )
    (position,) = snapshot.positions
    assert position.kind == "linear" and position.size < 0
    assert abs(position.size) * entry == pytest.approx(300.0)
    upnl_usd = position.size * (position.mark_price - position.entry_price)
    assert upnl_usd / mark == pytest.approx(case["expect"]["unrealisedPnl_btc"], abs=5e-9)
    # Maintenance in dollars is the coin figure at mark; Bybit values inverse maintenance at
    # the mark in coin (300 / P × rate), the same dollars at every price: fixed, as "entry".
    assert position.maintenance_basis == "entry"
    for moved_mark in (mark, mark * 1.3):
        moved = replace(snapshot, positions=(replace(position, mark_price=moved_mark),))
        held = risk.assess(moved).positions[0].maintenance_margin
        assert held == pytest.approx(0.00006 * mark, rel=1e-12)


def test_isolated_margin_mode_stands_each_position_on_its_balance() -> None:
    snapshot, _ = bybit.snapshot_from_bodies(
        WALLET, [POSITIONS], SPECS, margin_mode="ISOLATED_MARGIN"
    )
    (position,) = snapshot.positions
    assert position.margin_mode == "isolated"
    assert position.isolated_margin == pytest.approx(11.699649)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda b: b.update(retCode=10001, retMsg="params error"), "retCode"),
        (lambda b: b["result"]["list"][0].update(accountType="CONTRACT"), "unified"),
        (lambda b: b["result"]["list"][0]["coin"][0].update(usdValue="NaN"), "finite"),
        (lambda b: b["result"].pop("list"), "no account"),
    ],
)
def test_an_unreadable_wallet_is_a_bad_response(change, words: str) -> None:
    body = json.loads(json.dumps(WALLET))
    change(body)
    with pytest.raises(ExchangeReadError) as caught:
        bybit.snapshot_from_bodies(body)
    assert caught.value.state == "bad_response"
    assert words in caught.value.detail


def test_a_negative_mark_is_a_bad_response_not_a_snapshot() -> None:
    body = json.loads(json.dumps(POSITIONS))
    body["result"]["list"][0]["markPrice"] = "-71.1"
    with pytest.raises(ExchangeReadError) as caught:
        bybit.snapshot_from_bodies(WALLET, [body], SPECS)
    assert caught.value.state == "bad_response"
    assert "markPrice" in caught.value.detail


def test_portfolio_margin_is_refused_with_a_reason() -> None:
    with pytest.raises(ExchangeReadError) as caught:
        bybit.snapshot_from_bodies(WALLET, margin_mode="PORTFOLIO_MARGIN")
    assert "portfolio margin" in caught.value.detail


def test_risk_limit_tiers_keep_maintenance_continuous() -> None:
    body = {
        "retCode": 0,
        "result": {
            "list": [
                {
                    "symbol": "BTCUSDT",
                    "riskLimitValue": "2000000",
                    "maintenanceMargin": "0.005",
                    "mmDeduction": "",
                },
                {
                    "symbol": "BTCUSDT",
                    "riskLimitValue": "2600000",
                    "maintenanceMargin": "0.0056",
                    "mmDeduction": "",
                },
            ]
        },
    }
    (tier1, tier2) = bybit.risk_limit_tiers(body)["BTCUSDT"]
    assert (tier1.floor, tier1.cap, tier2.floor, tier2.cap) == (0.0, 2e6, 2e6, math.inf)
    at_cap = 2e6
    assert at_cap * tier1.rate - tier1.amount == pytest.approx(at_cap * tier2.rate - tier2.amount)
