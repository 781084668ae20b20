"""OKX account read from ccxt's recorded responses, through ccxt's parser and ours."""

from __future__ import annotations

import json
from pathlib import Path

import ccxt
import pytest

import risk
from bot.exchanges import okx
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.generic import ContractSpec

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures/ccxt/okx.json").read_text())
BALANCE = next(e for e in FIXTURE["methods"]["fetchBalance"] if e["input"] == [{"type": "swap"}])[
    "httpResponse"
]
POSITION = FIXTURE["methods"]["fetchPosition"][0]["httpResponse"]
CONFIG = FIXTURE["methods"]["fetchAccounts"][0]["httpResponse"]
NO_POSITIONS = {"code": "0", "msg": "", "data": []}
# The recording's LTC-USDT-SWAP is 0.001 LTC a contract (notionalUsd / (pos × markPx)).
SPECS = {"LTC-USDT-SWAP": ContractSpec("LTC/USDT:USDT", 0.001)}


def _ccxt_okx() -> ccxt.okx:
    exchange = ccxt.okx()
    exchange.set_markets(
        [
            {
                "id": "LTC-USDT-SWAP",
                "symbol": "LTC/USDT:USDT",
                "base": "LTC",
                "quote": "USDT",
                "settle": "USDT",
                "baseId": "LTC",
                "quoteId": "USDT",
                "settleId": "USDT",
                "type": "swap",
                "spot": False,
                "margin": False,
                "swap": True,
                "future": False,
                "option": False,
                "contract": True,
                "linear": True,
                "inverse": False,
                "contractSize": 0.001,
                "active": True,
                "precision": {"amount": 1.0, "price": 0.01},
                "limits": {},
            }
        ]
    )
    return exchange


def test_discounted_collateral_is_okxs_adjusted_equity() -> None:
    # Independent of the parser's arithmetic: Σ disEq of the collateral-enabled currencies is
    # 152,573.31 against OKX's adjEq 152,550.81 (0.015 % apart; OKX does not say what the
    # 22.50 USD is; ordFroz / borrowFroz are the candidates). Tolerance 0.02 %.
    snapshot, notes = okx.snapshot_from_bodies(BALANCE, NO_POSITIONS)
    health = risk.assess(snapshot)
    assert health.equity == pytest.approx(snapshot.reported["adj_eq"], rel=2e-4)
    # Currencies OKX does not count as collateral (TUSD at a testnet price of 14,500 USD) are
    # left out, and the user is told.
    assert not any(a.asset == "TUSD" for a in snapshot.assets)
    assert any(n.startswith("TUSD is not enabled as collateral") for n in notes)


def test_mgn_ratio_denominator_holds_a_liquidation_fee() -> None:
    # Why adjEq / mmr is not OKX's mgnRatio: 152,550.81 / 9.0731 = 16,813.6 against the
    # reported 15,986.6 (5.2 % apart). OKX divides by mmr + liquidation fees; the implied fee,
    # 0.469 USD, is 0.106 % of notionalUsd 441.09 (a taker fee on closing). The reader folds
    # exactly this fee into the legs, so a health with legs shows OKX's own ratio.
    top = BALANCE["data"][0]
    adj_eq, ratio, mmr = (float(top[k]) for k in ("adjEq", "mgnRatio", "mmr"))
    fee = adj_eq / ratio - mmr
    assert adj_eq / mmr / ratio == pytest.approx(1.0517, abs=1e-4)
    assert fee / float(top["notionalUsd"]) == pytest.approx(0.00106, abs=1e-5)


def test_position_agrees_with_ccxts_own_parser() -> None:
    snapshot, _ = okx.snapshot_from_bodies(BALANCE, POSITION, SPECS)
    (position,) = snapshot.positions
    parsed = _ccxt_okx().parse_position(POSITION["data"][0])
    assert position.symbol == parsed["symbol"]
    assert position.size == parsed["contracts"] == 2
    assert position.entry_price == parsed["entryPrice"]
    assert position.mark_price == parsed["markPrice"]
    assert parsed["liquidationPrice"] is None and "liquidation_price" not in position.reported
    # ccxt's maintenanceMarginPercentage is mmr / notional: the rate we derive before folding
    # OKX's fee in is the same number.
    assert position.reported["mmr"] / (2 * 0.001 * 101.33) == pytest.approx(
        parsed["maintenanceMarginPercentage"], rel=1e-9
    )


