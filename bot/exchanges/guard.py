"""The read-only guard: adapters see an exchange only through an allow-list of read methods.

Two locks, both checked before a request is built:

1. :class:`ReadOnlyClient` is the only object an adapter receives. Attribute access is limited to
   the venue's allow-listed read methods (unified, e.g. ``fetch_positions``, and implicit, e.g.
   ``private_post_tradebalance``) plus a few offline helpers (``markets``, ``market``...).
   Anything else (``create_order``, ``withdraw``, ``private_post_addorder``...) raises
   :class:`ReadOnlyViolation`.
2. :func:`install_request_guard` wraps the ccxt instance's ``fetch2`` so that every request the
   instance is about to sign, including the ones unified methods make internally, must match
   the venue's allow-list of ``(api, METHOD, path)`` endpoints. This catches a read method that
   a future ccxt version routes to a write endpoint, and any code that reaches past the wrapper.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ReadOnlyViolation

# Offline helpers an adapter may use: they never touch the network.
SAFE_ATTRIBUTES = frozenset(
    {
        "id",
        "markets",
        "markets_by_id",
        "symbols",
        "currencies",
        "options",
        "market",
        "safe_market",
        "safe_symbol",
        "safe_currency_code",
        "market_id",
        "has",
        "timeframes",
        "milliseconds",
        "iso8601",
        "parse8601",
        "amount_to_precision",
        "price_to_precision",
    }
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One request the guard lets through: ccxt api name, HTTP method, path as in ccxt's map."""

    api: str
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.api}:{self.path}"


def endpoints(*specs: str) -> frozenset[Endpoint]:
    """Build an endpoint set from ``"api METHOD path"`` strings (readable allow-lists)."""
    out = []
    for spec in specs:
        api, method, path = spec.split(" ", 2)
        out.append(Endpoint(api, method.upper(), path))
    return frozenset(out)


def _api_name(api: Any) -> str:
    # ccxt passes the api as a list (['fapiPrivate']) or a plain string ('private').
    if isinstance(api, list | tuple):
        return "/".join(str(part) for part in api)
    return str(api)


def install_request_guard(exchange: Any, allowed: Iterable[Endpoint]) -> None:
    """Make ``exchange`` refuse, before signing, any request not in ``allowed``."""
    allowed_set = frozenset(allowed)
    original: Callable[..., Awaitable[Any]] = exchange.fetch2

    async def guarded_fetch2(
        path: str, api: Any = "public", method: str = "GET", params: Any = None, config: Any = None
    ) -> Any:
        endpoint = Endpoint(_api_name(api), str(method).upper(), str(path))
        if endpoint not in allowed_set:
            raise ReadOnlyViolation(
                f"{exchange.id}: request {endpoint} is not on the read-only allow-list"
            )
        return await original(
            path,
            api,
            method,
            params if params is not None else {},
            config if config is not None else {},
        )

    exchange.fetch2 = guarded_fetch2
    exchange._marginwatch_guarded = True


class ReadOnlyClient:
    """A view of a ccxt exchange that exposes only the allow-listed read methods.

    ``before_call``, if given, is awaited before each network method.
    """

    __slots__ = ("__allowed", "__before_call", "__exchange")

    def __init__(
        self,
        exchange: Any,
        allowed_methods: Iterable[str],
        before_call: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.__exchange = exchange
        self.__allowed = frozenset(allowed_methods)
        self.__before_call = before_call

    @property
    def allowed_methods(self) -> frozenset[str]:
        return self.__allowed

    def __getattr__(self, name: str) -> Any:
        if name in SAFE_ATTRIBUTES:
            return getattr(self.__exchange, name)
        if name not in self.__allowed:
            raise ReadOnlyViolation(
                f"{self.__exchange.id}: {name!r} is not a read method on the allow-list"
            )
        method = getattr(self.__exchange, name)
        before_call = self.__before_call

        async def call(*args: Any, **kwargs: Any) -> Any:
            if before_call is not None:
                await before_call(name)
            return await method(*args, **kwargs)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_ReadOnlyClient__"):
            object.__setattr__(self, name, value)
            return
        raise ReadOnlyViolation(f"the read-only client cannot be changed ({name!r})")

    def __repr__(self) -> str:
        return f"ReadOnlyClient({self.__exchange.id}, {len(self.__allowed)} read methods)"
