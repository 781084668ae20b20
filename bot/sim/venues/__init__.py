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
- Accounts files (``marginwatch sim --accounts``, :mod:`bot.sim.accounts`) describe holdings in
  one venue-neutral form (:class:`Holdings`); ``seed_state(holdings)`` turns them into this
  plug-in's ``account.state`` (a ``ValueError`` sentence for what the venue cannot hold) and
  ``holdings(account)`` reads any account's state back in that form (``GET /_sim/state``).
  ``credentials`` says what its accounts need besides a key (secret, passphrase, address).
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
from typing import Any, ClassVar, Literal

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


@dataclass(frozen=True)
class HeldPosition:
    """One position as an accounts file gives it: ``size`` in the venue's own unit (base
    currency, or contracts where the venue counts contracts: OKX, Binance COIN-M, Bybit
    inverse), always positive; ``side`` says the direction."""

    symbol: str
    side: Literal["long", "short"]
    size: float
    entry: float
    leverage: float | None = None
    margin_mode: Literal["cross", "isolated"] | None = None

    def signed(self) -> float:
        return self.size if self.side == "long" else -self.size

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "side": self.side,
            "size": self.size,
            "entry": self.entry,
        }
        if self.leverage is not None:
            out["leverage"] = self.leverage
        if self.margin_mode is not None:
            out["margin_mode"] = self.margin_mode
        return out


@dataclass(frozen=True)
class Holdings:
    """What an account holds, in no venue's dialect: assets, loans and positions."""

    balances: dict[str, float] = field(default_factory=dict)
    borrowed: dict[str, float] = field(default_factory=dict)
    positions: tuple[HeldPosition, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "balances": dict(self.balances),
            "borrowed": dict(self.borrowed),
            "positions": [p.to_json() for p in self.positions],
        }


Credential = Literal["secret", "secret_base64", "passphrase", "address"]


class SimVenue:
    """Base of the venue plug-ins: accounts, prices and the private-route wrapper."""

    venue: ClassVar[str]
    default_prices: ClassVar[dict[str, float]] = {}
    public_prefixes: ClassVar[tuple[str, ...]] = ()
    # The JSON body field that distinguishes requests sharing one path (None: the path does).
    body_discriminator: ClassVar[str | None] = None
    # What an account of this venue is opened with besides its key ("address": instead of it).
    credentials: ClassVar[frozenset[Credential]] = frozenset({"secret"})

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

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        """``account.state`` holding ``holdings``; ValueError with a sentence if it cannot."""
        raise ValueError(f"the {self.venue} simulator cannot be seeded from an accounts file")

    def holdings(self, account: SimAccount) -> Holdings:
        """``account``'s state read back as :class:`Holdings` (for ``GET /_sim/state``)."""
        return Holdings()

    # helpers for seed_state -------------------------------------------------------------------

    def _market(self, position: HeldPosition, markets: Any) -> None:
        """Refuse a position on a market this plug-in does not list."""
        if position.symbol not in markets:
            listed = ", ".join(sorted(markets))
            raise ValueError(
                f"{self.venue} has no market {position.symbol!r} here (markets: {listed})"
            )

    def _only(self, what: str, given: Any, allowed: Any) -> None:
        """Refuse any ``given`` asset outside ``allowed`` (``what`` names the field)."""
        wrong = sorted(set(given) - set(allowed))
        if wrong:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ValueError(f"{self.venue} {what} cannot hold {wrong[0]} here ({what}: {listed})")

    def _cross_only(self, positions: tuple[HeldPosition, ...]) -> None:
        for position in positions:
            if position.margin_mode == "isolated":
                raise ValueError(
                    f"{self.venue}: the simulator models cross margin only "
                    f"({position.symbol} is isolated)"
                )

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
