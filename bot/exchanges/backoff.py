"""Back-off of one account (or a venue's market loading) while the exchange fails.

Rate limits are not handled here: the request budget (:mod:`bot.exchanges.budget`) stops the
limited scope itself. This is for an account whose reads fail for other reasons (the exchange
down or timing out for it): retry-after if given, else exponential.
"""

from __future__ import annotations

import time


class Backoff:
    """When the next request may go, after failures: retry-after if given, else exponential."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap
        self.until = 0.0
        self.failures = 0
        self.state: str | None = None

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())

    def fail(self, state: str, retry_after: float | None) -> float:
        self.failures += 1
        self.state = state
        delay = (
            retry_after
            if retry_after is not None
            else min(self.cap, self.base * 2 ** (self.failures - 1))
        )
        self.until = time.monotonic() + delay
        return delay

    def succeed(self) -> None:
        self.failures = 0
        self.until = 0.0
        self.state = None
