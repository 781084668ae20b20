"""A Health becomes a stored HealthPoint in one place, for the poller and core alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import risk
from bot.monitor.history import closest_approach, health_point
from tests.risk.books import coin_pool

EXAMPLE = Path(risk.__file__).parent / "examples" / "binance-usdm.json"


def test_a_point_keeps_the_figures_charts_and_digests_read() -> None:
    health = risk.assess(risk.parse_snapshot(json.loads(EXAMPLE.read_text(encoding="utf-8"))))
    point = health_point(7, health, 1_700_000_000.0)
    assert (point.account_id, point.at, point.state) == (7, 1_700_000_000.0, "ok")
    assert point.ratio_name == "margin_ratio"
    assert point.ratio == pytest.approx(0.4149, abs=5e-5)
    assert point.equity == pytest.approx(1_030_895.56, abs=0.01)
    assert point.maintenance_margin == pytest.approx(427_713.32, abs=0.01)
    assert point.move_to_liquidation == pytest.approx(-0.0769, abs=5e-5)
    assert point.effective_leverage == pytest.approx(8.17, abs=5e-3)


def _isolated_only(mark: float) -> risk.Health:
    """Hyperliquid: 100 USDC in cross, untouched; one isolated ETH long at 2,213.9 on 24.88
    USDC of margin, about 4 % from its own liquidation price at that mark."""
    return risk.assess(
        risk.parse_snapshot(
            {
                "venue": "hyperliquid",
                "settle": "USDC",
                "wallet_balance": 100.0,
                "positions": [
                    {
                        "symbol": "ETH/USDC:USDC",
                        "kind": "linear",
                        "size": 0.2259,
                        "entry_price": 2213.9,
                        "mark_price": mark,
                        "maintenance_rate": 0.01,
                        "margin_mode": "isolated",
                        "isolated_margin": 24.88097,
                    }
                ],
            }
        )
    )


def _coin_pool(coin: str, wallet: float, size: float, mark: float) -> risk.AccountSnapshot:
    return coin_pool(coin, wallet, size, mark, contract_size=100.0 if coin == "BTC" else 10.0)


def test_an_isolated_only_account_keeps_its_positions_distance_named() -> None:
    health = _isolated_only(2213.9)
    (pool,) = health.pools
    point = health_point(1, health, 10.0)
    # The account's own figures: an empty cross pool, no move liquidates it.
    assert (point.state, point.move_to_liquidation) == ("ok", None)
    # ...and the pool a trader has to watch, named, with its own figures.
    assert (point.closest_kind, point.closest_name, point.closest_side) == (
        "isolated",
        "ETH/USDC:USDC",
        "long",
    )
    assert point.closest_move == pool.move_to_liquidation == pytest.approx(-0.0402, abs=5e-5)
    assert point.closest_ratio == pool.ratio.value
    assert point.nearest_move == point.closest_move
    # The account's leverage over its positions, not the empty cross pool's 0.
    assert point.effective_leverage == pytest.approx(health.account_leverage)
    assert point.effective_leverage > 1.0
    at_liquidation = health_point(1, _isolated_only(2100.0), 20.0)
    assert at_liquidation.worst_state == at_liquidation.closest_state == "liquidation"
    assert at_liquidation.level_state == "liquidation" and at_liquidation.state == "ok"


def test_of_two_coin_pools_the_one_nearest_liquidation_is_kept_by_its_coin() -> None:
    def account(eth_wallet: float) -> risk.Health:
        # A 25,000 USD BTC long on 0.05 BTC (about 8x) and a 3,000 USD ETH short.
        return risk.assess_pools(
            [_coin_pool("BTC", 0.05, 250, 60_000.0), _coin_pool("ETH", eth_wallet, -300, 3_000.0)]
        )

    def move_of(health: risk.Health, coin: str) -> float | None:
        return next(p for p in (health, *health.pools) if p.settle == coin).move_to_liquidation

    calm = account(2.0)
    point = health_point(1, calm, 0.0)
    assert (calm.settle, point.closest_kind, point.closest_name) == ("BTC", "cross", "BTC")
    # On 0.11 ETH the ETH pool is the account's headline (the worse ratio) while BTC is still
    # nearer liquidation by price: the chart follows the nearer one, by its coin.
    crossing = account(0.11)
    point = health_point(1, crossing, 0.0)
    assert crossing.settle == "ETH"
    assert (point.closest_name, point.closest_move) == ("BTC", move_of(crossing, "BTC"))
    assert abs(move_of(crossing, "BTC") or 0) < abs(move_of(crossing, "ETH") or 0)
    # On 0.08 ETH it is the ETH pool, by both.
    near = account(0.08)
    point = health_point(1, near, 0.0)
    assert (point.closest_name, point.closest_move) == ("ETH", move_of(near, "ETH"))


def test_an_account_of_one_pool_keeps_no_pool_figures() -> None:
    health = risk.assess(risk.parse_snapshot(json.loads(EXAMPLE.read_text(encoding="utf-8"))))
    point = health_point(7, health, 0.0)
    assert point.closest_kind is None and point.closest_move is None
    assert point.worst_state == "ok"
    assert point.nearest_move == point.move_to_liquidation


def test_the_closest_approach_is_the_smallest_distance_of_the_nearest_pool() -> None:
    marks = [2400.0, 2300.0, 2230.0, 2350.0]
    points = [health_point(1, _isolated_only(m), 100.0 * i) for i, m in enumerate(marks)]
    approach = closest_approach(points, since=50.0)
    assert approach is not None
    assert (approach.at, approach.kind, approach.name) == (200.0, "isolated", "ETH/USDC:USDC")
    assert approach.move == points[2].closest_move
    # Points before ``since`` do not count; no point with a move, no approach.
    assert closest_approach(points, since=250.0).at == 300.0  # type: ignore[union-attr]
    assert closest_approach(points[:0], since=0.0) is None