def test_maintenance_that_belongs_to_no_position_is_named() -> None:
    # The balance recording's 9.07 USD of maintenance comes from borrowing (notionalUsdForBorrow
    # 441.09), which no position row carries: the user is told it is not in the figures.
    _, notes = okx.snapshot_from_bodies(BALANCE, POSITION, SPECS)
    assert any("belongs to no position" in note for note in notes)


def test_with_legs_the_health_ratio_is_okxs_mgn_ratio() -> None:
    # A coherent account (simulator-shaped): 2 BTC-USDT-SWAP legs whose mmr is the whole
    # maintenance. The fee recovered from OKX's mgnRatio makes the health ratio OKX's own.
    balance = {
        "code": "0",
        "data": [
            {
                "adjEq": "7040",
                "mmr": "168",
                "mgnRatio": "37.24867725",
                "imr": "2700",
                "totalEq": "7100",
                "details": [
                    {
                        "ccy": "USDT",
                        "cashBal": "5000",
                        "eq": "4100",
                        "eqUsd": "4100",
                        "disEq": "4100",
                    },
                    {
                        "ccy": "BTC",
                        "cashBal": "0.05",
                        "eq": "0.05",
                        "eqUsd": "3000",
                        "disEq": "2940",
                    },
                ],
            }
        ],
    }
    positions = {
        "code": "0",
        "data": [
            {
                "instId": "BTC-USDT-SWAP",
                "instType": "SWAP",
                "mgnMode": "cross",
                "posSide": "net",
                "pos": "50",
                "avgPx": "61000",
                "markPx": "60000",
                "mmr": "120",
                "liqPx": "46298",
            },
            {
                "instId": "ETH-USDT-SWAP",
                "instType": "SWAP",
                "mgnMode": "cross",
                "posSide": "net",
                "pos": "-40",
                "avgPx": "2900",
                "markPx": "3000",
                "mmr": "48",
                "liqPx": "4712.75",
            },
        ],
    }
    specs = {
        "BTC-USDT-SWAP": ContractSpec("BTC/USDT:USDT", 0.01),
        "ETH-USDT-SWAP": ContractSpec("ETH/USDT:USDT", 0.1),
    }
    snapshot, _ = okx.snapshot_from_bodies(balance, positions, specs)
    health = risk.assess(snapshot)
    assert health.equity == pytest.approx(7040.0)
    assert health.ratio.value == pytest.approx(37.24867725, rel=1e-9)
    assert [p.reported_liquidation_price for p in health.positions] == [46298.0, 4712.75]


def test_key_permissions_name_every_right() -> None:
    assert okx.key_rights(CONFIG) == frozenset({"read", "trade", "withdraw"})


def test_single_currency_margin_is_judged_in_its_currency() -> None:
    balance = {
        "code": "0",
        "data": [
            {
                "adjEq": "",
                "mgnRatio": "",
                "details": [
                    {
                        "ccy": "USDT",
                        "cashBal": "1000",
                        "eq": "1010",
                        "mgnRatio": "25.5",
                        "mmr": "40",
                        "imr": "200",
                    }
                ],
            }
        ],
    }
    snapshot, _ = okx.snapshot_from_bodies(balance, NO_POSITIONS, account_level="2")
    assert (snapshot.settle, snapshot.wallet_balance) == ("USDT", 1000.0)
    assert snapshot.reported["mgn_ratio"] == 25.5


def test_a_spot_mode_account_is_refused_with_a_way_out() -> None:
    with pytest.raises(ExchangeReadError) as caught:
        okx.snapshot_from_bodies(BALANCE, NO_POSITIONS, account_level="1")
    assert "switch the account" in caught.value.detail


def test_a_position_on_an_unknown_market_is_a_bad_response() -> None:
    with pytest.raises(ExchangeReadError) as caught:
        okx.snapshot_from_bodies(BALANCE, POSITION, {})
    assert caught.value.state == "bad_response"
    assert "LTC-USDT-SWAP" in caught.value.detail


def test_an_error_code_is_a_bad_response() -> None:
    with pytest.raises(ExchangeReadError) as caught:
        okx.snapshot_from_bodies(
            {"code": "50013", "msg": "Systems are busy", "data": []}, NO_POSITIONS
        )
    assert "50013" in caught.value.detail
