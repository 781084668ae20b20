"""One hub per process: ccxt instances, shared markets/sessions, the request budget, locks."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import hashlib
import ssl
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import ccxt.async_support as ccxt_async
import certifi

from .backoff import Backoff
from .base import ReadContext, SharedVenueData, VenueAdapter
from .budget import Budget, BudgetStopped, Pace, Priority, ReadDeferred, VenueReport
from .errors import ExchangeReadError, classify
from .guard import ReadOnlyClient, install_request_guard
from .limits import VENUE_LIMITS, VenueLimits, generic_limits
from .metering import calling, install_meter
from .modes import LIVE, ExchangeMode
from .registry import adapter_for
from .routes import Route, parse_routes, pick_route
from .types import RIGHT_READ, AccountRead, Credentials, KeyCheck
from .urls import rewrite_api_urls


@dataclass
class _Account:
    exchange: Any
    token: str  # the digest naming the account (and its key) in the budget
    route: Route
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    backoff: Backoff = field(default_factory=lambda: Backoff(1.0, 300.0))


@dataclass
class _Venue:
    adapter: VenueAdapter
    session: aiohttp.ClientSession
    ssl_context: ssl.SSLContext
    master: Any
    backoff: Backoff  # market loading failures (the exchange down), not rate limits
    limits: VenueLimits
    base_path: str
    shared: SharedVenueData = field(default_factory=SharedVenueData)
    markets_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    accounts: OrderedDict[str, _Account] = field(default_factory=OrderedDict)


def _account_key(venue: str, creds: Credentials) -> str:
    # A digest, so the table of instances never holds a readable key; a changed secret is a
    # different account instance (the old one ages out).
    material = "\0".join(
        (venue, creds.api_key, creds.secret, creds.passphrase or "", creds.wallet_address or "")
    )
    return hashlib.sha256(material.encode()).hexdigest()


class ExchangeHub:
    """Reads accounts through ccxt, sharing everything that can be shared per exchange.

    ``base_urls`` maps a venue to a simulator base URL. Every request is charged to ``budget``
    (the venues' real limits, :mod:`bot.exchanges.budget`; a test running the simulator's
    limits faster passes ``Budget(speed=...)`` with the simulator's speed). ``proxies`` are
    egress proxy URLs (and ``"direct"``) over which accounts are spread, each its own IP.
    ``mode`` says which exchanges are read (:mod:`bot.exchanges.modes`: live, each venue's
    sandbox, or a simulator); ``base_urls`` win over it.
    """

    def __init__(
        self,
        *,
        base_urls: Mapping[str, str] | None = None,
        timeout_ms: int = 10000,
        budget: Budget | None = None,
        proxies: Sequence[str] = (),
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        max_accounts_per_venue: int = 20000,
        mode: ExchangeMode = LIVE,
    ) -> None:
        self.mode = mode
        self.base_urls = dict(base_urls or {})
        self.timeout_ms = timeout_ms
        self.budget = budget if budget is not None else Budget()
        self.routes = parse_routes(proxies)
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_accounts = max_accounts_per_venue
        self._venues: dict[str, _Venue] = {}
        self._venue_locks: dict[str, asyncio.Lock] = {}
        self._closed = False
        # One unguarded, credential-less ccxt instance per venue that account instances copy.
        self._templates: dict[str, Any] = {}

    # --- public interface -------------------------------------------------------------------

    async def read_account(
        self,
        venue: str,
        creds: Credentials,
        *,
        priority: Priority | None = None,
        defer: bool = False,
    ) -> AccountRead:
        """Read one account once; raises :class:`ExchangeReadError` (never leaks a secret).

        ``priority`` defaults to DANGER for an account the monitor last judged at margin call
        or worse, else ROUTINE; pass CONFIRM for an urgent confirming read, LINK when a person
        waits. ``defer`` (the monitor's scheduled reads): a routine read the venue's limits
        have no room for now raises :class:`ReadDeferred` before sending anything, instead of
        waiting. The read carries a :class:`Pace` the monitor plans the next read with.
        """
        token = _account_key(venue, creds)
        if priority is None:
            urgent = self.budget.is_urgent(token)
            priority = Priority.DANGER if urgent else Priority.ROUTINE
        with calling(priority, defer=defer) as tally:
            rt = await self._venue(venue)
            account = self._account(rt, venue, creds)
            self._check_backoff(rt, account)
            async with account.lock:  # one request at a time per key (Kraken nonces)
                self._check_backoff(rt, account)
                ctx = ReadContext(
                    venue=venue, shared=rt.shared, wallet_address=creds.wallet_address
                )
                client = ReadOnlyClient(account.exchange, rt.adapter.read_methods)
                try:
                    result = await rt.adapter.read(client, ctx)
                except Exception as exc:
                    raise self._failed(account, exc, creds) from None
                account.backoff.succeed()
                if rt.backoff.state is not None:
                    rt.backoff.succeed()
        self.budget.learn(venue, tally)
        return dataclasses.replace(result, pace=Pace(self.budget, venue, token, tally))

    async def check_key(self, venue: str, creds: Credentials) -> KeyCheck:
        """Ask the venue what the key may do (link time); raises :class:`ExchangeReadError`."""
        with calling(Priority.LINK):
            rt = await self._venue(venue)
            unchecked = self.mode.rights_unchecked(rt.adapter.info)
            if unchecked is not None:  # the sandbox has no rights endpoint: the read checks it
                return KeyCheck(True, False, frozenset({RIGHT_READ}), unchecked)
            account = self._account(rt, venue, creds)
            async with account.lock:
                ctx = ReadContext(
                    venue=venue, shared=rt.shared, wallet_address=creds.wallet_address
                )
                client = ReadOnlyClient(account.exchange, rt.adapter.read_methods)
                try:
                    return await rt.adapter.check_key(client, ctx)
                except Exception as exc:
                    raise self._failed(account, exc, creds) from None

    def unavailable(self, venue: str) -> str | None:
        """Why ``venue`` cannot be read in this hub's mode (a sentence), or None if it can."""
        if venue in self.base_urls:
            return None
        try:
            return self.mode.refusal(adapter_for(venue).info)
        except KeyError:
            return None  # an unknown venue: the caller's own refusal names it

    def forget(self, venue: str, creds: Credentials) -> None:
        """Drop the cached instance of an unlinked account (and its planned demand)."""
        token = _account_key(venue, creds)
        self.budget.forget(token)
        rt = self._venues.get(venue)
        if rt is not None:
            account = rt.accounts.pop(token, None)
            if account is not None:
                account.exchange.session = None

    def limits_report(self) -> dict[str, VenueReport]:
        """Each venue's standing against its limits: state, reason, demanded vs granted reads."""
        return self.budget.report()

    async def close(self) -> None:
        self._closed = True
        for rt in self._venues.values():
            for account in rt.accounts.values():
                account.exchange.session = None  # shared: closed below, once
            rt.accounts.clear()
            rt.master.session = None
            await rt.session.close()
        for template in self._templates.values():
            template.session = None  # the venue's shared session, closed above
        self._templates.clear()
        self._venues.clear()

    async def __aenter__(self) -> ExchangeHub:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- sharing ------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Account instances held per venue (for metrics and the memory bench)."""
        return {venue: len(rt.accounts) for venue, rt in self._venues.items()}

    def _new_instance(
        self,
        rt_adapter: VenueAdapter,
        venue: str,
        session: aiohttp.ClientSession,
        ssl_context: ssl.SSLContext,
        config: dict[str, Any],
        *,
        limits: VenueLimits | None = None,
        route: Route | None = None,
        token: str | None = None,
    ) -> Any:
        """A guarded ccxt instance: the venue's master (no ``config``) or one account's.

        An account's instance is a shallow copy of one unguarded template per venue, with its
        own options (deep-copied: ccxt caches per-account facts there), headers, credentials
        and request guard. Running ccxt's constructor per account deep-merged the whole
        ``describe()`` table: ~10 ms of CPU and up to ~240 KiB each, which at 10,000 accounts
        was most of the first poll interval and 1.8 GB (bench/monitor_capacity.py).
        """
        if not config:
            exchange = self._build_instance(rt_adapter, venue, session, ssl_context)
        else:
            template = self._templates.get(venue)
            if template is None or template.session is not session:
                template = self._build_instance(rt_adapter, venue, session, ssl_context)
                self._templates[venue] = template
            exchange = copy.copy(template)
            exchange.options = copy.deepcopy(template.options)
            exchange.headers = dict(template.headers or {})
            for name, value in config.items():
                setattr(exchange, name, value)
        route = route or self.routes[0]
        route.apply(exchange)
        # Both installed on each instance itself (a copied wrapper would call the template's
        # fetch2); the guard outermost, so a refused request is never charged to the budget.
        install_meter(
            exchange,
            self.budget,
            limits or self._limits(venue, rt_adapter),
            route=route.name,
            key=token,
            base_path=self._base_path(venue),
        )
        install_request_guard(exchange, rt_adapter.read_endpoints)
        return exchange

    def _base_path(self, venue: str) -> str:
        """The path prefix a simulator puts before the venue's own paths ("" for the venue)."""
        base = self.base_urls.get(venue) or self.mode.base_url(venue)
        return urlsplit(base).path.rstrip("/") if base else ""

    def _limits(self, venue: str, adapter: VenueAdapter) -> VenueLimits:
        table = VENUE_LIMITS.get(venue)
        if table is None:
            # ccxt's rateLimit lives in the exchange's description (the class holds a default).
            description = getattr(ccxt_async, adapter.info.ccxt_id)().describe()
            rate_limit = float(description.get("rateLimit") or 0)
            table = generic_limits(venue, str(description.get("name", venue)), rate_limit)
        return table

    def _build_instance(
        self,
        adapter: VenueAdapter,
        venue: str,
        session: aiohttp.ClientSession,
        ssl_context: ssl.SSLContext,
    ) -> Any:
        cls = getattr(ccxt_async, adapter.info.ccxt_id)
        options = {**getattr(cls, "options_defaults", {}), **dict(adapter.ccxt_options)}
        exchange = cls(
            {
                "session": session,
                "enableRateLimit": False,  # the hub's budget charges every request instead
                "timeout": self.timeout_ms,
                "options": options,
            }
        )
        exchange.ssl_context = ssl_context
        self.mode.prepare(exchange, adapter.info)
        base = self.base_urls.get(venue) or self.mode.base_url(venue)
        if base:
            exchange.urls["api"] = rewrite_api_urls(exchange.urls["api"], base)
        return exchange

    async def _venue(self, venue: str) -> _Venue:
        if self._closed:
            raise RuntimeError("the exchange hub is closed")
        rt = self._venues.get(venue)
        if rt is not None and rt.master.markets:
            return rt
        try:
            adapter = adapter_for(venue)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        refused = self.unavailable(venue)
        if refused is not None:
            raise ExchangeReadError(
                "exchange_down", refused, detail=f"not served in {self.mode.name} mode"
            )
        lock = self._venue_locks.setdefault(venue, asyncio.Lock())
        async with lock:
            rt = self._venues.get(venue)
            if rt is None:
                ssl_context = ssl.create_default_context(cafile=certifi.where())
                session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(ssl=ssl_context, enable_cleanup_closed=True)
                )
                limits = self._limits(venue, adapter)
                self.budget.register(limits)
                master = self._new_instance(
                    adapter,
                    venue,
                    session,
                    ssl_context,
                    {},
                    limits=limits,
                    route=self.routes[0],
                    token=None,
                )
                rt = _Venue(
                    adapter=adapter,
                    session=session,
                    ssl_context=ssl_context,
                    master=master,
                    backoff=Backoff(self._backoff_base, self._backoff_cap),
                    limits=limits,
                    base_path=self._base_path(venue),
                )
                self._venues[venue] = rt
            if not rt.master.markets:
                remaining = rt.backoff.remaining()
                if remaining > 0:
                    raise ExchangeReadError(
                        rt.backoff.state or "exchange_down",  # type: ignore[arg-type]
                        retry_after=remaining,
                    )
                try:
                    await rt.master.load_markets()
                except BudgetStopped:
                    raise
                except Exception as exc:
                    error = classify(exc)
                    if error.state == "auth_failed":  # public data cannot fail on a key
                        error = ExchangeReadError("exchange_down", detail=error.detail)
                    self._explain_refused_connection(error, exc)
                    rt.backoff.fail(error.state, error.retry_after)
                    raise error from None
        return rt

    def _account(self, rt: _Venue, venue: str, creds: Credentials) -> _Account:
        key = _account_key(venue, creds)
        account = rt.accounts.get(key)
        if account is not None:
            rt.accounts.move_to_end(key)
            return account
        config = rt.adapter.ccxt_credentials(creds)
        route = pick_route(self.routes, key)
        exchange = self._new_instance(
            rt.adapter,
            venue,
            rt.session,
            rt.ssl_context,
            config,
            limits=rt.limits,
            route=route,
            token=key,
        )
        exchange.set_markets_from_exchange(rt.master)
        rt.adapter.preseed(exchange, rt.shared)
        account = _Account(
            exchange=exchange,
            token=key,
            route=route,
            backoff=Backoff(self._backoff_base, self._backoff_cap),
        )
        rt.accounts[key] = account
        while len(rt.accounts) > self._max_accounts:
            _, evicted = rt.accounts.popitem(last=False)
            if not evicted.lock.locked():
                evicted.exchange.session = None
        return account

    # --- errors and back-off ------------------------------------------------------------------

    def _check_backoff(self, rt: _Venue, account: _Account) -> None:
        for backoff in (rt.backoff, account.backoff):
            remaining = backoff.remaining()
            if remaining > 0 and backoff.state is not None:
                raise ExchangeReadError(
                    backoff.state,  # type: ignore[arg-type]
                    retry_after=round(remaining * self.budget.speed, 3),
                    detail="backing off after an earlier failure",
                )

    def _explain_refused_connection(self, error: ExchangeReadError, exc: BaseException) -> None:
        """Nothing listening at all (no connection) says where to look, when the mode knows:
        a rehearsal whose simulator is not started must not read as "the exchange is down"."""
        cause = exc.__cause__ or exc.__context__ or exc
        if error.state == "exchange_down" and isinstance(cause, aiohttp.ClientConnectorError):
            error.user_message = self.mode.unreachable() or error.user_message

    def _failed(self, account: _Account, exc: Exception, creds: Credentials) -> ExchangeReadError:
        if isinstance(exc, BudgetStopped | ReadDeferred):
            return exc  # nothing was sent: the budget holds the limited scope back itself
        error = classify(exc, creds.api_key, creds.secret, creds.passphrase)
        self._explain_refused_connection(error, exc)
        if error.retry_after is None and error.state in ("rate_limited", "exchange_down"):
            headers = getattr(account.exchange, "last_response_headers", None) or {}
            value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
            if value is not None:
                with contextlib.suppress(ValueError):
                    error.retry_after = float(value)
        if error.state == "exchange_down":
            # Retry-After is in the venue's seconds, the back-off in real ones. (A "limited"
            # answer needs none: it stopped its scope in the budget, the IP or this key only.)
            speed = self.budget.speed
            given = None if error.retry_after is None else error.retry_after / speed
            delay = account.backoff.fail(error.state, given)
            if error.retry_after is None:
                error.retry_after = delay * speed
        return error
