"""Kraken Futures flex wallet read from Kraken's published example, and positions with tiers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import risk
from bot.exchanges import krakenfutures
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.generic import ContractSpec

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures/ccxt/krakenfutures.json").read_text())
ACCOUNTS = FIXTURE["accounts"]
INVERSE_ONLY = FIXTURE["openpositions"]
BTC_BANDS = {
    "symbol": "PF_XBTUSD",
    "marginLevels": [
        {"numNonContractUnits": 0, "initialMargin": 0.02, "maintenanceMargin": 0.01},
        {"numNonContractUnits": 500000, "initialMargin": 0.04, "maintenanceMargin": 0.02},
    ],
}
SPECS = {"PF_XBTUSD": ContractSpec("BTC/USD:USD", 1.0, tiers=krakenfutures.margin_tiers(BTC_BANDS))}


def test_each_currency_keeps_krakens_own_haircut() -> None:
    snapshot, _ = krakenfutures.snapshot_from_bodies(
        ACCOUNTS, {"result": "success", "openPositions": []}, {}, {}
    )
    haircut = {a.asset: a.haircut for a in snapshot.assets}
    assert haircut["USD"] == 0.0
    assert haircut["XBT"] == pytest.approx(1 - 4886.49976674881 / 4998.721054420551)
    price = {a.asset: a.price for a in snapshot.assets}
    assert price["XBT"] == pytest.approx(4998.721054420551 / 0.1185308247)


def test_equity_is_anchored_to_krakens_margin_equity() -> None:
    # Kraken's published example itemises only 3 currencies (14,773 USD of collateral) of a
    # 34,122.66 USD wallet; the rest is kept at face value and the user is told. Equity then is
    # Kraken's marginEquity exactly (no positions, so no unrealised P&L).
    snapshot, notes = krakenfutures.snapshot_from_bodies(
        ACCOUNTS, {"result": "success", "openPositions": []}, {}, {}
    )
    health = risk.assess(snapshot)
    assert health.equity == pytest.approx(snapshot.reported["margin_equity"], abs=1e-6)
    assert any("not itemised" in n for n in notes)
    assert health.ratio.value == 0.0  # maintenanceMargin 0: nothing open


def test_inverse_contracts_are_left_out_of_the_flex_wallet_with_a_note() -> None:
    snapshot, notes = krakenfutures.snapshot_from_bodies(ACCOUNTS, INVERSE_ONLY, {}, {})
    assert snapshot.positions == ()
    assert any("PI_XRPUSD" in n and "single-collateral" in n for n in notes)


def test_a_flex_position_takes_its_mark_from_the_tickers_and_its_bands() -> None:
    positions = {
        "result": "success",
        "openPositions": [
            {
                "side": "short",
                "symbol": "pf_xbtusd",
                "price": "60000",
                "size": "10",
                "unrealizedFunding": "-2.5",
            }
        ],
    }
    marks = krakenfutures.mark_prices(
        {
            "result": "success",
            "tickers": [
                {"symbol": "PF_XBTUSD", "markPrice": 61000.0},
                {"symbol": "in_xbtusd", "last": 1},
            ],
        }
    )
    snapshot, _ = krakenfutures.snapshot_from_bodies(ACCOUNTS, positions, SPECS, marks)
    (position,) = snapshot.positions
    assert (position.size, position.mark_price) == (-10.0, 61000.0)
    health = risk.assess(snapshot)
    # 610,000 USD notional: 1 % on the first 500,000 and 2 % on the rest (incremental bands).
    assert health.positions[0].maintenance_margin == pytest.approx(5000 + 2200)


def test_bands_are_continuous_at_every_floor() -> None:
    tiers = krakenfutures.margin_tiers(BTC_BANDS)
    low, high = tiers
    assert (low.cap, high.cap) == (500000, math.inf)
    assert 500000 * low.rate - low.amount == pytest.approx(500000 * high.rate - high.amount)


@pytest.mark.parametrize(
    "positions, words",
    [
        ({"result": "success"}, "no openPositions list"),
        ({"result": "error", "error": "authenticationError"}, "authenticationError"),
        (
            {
                "result": "success",
                "openPositions": [
                    {"side": "long", "symbol": "PF_XBTUSD", "price": "60000", "size": "1"}
                ],
            },
            "no mark price",
        ),
    ],
)
def test_an_unreadable_answer_is_a_bad_response(positions: dict, words: str) -> None:
    with pytest.raises(ExchangeReadError) as caught:
        krakenfutures.snapshot_from_bodies(ACCOUNTS, positions, SPECS, {})
    assert caught.value.state == "bad_response"
    assert words in caught.value.detail


def test_an_account_without_a_flex_wallet_is_a_bad_response() -> None:
    body = {"result": "success", "accounts": {"cash": {"type": "cashAccount", "balances": {}}}}
    with pytest.raises(ExchangeReadError) as caught:
        krakenfutures.flex_account(body)
    assert "multi-collateral" in caught.value.detail
