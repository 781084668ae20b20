"""Venue rules that the worked examples do not reach: brackets, isolated margin, Kraken shorts,
closing order, spot-margin liabilities and user thresholds."""

from __future__ import annotations

import math
from typing import Any

import risk


def assess(book: dict[str, Any]) -> risk.Health:
    return risk.assess(risk.parse_snapshot(book))


LADDER = [
    {"floor": 0, "cap": 50_000, "rate": 0.004, "amount": 0},
    {"floor": 50_000, "cap": 250_000, "rate": 0.005, "amount": 50},
    {"floor": 250_000, "cap": 1_000_000, "rate": 0.01, "amount": 1_300},
    {"floor": 1_000_000, "cap": None, "rate": 0.025, "amount": 16_300},
]


def test_liquidation_price_is_resolved_in_the_bracket_it_lands_in() -> None:
    # 20 BTC at 60,000 is 1.2 M notional (2.5 % bracket); at the liquidation price the notional
    # drops into the 1 % bracket, which must be the one used for the answer.
    book = {
        "venue": "binanceusdm",
        "settle": "USDT",
        "wallet_balance": 300_000,
        "positions": [
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": 20,
                "entry_price": 60_000,
                "mark_price": 60_000,
                "tiers": LADDER,
            }
        ],
    }
    price = assess(book).positions[0].liquidation_price
    assert price is not None
    assert 20 * price < 1_000_000  # landed in a lower bracket
    # Direct check in that bracket: WB + q(P − E) = q·P·1 % − 1,300.
    expected = (300_000 + 1_300 - 20 * 60_000) / (20 * 0.01 - 20)
    assert math.isclose(price, expected, rel_tol=1e-12)
    naive = (300_000 + 16_300 - 20 * 60_000) / (20 * 0.025 - 20)
    assert not math.isclose(price, naive, rel_tol=1e-6)


def test_isolated_position_is_judged_on_its_own_margin_outside_the_cross_pool() -> None:
    book = {
        "venue": "binanceusdm",
        "settle": "USDT",
        "wallet_balance": 10_000,
        "positions": [
            {
                "symbol": "ETH/USDT:USDT",
                "kind": "linear",
                "size": 10,
                "entry_price": 2_000,
                "mark_price": 2_000,
                "maintenance_rate": 0.005,
                "margin_mode": "isolated",
                "isolated_margin": 2_000,
            },
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": -1,
                "entry_price": 50_000,
                "mark_price": 50_000,
                "maintenance_rate": 0.004,
            },
        ],
    }
    health = assess(book)
    eth = health.positions[0]
    # Binance isolated: LP = (isolated wallet + cum − q·EP) / (|q|·MMR − q).
    assert math.isclose(
        eth.liquidation_price or 0, (2_000 - 10 * 2_000) / (10 * 0.005 - 10), rel_tol=1e-12
    )
    assert math.isclose(health.maintenance_margin, 50_000 * 0.004, rel_tol=1e-12)
    assert eth.close_rank == 2  # the cross pool's positions are closed by the cross process


def test_short_on_kraken_hits_margin_call_when_price_rises() -> None:
    # Short 1 BTC at 20,000 with 5x: used margin 0.2 BTC, revalued at mark.
    book = {
        "venue": "kraken",
        "settle": "USD",
        "wallet_balance": 10_000,
        "positions": [
            {
                "symbol": "BTC/USD",
                "kind": "spot_margin",
                "size": -1,
                "entry_price": 20_000,
                "mark_price": 20_000,
                "used_margin": 0.2,
                "used_margin_in": "base",
            }
        ],
    }
    health = assess(book)
    assert health.move_to_margin_call is not None and health.move_to_margin_call > 0
    # (10,000 − (P − 20,000)) / (0.2·P) = 0.8  ⇒  P = 30,000 / 1.16
    assert math.isclose(health.positions[0].margin_call_price or 0, 30_000 / 1.16, rel_tol=1e-12)
    assert math.isclose(health.ratio.value or 0, 10_000 / 4_000, rel_tol=1e-12)


def test_kraken_closes_the_oldest_position_first_when_opening_times_are_known() -> None:
    def book(with_times: bool) -> dict[str, Any]:
        positions = []
        for i, (entry, opened) in enumerate([(100, 300.0), (90, 100.0), (120, 200.0)]):
            p = {
                "symbol": f"P{i}/USD",
                "kind": "spot_margin",
                "size": 1,
                "entry_price": entry,
                "mark_price": 100,
                "used_margin": 20,
            }
            if with_times:
                p["opened_at"] = opened
            positions.append(p)
        return {"venue": "kraken", "settle": "USD", "wallet_balance": 100, "positions": positions}

    assert [p.close_rank for p in assess(book(True)).positions] == [3, 1, 2]
    # Without times, the largest loss goes first: P2 (−20), then P0 (0), then P1 (+10).
    assert [p.close_rank for p in assess(book(False)).positions] == [2, 3, 1]


def test_binance_margin_level_counts_interest_and_moves_with_borrowed_coin() -> None:
    # 1 BTC collateral worth 50,000 against 30,000 USDT borrowed plus 100 interest.
    book = {
        "venue": "binance",
        "settle": "USDT",
        "wallet_balance": 0,
        "assets": [{"asset": "BTC", "amount": 1, "price": 50_000}],
        "liabilities": [{"asset": "USDT", "amount": 30_000, "interest": 100, "price": 1}],
    }
    health = assess(book)
    assert math.isclose(health.ratio.value or 0, 50_000 / 30_100, rel_tol=1e-12)
    assert health.state == "ok"
    # Margin call at 1.3: 50,000·(1+s) = 1.3 · 30,100.
    assert math.isclose(health.move_to_margin_call or 0, 1.3 * 30_100 / 50_000 - 1, rel_tol=1e-12)
    assert math.isclose(health.move_to_liquidation or 0, 1.1 * 30_100 / 50_000 - 1, rel_tol=1e-12)


