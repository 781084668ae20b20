"""The one place the service and `marginwatch check` build their hub from the settings."""

from __future__ import annotations

from typing import Any, Protocol

from .hub import ExchangeHub
from .modes import LIVE, ExchangeMode, ModeName


class HubSettings(Protocol):
    """What :func:`hub_for` reads of ``bot.settings.Settings`` (exchanges never import it)."""

    @property
    def exchange_mode(self) -> ModeName: ...

    @property
    def simulator_url(self) -> str: ...


def mode_of(settings: HubSettings | None) -> ExchangeMode:
    """The exchange mode ``settings`` choose (None: live)."""
    if settings is None:
        return LIVE
    return ExchangeMode(settings.exchange_mode, settings.simulator_url)


def hub_for(settings: HubSettings | None, **options: Any) -> ExchangeHub:
    """The hub ``run`` and ``check`` read through, as the settings say (None: live;
    ``options``: the hub's own keyword arguments, for a caller with more to say)."""
    return ExchangeHub(mode=mode_of(settings), **options)
