"""Answers that parse but make no sense end as bad_response: never a snapshot of made-up numbers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.exchanges import ExchangeReadError
from bot.exchanges.replay import replay

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"


def recording(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / name).read_text())


async def assert_bad(venue: str, body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ExchangeReadError) as caught:
        await replay(venue, body)
    assert caught.value.state == "bad_response"
    assert fragment.lower() in caught.value.detail.lower()


@pytest.mark.parametrize(
    ("mark", "fragment"),
    [
        ("NaN", "nan"),  # ccxt's own parser already chokes on it: still bad_response
        ("-5", "must be positive"),
        ("", "missing"),
        ("abc", "not a number"),
    ],
)
async def test_usdm_position_with_a_nonsense_mark_is_refused(mark: str, fragment: str):
    body = recording("binanceusdm-faq-example.json")
    body["GET /fapi/v3/positionRisk"][0]["markPrice"] = mark
    await assert_bad("binanceusdm", body, fragment)


async def test_kraken_trade_balance_without_equity_is_refused():
    body = recording("kraken-margin-call-example.json")
    del body["POST /0/private/TradeBalance"]["result"]["e"]
    await assert_bad("kraken", body, "TradeBalance.e is missing")


async def test_kraken_positions_without_docalcs_values_are_refused():
    body = recording("kraken-margin-call-example.json")
    for row in body["POST /0/private/OpenPositions"]["result"].values():
        del row["value"]
    await assert_bad("kraken", body, "no value")


async def test_kraken_answer_without_result_is_refused():
    body = recording("kraken-margin-call-example.json")
    body["POST /0/private/BalanceEx"] = {"error": []}
    await assert_bad("kraken", body, "no 'result'")


async def test_binance_debt_in_an_asset_without_a_price_is_refused_not_dropped():
    body = copy.deepcopy(recording("binance-margin-docs-example.json"))
    body["GET /sapi/v1/margin/account"]["userAssets"].append(
        {
            "asset": "NOPRICE",
            "borrowed": "5",
            "free": "0",
            "interest": "0",
            "locked": "0",
            "netAsset": "-5",
        }
    )
    await assert_bad("binance", body, "no price for borrowed asset NOPRICE")


async def test_usdm_brackets_missing_for_a_position_without_maintenance_is_refused():
    body = recording("binanceusdm-faq-example.json")
    body["GET /fapi/v1/leverageBracket"] = []
    for row in body["GET /fapi/v3/positionRisk"]:
        del row["maintMargin"]
    await assert_bad("binanceusdm", body, "no leverage bracket and no maintMargin")
