"""One call gives the running service its operator endpoint: metrics installed, sampled, served."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.ops import metrics as metrics_module
from bot.ops.collect import StoreLike, refresh_from_store
from bot.ops.metrics import Metrics
from bot.ops.server import DEFAULT_HOST, OpsServer

log = logging.getLogger(__name__)


class OpsService:
    """The running endpoint: ``url``, ``port``, ``metrics``; ``await stop()`` undoes everything."""

    def __init__(
        self, server: OpsServer, previous: Metrics, sampler: asyncio.Task[None] | None
    ) -> None:
        self.server = server
        self.metrics = server.metrics
        self._previous = previous
        self._sampler = sampler

    def __repr__(self) -> str:
        return f"OpsService(port={self.server.port})"

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int | None:
        return self.server.port

    async def stop(self) -> None:
        """Stop sampling and serving; the module-level functions write where they did before."""
        sampler, self._sampler = self._sampler, None
        if sampler is not None:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        await self.server.stop()
        if metrics_module.current() is self.metrics:
            metrics_module.install(self._previous)


async def start_ops_server(
    *,
    port: int = 0,
    host: str = DEFAULT_HOST,
    store: StoreLike | None = None,
    monitor: object | None = None,
    metrics: Metrics | None = None,
    sample_every: float = 5.0,
    stale_after: float = 180.0,
) -> OpsService:
    """Install ``metrics`` (a fresh :class:`Metrics` by default), sample the store's gauges every
    ``sample_every`` seconds, and serve /metrics and /healthz on ``host:port`` (0: any port).

    ``monitor`` is accepted for symmetry with the composition root; the monitor records its own
    counters through :mod:`bot.ops.metrics`, so nothing is taken from it here.
    """
    del monitor
    chosen = metrics or Metrics()
    previous = metrics_module.install(chosen)
    server = OpsServer(chosen, host=host, port=port, stale_after=stale_after)
    try:
        if store is not None:
            await refresh_from_store(chosen, store)
        await server.start()
    except BaseException:
        metrics_module.install(previous)
        raise
    sampler = None
    if store is not None:
        sampler = asyncio.create_task(
            _sample(chosen, store, sample_every), name="marginwatch-ops-sampler"
        )
    return OpsService(server, previous, sampler)


async def _sample(metrics: Metrics, store: StoreLike, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await refresh_from_store(metrics, store)
        except Exception as exc:  # a busy or closing database must not end the sampling
            log.warning("sampling the store for metrics failed: %s", type(exc).__name__)
