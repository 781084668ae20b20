"""Per-exchange request spacing and back-off bookkeeping (per exchange and per account)."""

from __future__ import annotations

import asyncio
import time


class Throttle:
    """Spaces requests to one exchange so the whole process stays under its per-IP budget."""

    def __init__(self, requests_per_second: float) -> None:
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self, _method: str = "") -> None:
        if self.interval == 0.0:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


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
