"""Suggestions for what a user is typing: time zones, venues, times of day.

Discord's autocomplete shows them while the option is typed; a refusal for a time zone nobody
knows offers the closest ones on every chat. Matching is forgiving the way people type: case,
spaces for underscores ("new york"), a city without its region ("berlin").
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from bot.core import texts
from bot.core.refs import fill

# Shown before anything is typed: the zones most traders live in, west to east.
COMMON_TIMEZONES: tuple[str, ...] = (
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Warsaw",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


@cache
def _all_timezones() -> tuple[str, ...]:
    # Region/City names only: the old aliases ("US/Eastern", "Etc/GMT+3") confuse more than
    # help, but a typed alias still validates, since ZoneInfo knows it.
    names = zoneinfo.available_timezones()
    return tuple(sorted(n for n in names if "/" in n and not n.startswith(("Etc/", "SystemV/"))))


def _key(text: str) -> str:
    return text.strip().casefold().replace(" ", "_")


def timezones(typed: str, limit: int = 25) -> tuple[str, ...]:
    """Time zone names for what was typed: the common ones first when nothing (or something
    they match) was typed, then every zone whose city starts with it, then any that contain it."""
    wanted = _key(typed)
    if not wanted:
        return COMMON_TIMEZONES[:limit]
    common = [z for z in COMMON_TIMEZONES if wanted in z.casefold()]
    city_first = [z for z in _all_timezones() if z.split("/")[-1].casefold().startswith(wanted)]
    name_first = [z for z in _all_timezones() if z.casefold().startswith(wanted)]
    anywhere = [z for z in _all_timezones() if wanted in z.casefold()]
    return _first_unique((common, city_first, name_first, anywhere), limit)


def venues(
    catalogue: Mapping[str, Any], typed: str, limit: int = 25, *, generic: bool = False
) -> tuple[tuple[str, str], ...]:
    """(venue id, display name) pairs whose id or name matches what was typed, starts first.

    ``generic``: a name that is no venue of the catalogue is offered last as ``generic:<name>``
    (any other exchange ccxt reads, approximately); core refuses it at link if ccxt does not
    know it.
    """
    wanted = typed.strip().casefold()
    pairs = [(venue, str(getattr(info, "label", venue))) for venue, info in catalogue.items()]
    starts = [p for p in pairs if p[0].startswith(wanted) or p[1].casefold().startswith(wanted)]
    contains = [p for p in pairs if wanted in p[0] or wanted in p[1].casefold()]
    found = _first_unique((starts, contains), limit)
    ccxt_id = wanted.removeprefix("generic:")
    if generic and ccxt_id.isalnum() and not any(venue == wanted for venue, _ in found):
        offer = (f"generic:{ccxt_id}", fill(texts.VENUE_GENERIC, id=ccxt_id))
        found = (*found[: limit - 1], offer)
    return found


def venue_lists(
    catalogue: Mapping[str, Any], typed: str, limit: int = 25
) -> tuple[tuple[str, str], ...]:
    """Completions of a comma-separated venue list: what is typed so far, plus each venue
    matching its last item (and ``all`` while nothing is typed)."""
    head, _, last = typed.rpartition(",")
    done = [v.strip() for v in head.split(",") if v.strip()] if head else []
    prefix = ",".join(done)
    out: list[tuple[str, str]] = [] if done or last.strip() else [("all", "all")]
    for venue, label in venues(catalogue, last, limit):
        if venue in done:
            continue
        value = f"{prefix},{venue}" if prefix else venue
        out.append((value, f"{value} ({label})" if not prefix else value))
    return tuple(out[:limit])


def times(typed: str, limit: int = 25) -> tuple[str, ...]:
    """``HH:MM`` times for what was typed: on the hour and half hour, or the typed time itself
    when it is one."""
    wanted = typed.strip()
    every = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]
    if not wanted:
        preferred = ("08:00", "09:00", "12:00", "18:00", "20:00", "22:00", "00:00", "06:00")
        return _first_unique((preferred, every), limit)
    padded = "0" + wanted if len(wanted) == 1 or (wanted[1:2] == ":") else wanted
    exact = [padded] if len(padded) == 5 and padded[2] == ":" and padded[:2].isdigit() else []
    exact = [t for t in exact if int(t[:2]) < 24 and t[3:].isdigit() and int(t[3:]) < 60]
    return _first_unique((exact, [t for t in every if t.startswith(padded)]), limit)


def _first_unique(groups: Iterable[Iterable[Any]], limit: int) -> tuple[Any, ...]:
    seen: list[Any] = []
    for group in groups:
        for item in group:
            if item not in seen:
                seen.append(item)
            if len(seen) >= limit:
                return tuple(seen)
    return tuple(seen)
