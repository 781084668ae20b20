"""Which venues exist: adapters register themselves; the registry imports the venue modules."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from .base import VenueAdapter
from .types import VenueInfo

# Modules that hold adapters. A module missing from a build is skipped, not fatal.
VENUE_MODULES = (
    "kraken",
    "binance",
    "binance_futures",
    "bybit",
    "okx",
    "krakenfutures",
    "hyperliquid",
    "generic",
)

_ADAPTERS: dict[str, VenueAdapter] = {}
# Families resolve "prefix:suffix" venue ids (e.g. "generic:bitget") to an adapter on demand.
_FAMILIES: dict[str, Callable[[str], VenueAdapter]] = {}
_loaded = False


def register(cls: type[VenueAdapter]) -> type[VenueAdapter]:
    """Class decorator: make ``cls`` the adapter for ``cls.info.venue``."""
    _ADAPTERS[cls.info.venue] = cls()
    return cls


def register_family(prefix: str, factory: Callable[[str], VenueAdapter]) -> None:
    """Serve venue ids ``prefix:<anything>`` by calling ``factory(<anything>)`` once per id."""
    _FAMILIES[prefix] = factory


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in VENUE_MODULES:
        module_name = f"{__package__}.{name}"
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise


def adapter_for(venue: str) -> VenueAdapter:
    """The adapter for ``venue``; ``KeyError`` with a sentence naming the known venues."""
    load_all()
    adapter = _ADAPTERS.get(venue)
    if adapter is not None:
        return adapter
    prefix, _, suffix = venue.partition(":")
    if suffix and prefix in _FAMILIES:
        adapter = _FAMILIES[prefix](suffix)
        _ADAPTERS[venue] = adapter
        return adapter
    known = ", ".join(sorted(v for v in _ADAPTERS if ":" not in v))
    hint = ""
    if not suffix and "generic" in _FAMILIES:
        try:
            _FAMILIES["generic"](venue)
        except KeyError:
            pass
        else:  # an exchange ccxt reads: say how to link it
            hint = f"; {venue} can be read approximately as generic:{venue}"
    raise KeyError(f"unknown exchange {venue!r}; supported: {known}, generic:<ccxt id>{hint}")


class _SupportedVenues(Mapping[str, VenueInfo]):
    """``SUPPORTED_VENUES``: venue id -> :class:`VenueInfo`, filled on first use.

    Iterating lists the named venues; a family member (``generic:kucoin``) is not listed but
    is found by id, so it can be linked and labelled like any other.
    """

    def __getitem__(self, venue: str) -> VenueInfo:
        load_all()
        if ":" in venue:  # family members are resolved on demand, not listed
            try:
                return adapter_for(venue).info
            except KeyError:
                raise KeyError(venue) from None
        return _ADAPTERS[venue].info

    def __iter__(self) -> Iterator[str]:
        load_all()
        return iter(sorted(v for v in _ADAPTERS if ":" not in v))

    def __len__(self) -> int:
        load_all()
        return sum(1 for v in _ADAPTERS if ":" not in v)


SUPPORTED_VENUES: Mapping[str, VenueInfo] = _SupportedVenues()
