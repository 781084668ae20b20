"""The operator's HTTP endpoint: Prometheus ``/metrics`` and a JSON ``/healthz`` on a local port."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"


class OpsServer:
    """Serves one :class:`Metrics`; ``port=0`` picks a free port, reported by :meth:`start`.

    ``/healthz`` answers 200 with ``{"status": "ok", ...}`` or 503 with ``"degraded"`` and the
    problems, so a container health check or a load balancer can act on the status code alone;
    a venue read slower than asked because of its request limits is ``"degraded"`` (named in
    ``problems`` and ``venue_limits``) with 200, since restarting would not help.
    ``stale_after`` is how long without an account read counts as stuck (a few poll intervals).
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        stale_after: float = 180.0,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"the metrics port must be from 0 to 65535, not {port}")
        self.metrics = metrics
        self.host = host
        self.requested_port = port
        self.stale_after = stale_after
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:
        return f"OpsServer(host={self.host!r}, port={self.port})"

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the ops server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> int:
        """Listen and return the actual port; a clear OSError sentence if the port is taken."""
        if self._runner is not None:
            raise RuntimeError("the ops server is already running")
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        # No access log: a scrape every 15 s would drown the service's own lines.
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.requested_port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                exc.errno,
                f"cannot serve metrics on {self.host}:{self.requested_port}: {exc.strerror}",
            ) from None
        self._runner = runner
        # runner.addresses holds the bound (host, port) pairs: the real port when 0 was asked.
        self.port = int(runner.addresses[0][1])
        log.info("metrics and health on %s (/metrics, /healthz)", self.url)
        return self.port

    async def stop(self) -> None:
        """Close the listener and any open connection; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self.port = None

    async def __aenter__(self) -> OpsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _healthz(self, request: web.Request) -> web.Response:
        report = self.metrics.health(stale_after=self.stale_after)
        # Degraded by the exchanges' limits alone answers 200: a restart would not help (its
        # re-check would only ask the venues more).
        return web.json_response(report.to_json(), status=503 if report.needs_attention else 200)
