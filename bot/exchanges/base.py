"""The adapter contract every venue implements, and the helpers that keep snapshots honest.

How to add a venue (``bot/exchanges/<venue>.py``)::

    @register
    class MyVenue(VenueAdapter):
        info = VenueInfo(venue="myvenue", ccxt_id="myvenue", label="My Venue")
        read_methods = frozenset({"fetch_balance", "private_get_account_risk"})
        read_endpoints = endpoints("public GET markets", "private GET account/risk")
        async def read(self, client, ctx) -> AccountRead: ...
        async def check_key(self, client, ctx) -> KeyCheck: ...

- ``read_methods``: the ccxt method names (unified and implicit, snake_case) the adapter calls
  on the :class:`~bot.exchanges.guard.ReadOnlyClient` it receives; anything else raises.
- ``read_endpoints``: every ``(api, METHOD, path)`` those methods send, *including* the public
  market-loading calls; the guard refuses any other request before signing it. A refusal names
  the endpoint, so run the adapter once against the simulator and add what it names.
- ``read`` returns an :class:`AccountRead` built with :func:`finish` (which runs
  ``risk.validate``); ``check_key`` returns a :class:`KeyCheck`. Raise
  :func:`~bot.exchanges.errors.bad_response` for nonsense; let ccxt errors propagate: the hub
  maps them in one place.
- ``ctx.shared.cached(name, ttl, loader)`` shares one result per exchange (tickers, leverage
  brackets) between all accounts: concurrent callers await the same request.
- Add the module name to ``VENUE_MODULES`` in ``registry.py`` (already listed for the planned
  venues) so the registry imports it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import risk
import risk.model as rm

from . import texts
from .errors import ExchangeReadError, bad_response
from .guard import Endpoint, ReadOnlyClient
from .types import AccountRead, Credentials, KeyCheck, VenueInfo


class SharedVenueData:
    """Per-exchange results shared by every account (prices, brackets), each with its own TTL."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, Any]] = {}
        self._pending: dict[str, asyncio.Future[Any]] = {}

    def peek(self, name: str) -> Any:
        entry = self._values.get(name)
        return None if entry is None else entry[1]

    def put(self, name: str, value: Any) -> None:
        self._values[name] = (time.monotonic(), value)

    async def cached(self, name: str, ttl: float, loader: Callable[[], Awaitable[Any]]) -> Any:
        entry = self._values.get(name)
        if entry is not None and time.monotonic() - entry[0] < ttl:
            return entry[1]
        pending = self._pending.get(name)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except Exception:
                # The first caller's failure may be about its own key (auth, permission):
                # never hand it to another account; load with this caller's own client.
                return await loader()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[name] = future
        try:
            value = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            self.put(name, value)
            future.set_result(value)
            return value
        finally:
            del self._pending[name]


@dataclass
class ReadContext:
    """What an adapter gets besides the client: the exchange-wide cache and which parts of the
    credentials exist (never the secret itself)."""

    venue: str
    shared: SharedVenueData
    wallet_address: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class VenueAdapter:
    """Base class of the venue adapters: see the module docstring for the contract."""

    info: ClassVar[VenueInfo]
    read_methods: ClassVar[frozenset[str]] = frozenset()
    read_endpoints: ClassVar[frozenset[Endpoint]] = frozenset()
    # ccxt options set on every instance of this venue (master and accounts).
    ccxt_options: ClassVar[Mapping[str, Any]] = {}

    def ccxt_credentials(self, creds: Credentials) -> dict[str, Any]:
        """The ccxt constructor fields for ``creds``; raises when a required part is missing."""
        info = self.info
        if info.needs_wallet_address:
            if not creds.wallet_address:
                raise ExchangeReadError(
                    "auth_failed", texts.NEEDS_WALLET_ADDRESS.format(venue=info.label)
                )
            config: dict[str, Any] = {"walletAddress": creds.wallet_address}
            if creds.api_key:
                config["apiKey"] = creds.api_key
            if creds.secret:
                config["secret"] = creds.secret
            return config
        if not creds.api_key or (info.needs_secret and not creds.secret):
            raise ExchangeReadError(
                "auth_failed", texts.NEEDS_KEY_AND_SECRET.format(venue=info.label)
            )
        if info.needs_passphrase and not creds.passphrase:
            raise ExchangeReadError("auth_failed", texts.NEEDS_PASSPHRASE.format(venue=info.label))
        config = {"apiKey": creds.api_key, "secret": creds.secret}
        if creds.passphrase:
            config["password"] = creds.passphrase
        return config

    def preseed(self, exchange: Any, shared: SharedVenueData) -> None:
        """Copy exchange-wide probe results into a fresh account instance (default: nothing)."""

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        raise NotImplementedError

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        raise NotImplementedError


# --- helpers for building snapshots from raw venue text -------------------------------------


def num(value: Any, what: str) -> float:
    """``value`` (a venue string or number) as a finite float, or a ``bad_response`` naming it."""
    if value is None or value == "":
        raise bad_response(f"{what} is missing")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad_response(f"{what} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise bad_response(f"{what} is not finite: {value!r}")
    return number


def opt_num(value: Any, what: str) -> float | None:
    """Like :func:`num` but ``None``/empty stays ``None``."""
    if value is None or value == "":
        return None
    return num(value, what)


def positive(value: Any, what: str) -> float:
    number = num(value, what)
    if number <= 0:
        raise bad_response(f"{what} must be positive, got {number}")
    return number


def reported(**figures: float | None) -> Mapping[str, float | None]:
    """A ``reported`` mapping without the figures the venue did not give."""
    return {name: value for name, value in figures.items() if value is not None}


def validate_snapshot(snapshot: rm.AccountSnapshot) -> None:
    """Run the risk contract's validation; any complaint becomes a ``bad_response``."""
    try:
        risk.validate(snapshot)
    except ValueError as exc:  # risk.SnapshotError is one; so is a nonsense number it trips on
        raise bad_response(f"snapshot does not validate: {exc}") from None


def finish(
    snapshot: rm.AccountSnapshot,
    notes: tuple[str, ...] | list[str] = (),
    *,
    approximate: bool = False,
    pools: tuple[rm.AccountSnapshot, ...] = (),
) -> AccountRead:
    """Validate ``snapshot`` (and every pool) and wrap it; the only way an adapter should
    return a read. ``pools``: every pool of an account kept in several, ``snapshot`` the
    riskiest of them (see ``AccountRead.pools``)."""
    for each in pools or (snapshot,):
        validate_snapshot(each)
    if pools and snapshot not in pools:
        raise ValueError("the read's snapshot must be one of its pools")
    return AccountRead(
        snapshot=snapshot, notes=tuple(notes), approximate=approximate, pools=tuple(pools)
    )
