"""Hypothesis strategies for random but well-formed account books, and a few fixed ones."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import risk

LINEAR_VENUES = ("binanceusdm", "bybit", "okx", "hyperliquid", "krakenfutures")

prices = st.floats(min_value=0.01, max_value=100_000, allow_nan=False, allow_infinity=False)
rates = st.floats(min_value=0.002, max_value=0.1)


@st.composite
def ladders(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A maintenance ladder with rising rates, amounts derived as Binance does."""
    count = draw(st.integers(min_value=1, max_value=5))
    floors = sorted(
        draw(
            st.lists(
                st.floats(min_value=1_000, max_value=5_000_000),
                min_size=count - 1,
                max_size=count - 1,
                unique=True,
            )
        )
    )
    rate_list = sorted(draw(st.lists(rates, min_size=count, max_size=count, unique=True)))
    bounds = [0.0, *floors]
    tiers = risk.build_tiers(
        (bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None, rate_list[i])
        for i in range(count)
    )
    return [
        {
            "floor": t.floor,
            "cap": None if t.cap == float("inf") else t.cap,
            "rate": t.rate,
            "amount": t.amount,
        }
        for t in tiers
    ]


@st.composite
def linear_positions(draw: st.DrawFn, index: int) -> dict[str, Any]:
    mark = draw(prices)
    entry = mark * draw(st.floats(min_value=0.7, max_value=1.3))
    notional = draw(st.floats(min_value=10, max_value=2_000_000))
    side = draw(st.sampled_from((1, -1)))
    position: dict[str, Any] = {
        "symbol": f"C{index}/USDT:USDT",
        "kind": "linear",
        "size": side * notional / mark,
        "entry_price": entry,
        "mark_price": mark,
    }
    if draw(st.booleans()):
        position["tiers"] = draw(ladders())
    else:
        position["maintenance_rate"] = draw(rates)
    return position


@st.composite
def linear_books(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=6))
    positions = [draw(linear_positions(i)) for i in range(count)]
    gross = sum(abs(p["size"]) * p["mark_price"] for p in positions)
    leverage = draw(st.floats(min_value=0.5, max_value=20))
    return {
        "venue": draw(st.sampled_from(LINEAR_VENUES)),
        "settle": "USDT",
        "wallet_balance": gross / leverage,
        "positions": positions,
    }


@st.composite
def kraken_books(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=5))
    positions = []
    for i in range(count):
        mark = draw(prices)
        entry = mark * draw(st.floats(min_value=0.8, max_value=1.2))
        volume = draw(st.floats(min_value=0.01, max_value=1_000))
        leverage = draw(st.sampled_from((2, 3, 4, 5)))
        long = draw(st.booleans())
        positions.append(
            {
                "symbol": f"K{i}/USD",
                "kind": "spot_margin",
                "size": volume if long else -volume,
                "entry_price": entry,
                "mark_price": mark,
                "used_margin": volume * entry / leverage if long else volume / leverage,
                "used_margin_in": "quote" if long else "base",
            }
        )
    used = sum(
        p["used_margin"] * (1 if p["used_margin_in"] == "quote" else p["mark_price"])
        for p in positions
    )
    return {
        "venue": "kraken",
        "settle": "USD",
        "wallet_balance": used * draw(st.floats(min_value=0.5, max_value=5)),
        "positions": positions,
    }


@st.composite
def inverse_books(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=4))
    positions = []
    for i in range(count):
        mark = draw(st.floats(min_value=100, max_value=100_000))
        positions.append(
            {
                "symbol": f"BTC{i}/USD:BTC",
                "kind": "inverse",
                "size": draw(st.sampled_from((1, -1))) * draw(st.integers(1, 10_000)),
                "contract_size": 100,
                "entry_price": mark * draw(st.floats(0.8, 1.2)),
                "mark_price": mark,
                "maintenance_rate": draw(rates),
            }
        )
    gross = sum(abs(p["size"]) * 100 / p["mark_price"] for p in positions)
    return {
        "venue": "binancecoinm",
        "settle": "BTC",
        "wallet_balance": gross / draw(st.floats(min_value=0.5, max_value=20)),
        "positions": positions,
    }


