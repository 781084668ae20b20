"""The one place numbers become text: money, prices, percentages, moves and venue ratios."""

from __future__ import annotations

import math
import time

# Currencies shown with cents; anything else (BTC, ETH) keeps significant digits.
_CENTS = frozenset(
    {
        "USD",
        "ZUSD",
        "EUR",
        "ZEUR",
        "GBP",
        "ZGBP",
        "USDT",
        "USDC",
        "FDUSD",
        "BUSD",
        "DAI",
        "TUSD",
        "USDE",
        "PYUSD",
    }
)

# How each venue shows its health ratio in its own interface: as a percentage (Kraken's margin
# level 245 %, Binance futures' margin ratio 41.49 %) or as a plain number (Binance cross margin
# level 1.85). Users read and type levels the way their venue shows them.
RATIO_AS_PERCENT: frozenset[str] = frozenset(
    {
        "kraken",
        "krakenfutures",
        "binanceusdm",
        "binancecoinm",
        "bybit",
        "okx",
        "hyperliquid",
        "generic",
    }
)

MINUS = "−"  # a true minus sign reads better than a hyphen in chat fonts
DASH = "—"


def _trim(text: str, keep: int) -> str:
    """Drop trailing zeros past ``keep`` decimals (``142.3500`` -> ``142.35``)."""
    if "." not in text:
        return text
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    frac = frac + "0" * (keep - len(frac)) if len(frac) < keep else frac
    return f"{whole}.{frac}" if frac else whole


def number(
    value: float, significant: int = 6, min_decimals: int = 2, max_decimals: int = 10
) -> str:
    """``value`` with thousands separators and ``significant`` digits, at least
    ``min_decimals`` decimals (trailing zeros beyond them dropped)."""
    if value is None or not math.isfinite(value):
        return DASH
    magnitude = abs(value)
    if magnitude == 0:
        decimals = min_decimals
    else:
        digits_before = math.floor(math.log10(magnitude)) + 1
        decimals = min(max(significant - digits_before, min_decimals), max_decimals)
    text = f"{magnitude:,.{decimals}f}"
    text = _trim(text, min_decimals)
    if set(text.replace(",", "").replace(".", "")) == {"0"}:
        return text  # no "−0.00"
    return (MINUS + text) if value < 0 else text


def money(amount: float | None, currency: str) -> str:
    """``1,030,895.56 USDT``, ``0.5123 BTC``."""
    if amount is None or not math.isfinite(amount):
        return DASH
    if currency.upper() in _CENTS:
        return f"{number(amount, significant=2, min_decimals=2, max_decimals=2)} {currency}"
    return f"{number(amount, significant=6, min_decimals=2)} {currency}"


def price(value: float | None) -> str:
    """A price with sensible significant digits: ``31,967.27``, ``142.35``, ``0.08123``."""
    if value is None or not math.isfinite(value):
        return DASH
    return number(value, significant=6, min_decimals=2)


def percent(fraction: float | None, *, signed: bool = False) -> str:
    """``0.0769`` -> ``7.69%``; one decimal from 10 %, none from 1000 %."""
    if fraction is None or not math.isfinite(fraction):
        return DASH
    value = fraction * 100
    magnitude = abs(value)
    decimals = 2 if magnitude < 10 else 1 if magnitude < 1000 else 0
    text = f"{magnitude:,.{decimals}f}%"
    if signed and value > 0:
        return "+" + text
    if value < 0 and round(magnitude, decimals) != 0:
        return MINUS + text
    return text


def move(fraction: float | None) -> str:
    """A uniform price move: ``−0.0769`` -> ``7.69% fall``; ``0.12`` -> ``12.0% rise``."""
    if fraction is None or not math.isfinite(fraction):
        return DASH
    direction = "fall" if fraction < 0 else "rise"
    return f"{percent(abs(fraction))} {direction}"


def distance(fraction: float | None) -> str:
    """Distance from mark to a price: ``−0.1363`` -> ``13.6% below``."""
    if fraction is None or not math.isfinite(fraction):
        return DASH
    where = "below" if fraction < 0 else "above"
    return f"{percent(abs(fraction))} {where}"


def ratio(value: float | None, venue: str) -> str:
    """A health ratio as ``venue`` shows it: Kraken ``245.6%``, Binance cross margin ``1.85``."""
    if value is None or not math.isfinite(value):
        return DASH
    if venue in RATIO_AS_PERCENT:
        return percent(value)
    return number(value, significant=3, min_decimals=2, max_decimals=4)


def parse_ratio(text: str, venue: str) -> float | None:
    """A level typed the way ``venue`` shows it, as a fraction; None when not a number.

    ``120%`` is 1.20 everywhere; a bare ``120`` is 1.20 on a venue that shows percentages and
    120.0 on one that shows plain numbers (the caller's range check refuses nonsense).
    """
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    is_percent = cleaned.endswith("%")
    cleaned = cleaned.rstrip("%")
    if "_" in cleaned:  # float() reads "1_0" as 10: a typo must not become a level
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    if is_percent or venue in RATIO_AS_PERCENT:
        return value / 100
    return value


def parse_percent(text: str) -> float | None:
    """``"15"``, ``"15%"``, ``"15.5 %"`` -> 0.15 / 0.155; None when not a number."""
    cleaned = text.strip().replace(" ", "").replace(",", ".").rstrip("%")
    if "_" in cleaned:  # float() reads "1_0" as 10: a typo must not become a threshold
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value / 100 if math.isfinite(value) else None


def leverage(value: float | None) -> str:
    """``8.17×``."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{number(value, significant=3, min_decimals=1, max_decimals=2)}×"


def utc_time(epoch: float | None) -> str:
    """``2026-11-25 10:15`` (UTC)."""
    if epoch is None:
        return DASH
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def cadence(seconds: float) -> str:
    """How often something happens: ``40 s``, ``4 min``, ``1h 30m``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return duration(seconds)


def duration(seconds: float) -> str:
    """``4h``, ``30m``, ``1d 2h``."""
    days, rest = divmod(round(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return " ".join(p for p in parts if p) or "0m"


def clip_words(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut after a whole word with "…" when too long."""
    if len(text) <= limit:
        return text
    room = max(limit - 1, 0)
    cut = text[:room]
    if " " in cut.strip() and not text[room : room + 1].isspace():
        whole = cut[: cut.rstrip().rfind(" ")]
        # One giant word is cut after all: half a name says more than none.
        cut = whole if len(whole) >= room // 2 else cut
    return cut.rstrip(" ,;:—-") + "…"
