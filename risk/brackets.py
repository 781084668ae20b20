"""Maintenance brackets: finding the one that applies, and filling in maintenance amounts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .model import Tier


def bracket(tiers: Sequence[Tier], notional: float) -> Tier:
    """The bracket containing ``notional`` (the last one past every cap)."""
    for tier in tiers:
        if notional < tier.cap:
            return tier
    return tiers[-1]


def next_amount(floor: float, rate: float, previous_rate: float, previous_amount: float) -> float:
    """Binance's maintenance amount: ``cum_n = floor_n·(mmr_n − mmr_(n−1)) + cum_(n−1)``.

    It keeps the maintenance margin continuous where one bracket hands over to the next.
    """
    return floor * (rate - previous_rate) + previous_amount


def build_tiers(brackets: Iterable[tuple[float, float, float]]) -> tuple[Tier, ...]:
    """Tiers from ``(floor, cap, rate)`` rows in order, with each maintenance amount derived.

    For venues that publish rates but no amounts (or to check the ones they publish).
    """
    tiers: list[Tier] = []
    previous_rate = previous_amount = 0.0
    for floor, cap, rate in brackets:
        amount = next_amount(floor, rate, previous_rate, previous_amount) if tiers else 0.0
        tiers.append(
            Tier(floor=floor, cap=math.inf if cap is None else cap, rate=rate, amount=amount)
        )
        previous_rate, previous_amount = rate, amount
    return tuple(tiers)