any_books = st.one_of(linear_books(), kraken_books(), inverse_books())


def with_marks(book: dict[str, Any], factor: float, only: int | None = None) -> dict[str, Any]:
    """The same book with marks (one, or all) multiplied by ``factor``."""
    positions = [
        {**p, "mark_price": p["mark_price"] * factor} if only in (None, i) else p
        for i, p in enumerate(book["positions"])
    ]
    return {**book, "positions": positions}


def free_margin(health: risk.Health) -> float:
    """Equity above what liquidation requires: the account's cushion in money."""
    return health.equity - health.maintenance_margin


@st.composite
def bybit_books(draw: st.DrawFn) -> dict[str, Any]:
    """Bybit USDT-contract books: maintenance on the entry value (flat rate or a ladder), the
    fee to close at the bankruptcy price, some positions isolated on their own margin."""
    count = draw(st.integers(min_value=1, max_value=5))
    positions = []
    for i in range(count):
        position = draw(linear_positions(i))
        leverage = draw(st.sampled_from((1, 2, 5, 10, 25, 50, 100)))
        position["leverage"] = leverage
        position["close_fee_rate"] = draw(st.sampled_from((0.0, 0.0002, 0.00055, 0.001)))
        if draw(st.integers(0, 3)) == 0:
            value = abs(position["size"]) * position["entry_price"]
            position["margin_mode"] = "isolated"
            position["isolated_margin"] = value / leverage * draw(st.floats(0.3, 3.0))
        positions.append(position)
    gross = sum(abs(p["size"]) * p["mark_price"] for p in positions)
    return {
        "venue": "bybit",
        "settle": "USDT",
        "wallet_balance": gross / draw(st.floats(min_value=0.5, max_value=20)),
        "positions": positions,
    }


def bybit_maintenance(position: dict[str, Any]) -> float:
    """Bybit's maintenance margin of one USDT-contract position, computed Bybit's way (help
    centre 'Maintenance Margin (USDT Contract)', 'Initial Margin Calculation'): position value
    at ENTRY × the rate of the tier that value falls in − its deduction, plus the estimated fee
    to close, quantity × bankruptcy price × taker fee rate."""
    quantity = abs(position["size"])
    entry = position["entry_price"]
    value = quantity * entry
    rate, deduction = position.get("maintenance_rate"), 0.0
    for tier in position.get("tiers") or []:
        if tier["cap"] is None or value < tier["cap"]:
            rate, deduction = tier["rate"], tier["amount"]
            break
    else:
        if position.get("tiers"):
            rate, deduction = position["tiers"][-1]["rate"], position["tiers"][-1]["amount"]
    side = 1 if position["size"] > 0 else -1
    bankruptcy = max(entry * (1 - side / position["leverage"]), 0.0)
    fee = quantity * bankruptcy * position.get("close_fee_rate", 0.0)
    return value * (rate or 0.0) - deduction + fee


def coin_pool(
    coin: str, wallet: float, size: float, mark: float, contract_size: float = 10.0
) -> risk.AccountSnapshot:
    """One Binance COIN-M coin pool: ``wallet`` of ``coin`` and an inverse perpetual of ``size``
    contracts (signed) opened at ``mark``, at 0.5 % maintenance."""
    return risk.parse_snapshot(
        {
            "venue": "binancecoinm",
            "settle": coin,
            "wallet_balance": wallet,
            "positions": [
                {
                    "symbol": f"{coin}/USD:{coin}",
                    "kind": "inverse",
                    "size": size,
                    "entry_price": mark,
                    "mark_price": mark,
                    "contract_size": contract_size,
                    "maintenance_rate": 0.005,
                }
            ],
        }
    )
