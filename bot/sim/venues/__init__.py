"""Venue dialect plug-ins for the simulator: one module per venue, discovered by name.

Plug-in contract (``bot/sim/venues/<venue>.py``)::

    from aiohttp import web
    from bot.sim.venues import SimVenue, SimAccount, register

    @register
    class MyVenue(SimVenue):
        venue = "myvenue"                        # = the exchanges/risk venue id
        default_prices = {"BTC/USDT": 60000.0}   # unified symbols -> price
        public_prefixes = ("/api/v3/",)          # paths answered without authentication

        def setup_routes(self, router: web.UrlDispatcher) -> None:
            router.add_get("/api/v3/exchangeInfo", self.exchange_info)
            router.add_get("/api/v3/account", self.private(self.account))

        def authenticate(self, request, body) -> SimAccount | web.Response: ...
        def error_response(self, kind: str, retry_after: float | None) -> web.Response: ...

- Routes are relative to the venue's prefix (``Simulator.base_url(venue)``), i.e. exactly the
  paths the real venue uses, so ccxt needs only its ``urls['api']`` host rewritten.
- ``self.private(handler)`` wraps a handler: it runs :meth:`SimVenue.authenticate` (real
  signature, nonce/timestamp and key checks with the venue's real error bodies), refuses
  revoked keys, then calls ``handler(request, account, params)``.
- ``add_account(api_key, secret, passphrase, **state)`` stores a :class:`SimAccount`; the
  plug-in reads what it needs from ``account.state`` (balances, positions...). Prices live in
  ``self.prices`` (unified symbol -> float) and move through ``Simulator.set_price``/``step``.
- ``error_response(kind, retry_after)`` renders the venue's own body for the injectable faults
  (``rate_limit``, ``server_error``, ``maintenance``, ``revoked_key``, ``auth``,
  ``permission``); ``timeout`` and ``malformed_json`` are handled by the core.
  ``self.with_retry_after(response, retry_after)`` adds the header a ``rate_limit`` asks for.
- Replay: when a recording is loaded, the core answers ``"METHOD /path"`` keys from it before
  the plug-in sees the request; :meth:`SimVenue.is_public` decides whether a path missing from
  the recording falls through to the plug-in (public) or is an error naming it (private).
  A venue whose reads share one path (Hyperliquid: ``POST /info``) sets
  ``body_discriminator`` to the JSON body field that tells them apart; its recordings may then
  key ``"METHOD /path#VALUE"``, and :meth:`SimVenue.is_public_kind` says which values must be
  recorded.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

Handler = Callable[[web.Request, "SimAccount", dict[str, str]], Awaitable[web.StreamResponse]]

FAULT_KINDS = (
    "rate_limit",
    "timeout",
    "server_error",
    "maintenance",
    "revoked_key",
    "malformed_json",
    "auth",
    "permission",
)


@dataclass
class SimAccount:
    """A simulated account: its key, secret and whatever state the venue model needs."""

    api_key: str
    secret: str
    passphrase: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False
    last_nonce: int = 0
    requests: int = 0


class SimVenue:
    """Base of the venue plug-ins: accounts, prices and the private-route wrapper."""

    venue: ClassVar[str]
    default_prices: ClassVar[dict[str, float]] = {}
    public_prefixes: ClassVar[tuple[str, ...]] = ()
    # The JSON body field that distinguishes requests sharing one path (None: the path does).
    body_discriminator: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.prices: dict[str, float] = dict(self.default_prices)
        self.accounts: dict[str, SimAccount] = {}

    # --- what plug-ins implement ------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        raise NotImplementedError

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        raise NotImplementedError

    def params_of(self, request: web.Request, body: str) -> dict[str, str]:
        """The request's parameters (query and form body) as one dict."""
        params = dict(request.query)
        if body and "=" in body and not body.lstrip().startswith("{"):
            from urllib.parse import parse_qsl

            params.update(parse_qsl(body, keep_blank_values=True))
        return params

    # --- shared machinery -------------------------------------------------------------------

    def add_account(
        self, api_key: str, secret: str, passphrase: str | None = None, **state: Any
    ) -> SimAccount:
        account = SimAccount(
            api_key=api_key, secret=secret, passphrase=passphrase, state=dict(state)
        )
        self.accounts[api_key] = account
        return account

    def is_public(self, method: str, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.public_prefixes)

    def is_public_kind(self, kind: str) -> bool:
        """Whether a request whose body discriminator is ``kind`` reads public data."""
        return True

    def private(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            outcome = self.authenticate(request, body)
            if isinstance(outcome, web.Response):
                return outcome
            if outcome.revoked:
                return self.error_response("revoked_key", None)
            outcome.requests += 1
            return await handler(request, outcome, self.params_of(request, body))

        return wrapped

    @staticmethod
    def with_retry_after(response: web.Response, retry_after: float | None) -> web.Response:
        """``response`` (the venue's rate-limit body) with the Retry-After the fault set, if any."""
        if retry_after is not None:
            response.headers["Retry-After"] = f"{retry_after:g}"
        return response

    def price(self, symbol: str) -> float:
        try:
            return self.prices[symbol]
        except KeyError:
            raise KeyError(f"{self.venue} simulator has no price for {symbol!r}") from None


_PLUGINS: dict[str, type[SimVenue]] = {}


def register(cls: type[SimVenue]) -> type[SimVenue]:
    _PLUGINS[cls.venue] = cls
    return cls


def plugins() -> dict[str, type[SimVenue]]:
    """Every venue plug-in in this package, imported on first use."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(_PLUGINS)
