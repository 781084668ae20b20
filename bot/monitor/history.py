"""What is kept of each successful read: the one way a Health becomes a stored HealthPoint.

The poller records one per poll and core one per fresh read a user asked for (link, /status);
both may import the monitor, the store may not import ``risk``, so the mapping lives here, and
so does the rule for which of an account's pools is closest to liquidation (charts, digests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.monitor.presenter import ClosestApproach
from bot.store.records import HealthPoint
from risk import Health

_STATE_RANK = {"ok": 0, "warning": 1, "margin_call": 2, "liquidation": 3}


@dataclass(frozen=True, slots=True)
class Closest:
    """The pool of an account closest to liquidation, and how to name it.

    ``kind`` is "cross" (the account's own pool, or another coin's) or "isolated" (one
    position on its own margin); ``name`` the isolated position's symbol, or the coin of a
    cross pool where the account keeps one per coin, or None for the account's own pool of a
    one-pool account; ``side`` "long"/"short" for an isolated position.
    """

    pool: Health
    kind: str
    name: str | None
    side: str | None
    own: bool  # the account's own (cross) pool


def closest_pool(health: Health) -> Closest:
    """Of the account's own pool and every pool judged on its own (risk ``Health.pools``), the
    one the smallest move liquidates; among equals (no move does), the one in the worst state,
    the account's own first. The distance a chart's main panel and a digest show."""
    own = replace(health, pools=())
    candidates = [own, *health.pools]

    def key(index: int) -> tuple[float, int, int]:
        pool = candidates[index]
        move = pool.move_to_liquidation
        return (math.inf if move is None else abs(move), -_STATE_RANK[pool.state], index)

    best = min(range(len(candidates)), key=key)
    pool = candidates[best]
    coins = any(p.margin_mode == "cross" for p in health.pools)
    if pool.margin_mode == "isolated":
        (position,) = pool.positions
        return Closest(pool, "isolated", position.symbol, _side(position.size), own=False)
    return Closest(pool, "cross", pool.settle if coins else None, None, own=best == 0)


def _side(size: float) -> str:
    return "long" if size >= 0 else "short"


def health_point(account_id: int, health: Health, now: float) -> HealthPoint:
    """The sample of ``health`` taken at ``now`` for charts, digests and the status headline:
    the account's own figures, the worst state of all its pools and, where it keeps pools
    judged on their own, the one closest to liquidation."""
    closest = closest_pool(health) if health.pools else None
    return HealthPoint(
        account_id=account_id,
        at=now,
        state=health.state,
        equity=health.equity,
        ratio=health.ratio.value,
        ratio_name=health.ratio.name,
        maintenance_margin=health.maintenance_margin,
        move_to_liquidation=health.move_to_liquidation,
        effective_leverage=health.account_leverage,  # as the status card shows it
        worst_state=health.worst_state,
        closest_kind=closest.kind if closest else None,
        closest_name=closest.name if closest else None,
        closest_side=closest.side if closest else None,
        closest_state=closest.pool.state if closest else None,
        closest_ratio=closest.pool.ratio.value if closest else None,
        closest_move=closest.pool.move_to_liquidation if closest else None,
    )


def closest_approach(points: Sequence[HealthPoint], since: float) -> ClosestApproach | None:
    """The point of ``points`` nearest liquidation (the smallest move of the pool nearest it;
    the earliest of equals), or None when no point has a move."""
    best: HealthPoint | None = None
    for point in points:
        move = point.nearest_move
        if move is None or point.at < since:
            continue
        if best is None or abs(move) < abs(best.nearest_move or 0.0):
            best = point
    if best is None or best.nearest_move is None:
        return None
    return ClosestApproach(
        since=since,
        at=best.at,
        move=best.nearest_move,
        kind=best.closest_kind,
        name=best.closest_name,
        side=best.closest_side,
    )
