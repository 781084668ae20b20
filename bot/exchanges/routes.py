"""Egress routes: the IP addresses requests leave from, each with its own per-IP budget.

A venue limits each IP (Binance: 2,400 weight a minute), so the documented way past one IP's
limit is more IPs. The operator lists egress proxies (``MARGINWATCH_EGRESS_PROXIES``); accounts
are spread over them by rendezvous hashing of the account, so an account keeps its route (and
its IP, which a key restricted to IPs needs) for as long as the list does not change, and a
proxy added or removed moves only its share of the accounts. The proxies are ccxt's own
per-instance settings (``http_proxy`` / ``socks_proxy``): no networking of our own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DIRECT = "direct"
PROXY_SCHEMES = ("http", "https", "socks4", "socks5", "socks5h")


@dataclass(frozen=True)
class Route:
    """One way out: ``proxy`` None is this machine's own address."""

    name: str  # "direct" or the proxy's host:port (never its credentials)
    proxy: str | None = None

    def apply(self, exchange: Any) -> None:
        """Send ``exchange``'s requests this way (ccxt's per-instance proxy settings)."""
        if self.proxy is None:
            return
        if self.proxy.startswith("socks"):
            exchange.socks_proxy = self.proxy  # needs aiohttp-socks, as ccxt says when missing
        else:
            exchange.http_proxy = self.proxy


def parse_routes(entries: Iterable[str]) -> tuple[Route, ...]:
    """Routes from proxy URLs (and the word ``direct`` for this machine's own address).

    Nothing listed means direct only. Raises ValueError naming a bad entry.
    """
    routes: list[Route] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        if entry.lower() == DIRECT:
            route = Route(DIRECT)
        else:
            parts = urlsplit(entry)
            if parts.scheme not in PROXY_SCHEMES or not parts.hostname or parts.port is None:
                raise ValueError(
                    f"egress proxy {_safe(entry)!r} is not scheme://host:port "
                    f"(scheme one of {', '.join(PROXY_SCHEMES)})"
                )
            route = Route(f"{parts.hostname}:{parts.port}", entry)
        if route.name in {r.name for r in routes}:
            raise ValueError(f"egress route {route.name!r} is listed twice")
        routes.append(route)
    return tuple(routes) or (Route(DIRECT),)


def _safe(entry: str) -> str:
    # A proxy URL may carry user:password; never echo it.
    parts = urlsplit(entry)
    if parts.password or parts.username:
        return entry.replace(parts.netloc, parts.netloc.rpartition("@")[2])
    return entry


def pick_route(routes: Sequence[Route], account_key: str) -> Route:
    """The account's route: the highest hash of (route, account) wins (rendezvous hashing)."""
    if len(routes) == 1:
        return routes[0]
    return max(
        routes,
        key=lambda route: hashlib.blake2b(
            f"{route.name}\0{account_key}".encode(), digest_size=8
        ).digest(),
    )
