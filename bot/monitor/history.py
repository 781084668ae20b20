"""What is kept of each successful read: the one way a Health becomes a stored HealthPoint.

The poller records one per poll and core one per fresh read a user asked for (link, /status);
both may import the monitor, the store may not import ``risk``, so the mapping lives here.
"""

from __future__ import annotations

from bot.store.records import HealthPoint
from risk import Health


def health_point(account_id: int, health: Health, now: float) -> HealthPoint:
    """The sample of ``health`` taken at ``now`` for charts, digests and the status headline."""
    return HealthPoint(
        account_id=account_id,
        at=now,
        state=health.state,
        equity=health.equity,
        ratio=health.ratio.value,
        ratio_name=health.ratio.name,
        maintenance_margin=health.maintenance_margin,
        move_to_liquidation=health.move_to_liquidation,
        effective_leverage=health.effective_leverage,
    )
