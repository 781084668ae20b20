"""The venues' limits in tests: the simulator enforces them and the hub's budget keeps to them.

Both run the venues' real table (``bot/exchanges/limits.py``) with every window LIMITS_SPEED
times shorter, so that a test reading one Kraken key a few times does not wait seconds for its
counter to drain; the budget and the simulator always run at the same speed, so a test that
sends more than the venue allows is still refused as the venue would refuse it.
"""

from __future__ import annotations

from typing import Any

from bot.exchanges.budget import Budget, FollowingClock
from bot.monitor.clock import ManualClock

LIMITS_SPEED = 20.0


def limits_budget() -> Budget:
    """A request budget at the tests' limits speed."""
    return Budget(speed=LIMITS_SPEED)


def limits_on(clock: ManualClock, sim: Any) -> Budget:
    """Run the venues' limits, the simulator's and the returned budget's, on ``clock``: a test
    whose clock jumps minutes between polls sees windows pass as the venues would."""
    sim.limits.clock = clock.now
    return Budget(clock=FollowingClock(clock))
