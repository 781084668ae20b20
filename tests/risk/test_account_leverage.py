"""The account's leverage over every position, isolated ones included (``Health.account_leverage``),
through the public API on each venue that keeps isolated positions; and the coin-margined
isolated margin (``isolated_margin_in: "base"``) that loses value with its own price."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import risk
from tests.risk.books import coin_pool


def _assess(snapshot: dict) -> risk.Health:
    return risk.assess(risk.parse_snapshot(snapshot))


def _isolated(symbol: str, size: float, entry: float, mark: float, margin: float, rate: float):  # type: ignore[no-untyped-def]
    return {
        "symbol": symbol,
        "kind": "linear",
        "size": size,
        "entry_price": entry,
        "mark_price": mark,
        "maintenance_rate": rate,
        "margin_mode": "isolated",
        "isolated_margin": margin,
    }


# Venue, settle and one maintenance rate each: every venue whose accounts can hold isolated
# positions, the account's leverage reckoned the same way on each.
VENUES = [
    ("hyperliquid", "USDC", 0.01),
    ("binanceusdm", "USDT", 0.004),
    ("bybit", "USD", 0.005),
    ("okx", "USD", 0.0045),
    ("krakenfutures", "USD", 0.01),
]


@pytest.mark.parametrize("venue, settle, rate", VENUES, ids=[v[0] for v in VENUES])
def test_an_account_holding_only_isolated_positions_has_their_leverage(venue, settle, rate) -> None:  # type: ignore[no-untyped-def]
    # 1,000 in cross, untouched; one 25x isolated ETH long (3,000 on 120 of margin), 60 down.
    health = _assess(
        {
            "venue": venue,
            "settle": settle,
            "wallet_balance": 1_000.0,
            "positions": [_isolated("ETH/USDC:USDC", 1.0, 3_000.0, 2_940.0, 120.0, rate)],
        }
    )
    assert health.effective_leverage == 0.0  # the cross pool alone: it holds nothing
    # The account: 2,940 held on 1,000 + (120 − 60) of equity.
    assert health.account_leverage == pytest.approx(2_940.0 / 1_060.0)
    (pool,) = health.pools
    assert pool.effective_leverage == pytest.approx(2_940.0 / 60.0)
    assert pool.account_leverage == pool.effective_leverage


def test_cross_and_isolated_positions_add_up_on_the_equity_behind_them() -> None:
    health = _assess(
        {
            "venue": "binanceusdm",
            "settle": "USDT",
            "wallet_balance": 2_000.0,
            "positions": [
                {
                    "symbol": "BTC/USDT:USDT",
                    "kind": "linear",
                    "size": 0.2,
                    "entry_price": 60_000.0,
                    "mark_price": 61_000.0,
                    "maintenance_rate": 0.004,
                },
                _isolated("ETH/USDT:USDT", -2.0, 3_000.0, 3_100.0, 600.0, 0.005),
            ],
        }
    )
    cross_equity = 2_000.0 + 0.2 * 1_000.0
    isolated_equity = 600.0 - 2.0 * 100.0
    assert health.equity == pytest.approx(cross_equity)
    assert health.effective_leverage == pytest.approx(12_200.0 / cross_equity)
    assert health.account_leverage == pytest.approx(
        (12_200.0 + 6_200.0) / (cross_equity + isolated_equity)
    )


def test_without_isolated_positions_the_two_leverages_are_one() -> None:
    raw = (Path(risk.__file__).parent / "examples" / "binance-usdm.json").read_text()
    health = risk.assess(risk.parse_snapshot(json.loads(raw)))
    assert health.pools == ()
    assert health.account_leverage == health.effective_leverage == pytest.approx(8.17, abs=5e-3)


def test_no_positive_equity_no_leverage() -> None:
    health = _assess(
        {
            "venue": "hyperliquid",
            "settle": "USDC",
            "wallet_balance": 0.0,
            "positions": [_isolated("ETH/USDC:USDC", 1.0, 3_000.0, 2_000.0, 100.0, 0.01)],
        }
    )
    # The isolated position is 900 under water on 100 of margin: nothing positive behind it.
    assert health.account_leverage is None


def test_each_coin_pool_keeps_its_own_leverage() -> None:
    health = risk.assess_pools(
        [coin_pool("BTC", 0.5, 100, 2_000.0), coin_pool("ETH", 2.0, -40, 2_000.0)]
    )
    # Coins are not added up: each pool is its notional in its coin over its equity.
    assert health.account_leverage == pytest.approx(health.effective_leverage)
    (other,) = health.pools
    assert other.account_leverage == pytest.approx(other.effective_leverage)
    assert {health.settle, other.settle} == {"BTC", "ETH"}


def test_a_coin_margin_judged_in_dollars_shrinks_with_its_price() -> None:
    # A coin-margined long of 3,000 USD face at 58,000, 10x: 0.00517 BTC of margin. Judged in
    # dollars as a linear leg of 3,000 / 58,000 BTC with a fixed-dollar maintenance of 0.5 %
    # of its face: margin·P + size·(P − 58,000) = 15 at liquidation, so P = (3,000 + 15) /
    # (margin + size), the coin contract's own liquidation price.
    size = 3_000 / 58_000
    margin = size / 10
    position = {
        "symbol": "BTC/USD:BTC",
        "kind": "linear",
        "size": size,
        "entry_price": 58_000.0,
        "mark_price": 60_000.0,
        "maintenance_rate": 15.0 / (size * 58_000.0),
        "maintenance_basis": "entry",
        "margin_mode": "isolated",
        "isolated_margin": margin,
        "isolated_margin_in": "base",
    }
    snapshot = {"venue": "okx", "settle": "USD", "wallet_balance": 0.0, "positions": [position]}
    health = _assess(snapshot)
    (priced,) = health.positions
    assert priced.liquidation_price == pytest.approx(3_015.0 / (margin + size), rel=1e-12)
    (pool,) = health.pools
    assert pool.equity == pytest.approx(margin * 60_000.0 + size * 2_000.0)
    # The same margin counted as fixed dollars would hold the position up far longer.
    fixed = _assess({**snapshot, "positions": [{**position, "isolated_margin_in": "settle"}]})
    assert (fixed.positions[0].liquidation_price or 0) > 58_000.0
    # And the field travels through the contract's JSON.
    assert risk.parse_snapshot(risk.snapshot_to_dict(risk.parse_snapshot(snapshot))) == (
        risk.parse_snapshot(snapshot)
    )


@pytest.mark.parametrize(
    "kind, margin_in, problem",
    [
        ("inverse", "base", "'base' is for a linear position only"),
        ("linear", "coin", "must be 'settle' or 'base'"),
    ],
)
def test_a_wrong_isolated_margin_unit_is_refused_by_name(kind, margin_in, problem) -> None:  # type: ignore[no-untyped-def]
    position = {
        **_isolated("BTC/USD:BTC", 100.0, 60_000.0, 60_000.0, 0.01, 0.005),
        "kind": kind,
        "isolated_margin_in": margin_in,
    }
    with pytest.raises(risk.SnapshotError) as refused:
        risk.parse_snapshot(
            {"venue": "okx", "settle": "BTC", "wallet_balance": 1.0, "positions": [position]}
        )
    assert "positions[0].isolated_margin_in" in str(refused.value)
    assert problem in str(refused.value)
