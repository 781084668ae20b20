"""Operating the service: Prometheus metrics (`bot.ops.metrics`), the /metrics + /healthz server
(`bot.ops.server`) and `start_ops_server`, which wires both to a store. Imports nothing at
package level, so recording a metric never pulls in the web server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ops.service import OpsService


async def start_ops_server(**kwargs: Any) -> OpsService:
    """See :func:`bot.ops.service.start_ops_server`."""
    from bot.ops.service import start_ops_server as start

    return await start(**kwargs)