def test_user_thresholds_override_the_venue_levels() -> None:
    book = {
        "venue": "binanceusdm",
        "settle": "USDT",
        "wallet_balance": 1_000,
        "thresholds": {"margin_call": 0.3},
        "positions": [
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": 1,
                "entry_price": 50_000,
                "mark_price": 50_000,
                "maintenance_rate": 0.005,
            }
        ],
    }
    health = assess(book)
    assert health.ratio.margin_call == 0.3 and health.ratio.margin_call_source == "user"
    assert health.state == "ok"  # 250 / 1,000 = 0.25 < 0.3
    tighter = assess({**book, "thresholds": {"margin_call": 0.2}})
    assert tighter.state == "margin_call"


def test_an_account_with_nothing_open_is_ok_and_has_no_distance() -> None:
    health = assess({"venue": "bybit", "settle": "USDT", "wallet_balance": 123.0})
    assert health.state == "ok"
    assert health.move_to_liquidation is None and health.ratio.value == 0.0


def test_an_account_already_past_liquidation_reports_no_move_left() -> None:
    health = assess(
        {
            "venue": "okx",
            "settle": "USDT",
            "wallet_balance": 100,
            "positions": [
                {
                    "symbol": "BTC/USDT:USDT",
                    "kind": "linear",
                    "size": 1,
                    "entry_price": 50_000,
                    "mark_price": 49_900,
                    "maintenance_rate": 0.004,
                }
            ],
        }
    )
    assert health.state == "liquidation"
    assert health.move_to_liquidation == 0.0


def test_inverse_long_move_matches_its_closed_form() -> None:
    # Coin-margined long: equity(x) = W + N·F/E − N·F/(P·x); MM = N·F·r/(P·x). At λ = 1:
    # x = N·F·(1 + r) / (P·(W + N·F/E)).
    w, n, f, e, p, r = 0.5, 1_000, 100, 30_000, 30_000, 0.01
    health = assess(
        {
            "venue": "binancecoinm",
            "settle": "BTC",
            "wallet_balance": w,
            "positions": [
                {
                    "symbol": "BTC/USD:BTC",
                    "kind": "inverse",
                    "size": n,
                    "contract_size": f,
                    "entry_price": e,
                    "mark_price": p,
                    "maintenance_rate": r,
                }
            ],
        }
    )
    x = n * f * (1 + r) / (p * (w + n * f / e))
    assert math.isclose(health.move_to_liquidation or 0, x - 1, rel_tol=1e-12)
    assert math.isclose(health.positions[0].liquidation_price or 0, p * x, rel_tol=1e-12)


def test_maintenance_outside_positions_counts_and_stays_fixed_under_moves() -> None:
    # OKX-style: 1 BTC long plus 300 USDT of maintenance for a spot borrowing.
    base = {
        "venue": "okx",
        "settle": "USDT",
        "wallet_balance": 10_000,
        "positions": [
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": 1,
                "entry_price": 50_000,
                "mark_price": 50_000,
                "maintenance_rate": 0.004,
            }
        ],
    }
    plain, loaded = assess(base), assess({**base, "other_maintenance": 300})
    assert math.isclose(loaded.maintenance_margin - plain.maintenance_margin, 300, rel_tol=1e-12)
    # E − MM = 0 under the move: 10,000 + 50,000·s = 200·(1 + s) + 300.
    s = (200 + 300 - 10_000) / (50_000 - 200)
    assert math.isclose(loaded.move_to_liquidation or 0, s, rel_tol=1e-12)
    price = loaded.positions[0].liquidation_price or 0
    assert math.isclose(10_000 + (price - 50_000), price * 0.004 + 300, rel_tol=1e-12)


def test_the_exact_fallback_finds_the_move_when_bracket_passes_cannot_settle() -> None:
    # Many tiered legs whose notionals straddle bracket edges near the answer: the fallback
    # (regula falsi on the exact cushion) must land on the threshold whatever the guess.
    from risk.engine import _Book, _coefficients, _Leg, _refine_move

    ladder = risk.build_tiers(
        [(0, 10_000, 0.01), (10_000, 20_000, 0.02), (20_000, 40_000, 0.04), (40_000, None, 0.08)]
    )
    positions = tuple(
        risk.Position(
            symbol=f"C{i}/USDT:USDT",
            kind="linear",
            size=1.0,
            entry_price=11_000 + 900 * i,
            mark_price=11_000 + 900 * i,
            tiers=ladder,
        )
        for i in range(12)
    )
    legs = [_Leg(p) for p in positions]
    book = _Book(legs, 40_000.0, 0.0, 0.0, 0.0)
    c = _coefficients("maintenance_over_equity", 1.0)
    for guess in (0.99, 0.9, 0.5, 0.2):
        move = _refine_move(book, c, guess)
        assert move is not None
        assert abs(book.cushion_at_move(c, 1 + move)) < 1e-9 * 40_000
    assert math.isclose(
        _refine_move(book, c, 0.5) or 0,
        risk.assess(
            risk.AccountSnapshot(
                venue="binanceusdm", settle="USDT", wallet_balance=40_000.0, positions=positions
            )
        ).move_to_liquidation
        or 0,
        rel_tol=1e-9,
    )
