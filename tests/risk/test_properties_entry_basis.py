"""Bybit's entry-valued maintenance, on random books: at every price the engine names, equity
equals the requirement computed Bybit's way (tests.risk.books.bybit_maintenance), not the
engine's own way."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

import risk
from tests.risk.books import bybit_books, bybit_maintenance, with_marks


def assess(book: dict[str, Any]) -> risk.Health:
    return risk.assess(risk.parse_snapshot(book))


def cross_equity(book: dict[str, Any]) -> float:
    return book["wallet_balance"] + sum(
        p["size"] * (p["mark_price"] - p["entry_price"])
        for p in book["positions"]
        if p.get("margin_mode") != "isolated"
    )


def cross_requirement(book: dict[str, Any]) -> float:
    return sum(
        bybit_maintenance(p) for p in book["positions"] if p.get("margin_mode") != "isolated"
    )


def scale(book: dict[str, Any]) -> float:
    return max(book["wallet_balance"], 1.0)


@given(bybit_books())
def test_at_each_liquidation_price_equity_is_bybits_maintenance(book: dict[str, Any]) -> None:
    health = assess(book)
    for index, position in enumerate(health.positions):
        price = position.liquidation_price
        if price is None:
            continue
        leg = book["positions"][index]
        there = with_marks(book, price / leg["mark_price"], only=index)
        if leg.get("margin_mode") == "isolated":
            moved = there["positions"][index]
            equity = leg["isolated_margin"] + moved["size"] * (price - moved["entry_price"])
            requirement = bybit_maintenance(moved)
            size = leg["isolated_margin"]
        else:
            equity, requirement, size = cross_equity(there), cross_requirement(there), scale(book)
        assert abs(equity - requirement) <= 1e-9 * max(size, requirement, 1.0)


@given(bybit_books())
def test_at_each_margin_call_price_bybits_mm_rate_is_the_call_level(book: dict[str, Any]) -> None:
    health = assess(book)
    call = health.ratio.margin_call
    for index, position in enumerate(health.positions):
        price = position.margin_call_price
        if price is None or book["positions"][index].get("margin_mode") == "isolated":
            continue
        there = with_marks(book, price / book["positions"][index]["mark_price"], only=index)
        # Account MM rate = maintenance / margin balance = the call level.
        assert abs(cross_requirement(there) - call * cross_equity(there)) <= 1e-9 * scale(book)


@given(bybit_books())
def test_the_uniform_move_lands_on_bybits_liquidation_line(book: dict[str, Any]) -> None:
    move = assess(book).move_to_liquidation
    assume(move is not None and move != 0.0)
    there = with_marks(book, 1 + move)
    assert abs(cross_equity(there) - cross_requirement(there)) <= 1e-9 * scale(book)


@given(bybit_books(), st.floats(min_value=0.2, max_value=3.0))
def test_maintenance_does_not_move_with_the_mark(book: dict[str, Any], factor: float) -> None:
    before, after = assess(book), assess(with_marks(book, factor))
    for p, q, leg in zip(before.positions, after.positions, book["positions"], strict=True):
        assert p.maintenance_margin == q.maintenance_margin
        assert abs(p.maintenance_margin - bybit_maintenance(leg)) <= 1e-9 * max(
            1.0, p.maintenance_margin
        )
