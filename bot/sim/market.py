"""Setting an asset's price in US dollars on every simulated venue at once.

Each venue plug-in keeps its own prices by unified symbol (``BTC/USDT``, ``BTC/USD:BTC``,
``BTC/EUR``...). A person moving "BTC to 41,000" means dollars; each market quoted in something
else gets that price converted through the venue's own price of its quote currency (Kraken's
``BTC/EUR`` is divided by its ``EUR/USD``), exactly as the plug-ins value collateral. A market
quoted *in* a moved asset keeps its base asset's dollar value (``ETH/BTC`` follows BTC).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# Quote currencies worth one dollar unless the venue itself prices them (Kraken: USDT/USD).
PEGGED = frozenset({"USDT", "USDC"})
# Kraken's and Kraken Futures' name for bitcoin: accepted for people who think in it.
ALIASES = {"XBT": "BTC"}
_MAX_HOPS = 3  # BTC -> EUR -> USD is the longest chain any plug-in needs


def split(symbol: str) -> tuple[str, str]:
    """``("BTC", "USDT")`` for ``BTC/USDT`` and ``BTC/USDT:USDT``; the settle part is dropped."""
    pair = symbol.split(":", 1)[0]
    base, _, quote = pair.partition("/")
    return base, quote


def usd_value(prices: Mapping[str, float], asset: str, _hops: int = 0) -> float | None:
    """What one ``asset`` is worth in dollars by this venue's prices, or None if it cannot say."""
    if asset == "USD":
        return 1.0
    if _hops < _MAX_HOPS:
        for symbol, price in prices.items():
            base, quote = split(symbol)
            if base == asset and quote and quote != asset:
                worth = usd_value(prices, quote, _hops + 1)
                if worth is not None:
                    return price * worth
    return 1.0 if asset in PEGGED else None


def bases(prices: Mapping[str, float]) -> set[str]:
    """The base assets of a venue's markets."""
    return {split(symbol)[0] for symbol in prices}


def repriced(prices: Mapping[str, float], usd: Mapping[str, float]) -> dict[str, float]:
    """The markets of one venue whose price changes when ``usd`` (asset -> dollars) is set.

    Everything is computed from the old prices, so setting EUR and BTC together gives
    ``BTC/EUR`` = new BTC / new EUR whatever the order. A market whose quote has no dollar
    value on this venue is left alone (no plug-in has one today).
    """
    changed: dict[str, float] = {}
    for symbol, price in prices.items():
        base, quote = split(symbol)
        if base not in usd and quote not in usd:
            continue
        quote_old = usd_value(prices, quote)
        quote_new = usd.get(quote, quote_old)
        if quote_old is None or quote_new is None:
            continue
        base_new = usd[base] if base in usd else price * quote_old
        changed[symbol] = base_new / quote_new
    return changed


class PriceError(ValueError):
    """A price request that cannot be applied; ``str()`` is the sentence for the person."""


def parse_usd_prices(data: object, known: set[str]) -> dict[str, float]:
    """``{"prices": {"BTC": 41000}}`` as ``{"BTC": 41000.0}``, or :class:`PriceError`.

    ``known`` is every base asset of every served venue: an asset no market has is refused
    rather than silently ignored, so a typo never looks like a market that did not react.
    """
    example = 'send a JSON object like {"prices": {"BTC": 41000}}'
    if not isinstance(data, dict):
        raise PriceError(f"the body must be a JSON object: {example}")
    extra = sorted(set(data) - {"prices"})
    if extra:
        raise PriceError(f"unknown field {extra[0]!r}: {example}")
    given = data.get("prices")
    if not isinstance(given, dict) or not given:
        raise PriceError(f"'prices' must map at least one asset to its price in USD: {example}")
    out: dict[str, float] = {}
    for name, value in given.items():
        asset = ALIASES.get(str(name).strip().upper(), str(name).strip().upper())
        if asset == "USD":
            raise PriceError("prices are in USD, so USD itself cannot be given a price")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PriceError(f"the price of {name} must be a number of dollars, not {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise PriceError(f"the price of {name} must be a positive number, not {value!r}")
        if asset not in known:
            listed = ", ".join(sorted(known))
            raise PriceError(f"no simulated market trades {name} (known: {listed})")
        if asset in out:
            raise PriceError(f"{name} is given twice")
        out[asset] = float(value)
    return out
