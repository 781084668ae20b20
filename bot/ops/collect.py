"""Fills the gauges that describe stored state (outbox depth, accounts per state) from the store.

Counters (polls, alerts, delivery lag) are recorded where the event happens; gauges are sampled.
Schedule :func:`refresh_from_store` every few seconds (and once at start-up) next to the
monitor's tick. The store is duck-typed so this package stays free of the store's imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bot.ops.metrics import Metrics


class StoreLike(Protocol):
    async def account_counts(self) -> Mapping[str, int]: ...

    async def read(self, fn: Callable[[Any], Any]) -> Any: ...


async def refresh_from_store(metrics: Metrics, store: StoreLike) -> None:
    """Set ``outbox_depth`` (pending messages) and ``accounts{state}`` from the database."""
    metrics.set_accounts(await store.account_counts())
    metrics.set_outbox_depth(await store.read(lambda tx: tx.outbox.pending_count()))
