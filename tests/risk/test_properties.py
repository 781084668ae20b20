"""Properties every venue's maths must keep, on random books (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

import risk
from tests.risk.books import any_books, free_margin, linear_books, with_marks


def account_scale(book: dict[str, Any], health: risk.Health) -> float:
    """The size of the account the error is relative to: far out (an inverse short near an
    infinite price) equity and requirement both tend to 0 while the wallet does not."""
    return max(abs(health.equity), abs(health.maintenance_margin), book["wallet_balance"])


def assess(book: dict[str, Any]) -> risk.Health:
    return risk.assess(risk.parse_snapshot(book))


@given(any_books, st.data())
def test_moving_a_price_against_a_position_never_makes_the_account_healthier(
    book: dict[str, Any], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(book["positions"]) - 1))
    step = data.draw(st.floats(min_value=0.0001, max_value=0.5))
    long = book["positions"][index]["size"] > 0
    before = assess(book)
    after = assess(with_marks(book, 1 - step if long else 1 + step, only=index))
    assert free_margin(after) <= free_margin(before) + 1e-9 * max(1.0, abs(before.equity))
    order = ["ok", "warning", "margin_call", "liquidation"]
    assert order.index(after.state) >= order.index(before.state)


@given(any_books)
def test_at_a_liquidation_price_equity_equals_the_requirement(book: dict[str, Any]) -> None:
    health = assess(book)
    for index, position in enumerate(health.positions):
        price = position.liquidation_price
        if price is None:
            continue
        there = assess(with_marks(book, price / book["positions"][index]["mark_price"], only=index))
        assert abs(there.equity - there.maintenance_margin) / account_scale(book, there) < 1e-9


@given(any_books, st.randoms(use_true_random=False))
def test_the_order_of_positions_changes_nothing(book: dict[str, Any], rnd: Any) -> None:
    shuffled = list(book["positions"])
    rnd.shuffle(shuffled)
    a, b = assess(book), assess({**book, "positions": shuffled})
    for field in ("equity", "maintenance_margin", "move_to_margin_call", "move_to_liquidation"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None)
        if x is not None:
            assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    assert a.state == b.state
    by_symbol = {p.symbol: p for p in b.positions}
    for p in a.positions:
        q = by_symbol[p.symbol]
        assert p.close_rank == q.close_rank
        assert (p.liquidation_price is None) == (q.liquidation_price is None)
        if p.liquidation_price is not None:
            assert math.isclose(p.liquidation_price, q.liquidation_price or 0, rel_tol=1e-9)


@given(any_books)
def test_the_shocked_prices_of_move_to_liquidation_land_on_the_threshold(
    book: dict[str, Any],
) -> None:
    health = assess(book)
    move = health.move_to_liquidation
    assume(move is not None and move != 0.0)
    there = assess(with_marks(book, 1 + move))
    assert abs(there.equity - there.maintenance_margin) / account_scale(book, there) < 1e-9


@given(any_books)
def test_move_to_margin_call_comes_no_later_than_move_to_liquidation(book: dict[str, Any]) -> None:
    health = assess(book)
    call, liq = health.move_to_margin_call, health.move_to_liquidation
    assume(call is not None and liq is not None and call != 0.0 and liq != 0.0)
    if (call < 0) == (liq < 0):
        assert abs(call) <= abs(liq) + 1e-12


@given(linear_books(), st.floats(min_value=1, max_value=50_000))
def test_a_delta_neutral_book_is_liquidated_by_an_upward_move_only_where_maintenance_moves(
    book: dict[str, Any], price: float
) -> None:
    leg = book["positions"][0]
    size = abs(leg["size"]) or 1.0
    hedged = {
        **book,
        "positions": [
            {
                **leg,
                "symbol": "A/USDT:USDT",
                "size": size,
                "mark_price": price,
                "entry_price": price,
            },
            {
                **leg,
                "symbol": "B/USDT:USDT",
                "size": -size,
                "mark_price": price,
                "entry_price": price,
            },
        ],
    }
    health = assess(hedged)
    assume(health.state == "ok")
    if risk.profile_for(book["venue"]).basis("linear") == "mark":
        # Maintenance grows with the notional while the P&L cancels: a rise liquidates.
        assert health.move_to_liquidation is not None and health.move_to_liquidation > 0
    else:
        # Bybit values maintenance at entry: equity and requirement both stand still.
        assert health.move_to_liquidation is None
