"""The delivery seam as chat adapters see it: a Transport per platform and the errors it raises.

Chat adapters talk only to core (docs/architecture.md), so they import these names from here;
they are defined once, in ``bot.monitor.transport``, next to the outbox that calls them.
"""

from __future__ import annotations

from bot.monitor.transport import DeliveryRetry, Destination, DestinationGone, Transport

__all__ = ["DeliveryRetry", "Destination", "DestinationGone", "Transport"]
