"""Hyperliquid clearinghouseState read by public address, from ccxt's quoted example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import risk
from bot.exchanges import hyperliquid
from bot.exchanges.errors import ExchangeReadError

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures/ccxt/hyperliquid.json").read_text())
STATE = FIXTURE["clearinghouseState"]


def test_isolated_liquidation_price_matches_hyperliquids_own() -> None:
    # Independent check of two derived facts: maintenance = half the initial margin at max
    # leverage (1 / (2 × 50) = 1 %), and isolated margin = marginUsed − unrealizedPnl. With
    # them the engine's liquidation price is Hyperliquid's liquidationPx 2125.00856 to within
    # 0.01 USD (the row's figures are rounded to 5-6 digits).
    snapshot, _ = hyperliquid.snapshot_from_state(STATE)
    (position,) = snapshot.positions
    assert position.maintenance_rate == pytest.approx(0.01)
    assert position.margin_mode == "isolated"
    health = risk.assess(snapshot)
    (leg,) = health.positions
    assert leg.reported_liquidation_price == pytest.approx(2125.00856238)
    assert leg.liquidation_price == pytest.approx(2125.00856238, abs=0.01)


def test_mark_is_read_from_position_value() -> None:
    snapshot, _ = hyperliquid.snapshot_from_state(STATE)
    (position,) = snapshot.positions
    assert position.mark_price == pytest.approx(500.12001 / 0.2259)
    assert position.symbol == "ETH/USDC:USDC"


def test_cross_wallet_starts_from_hyperliquids_account_value() -> None:
    state = json.loads(json.dumps(STATE))
    state["assetPositions"][0]["position"].update(
        leverage={"type": "cross", "value": 20}, unrealizedPnl="-12.5", liquidationPx=None
    )
    state["crossMarginSummary"]["accountValue"] = "87.5"
    state["crossMaintenanceMarginUsed"] = "5.0012"
    snapshot, _ = hyperliquid.snapshot_from_state(state)
    health = risk.assess(snapshot)
    assert snapshot.wallet_balance == pytest.approx(100.0)
    # Engine P&L from entry and mark is 0 here (the example's mark is its entry), so equity is
    # the wallet; Hyperliquid's maintenance is the check, to its 4 printed decimals.
    assert health.maintenance_margin == pytest.approx(5.0012, abs=1e-4)
    # null liquidationPx is unknown, never 0.
    assert health.positions[0].reported_liquidation_price is None


@pytest.mark.parametrize("text", ["", "0x1234", "hello", "0x" + "g" * 40])
def test_a_malformed_address_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="0x followed by 40 hex digits"):
        hyperliquid.check_wallet_address(text)


def test_a_private_key_is_recognised_and_refused() -> None:
    with pytest.raises(ValueError, match="private key") as caught:
        hyperliquid.check_wallet_address("0x" + "a1" * 32)
    assert "a1a1" not in str(caught.value)


def test_an_answer_without_positions_list_is_a_bad_response() -> None:
    with pytest.raises(ExchangeReadError) as caught:
        hyperliquid.snapshot_from_state({"crossMarginSummary": {"accountValue": "1"}})
    assert "assetPositions" in caught.value.detail
