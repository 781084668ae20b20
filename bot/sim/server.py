"""The simulator's HTTP server: one aiohttp app on 127.0.0.1, one path prefix per venue.

Every request passes, in order: latency, the venue's request limits (``bot/sim/limits.py``, on
unless ``limits=False``), injected faults, the replay recording (if any), then the venue
plug-in's own routes. The request log (``Simulator.requests``) lets tests prove what
was asked and from where.

Recording keys are ``"METHOD /path"``. A venue whose reads share one path and differ only by a
JSON body field (Hyperliquid: every read is ``POST /info``, told apart by ``"type"``) declares
that field as ``body_discriminator`` on its plug-in; its recordings may then also use the
body-qualified form ``"METHOD /path#VALUE"`` (``"POST /info#clearinghouseState"``), looked up
first when the request body's field is VALUE, falling back to the plain key. ``#`` never
occurs in a request path (it starts a URL fragment), so the two forms cannot clash. Such a
plug-in may also define ``is_public_kind(value) -> bool``: a private kind missing from the
recording is an error naming its qualified key; a public one falls through to the plug-in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from .limits import SimLimits
from .scenario import Scenario
from .venues import FAULT_KINDS, SimVenue, plugins


@dataclass
class _Fault:
    kind: str
    count: int
    retry_after: float | None
    public: bool


@dataclass(frozen=True)
class SeenRequest:
    venue: str
    method: str
    path: str
    remote: str | None


class Simulator:
    """A local exchange simulator speaking each venue's REST dialect for the real ccxt client."""

    def __init__(
        self,
        scenario: Scenario | Mapping[str, Any] | str | Path | None = None,
        *,
        latency: float = 0.0,
        timeout_fault_seconds: float = 30.0,
        limits: bool = True,
        limits_speed: float = 1.0,
    ) -> None:
        if scenario is None:
            scenario = Scenario()
        elif isinstance(scenario, str | Path):
            scenario = Scenario.from_file(scenario)
        elif not isinstance(scenario, Scenario):
            scenario = Scenario.from_dict(scenario)
        self.scenario = scenario
        self.latency = latency or scenario.latency
        self.timeout_fault_seconds = timeout_fault_seconds
        # The venues' real limits, windows ``limits_speed`` times shorter (the hub's budget must
        # run at the same speed).
        self.limits = SimLimits(speed=limits_speed, enabled=limits)
        self.venues: dict[str, SimVenue] = {}
        self.requests: list[SeenRequest] = []
        self.missing: list[str] = []  # replay: private endpoints the recording lacked
        self._routers: dict[str, web.UrlDispatcher] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._recordings: dict[str, dict[str, Any]] = {}
        self._rewrites: dict[str, dict[str, Callable[[Any], Any]]] = {}
        self._step = 0
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        # Who each account is, for people: (venue, api key) -> label (`marginwatch sim`).
        self.labels: dict[tuple[str, str], str] = {}
        available = plugins()
        for venue, spec in scenario.venues.items():
            if venue not in available:
                known = ", ".join(sorted(available))
                raise ValueError(f"the simulator has no venue {venue!r} (known: {known})")
            plugin = self._venue(venue)
            plugin.prices.update({k: float(v) for k, v in spec.get("prices", {}).items()})
            for account in spec.get("accounts", []):
                state = dict(account)
                self.add_account(
                    venue,
                    api_key=state.pop("api_key"),
                    secret=state.pop("secret", ""),
                    passphrase=state.pop("passphrase", None),
                    **state,
                )

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0: any free port, see :attr:`port`)."""
        from .control import add_control_routes  # the /_sim/ API: its own module

        app = web.Application()
        add_control_routes(app, self)  # before the venues' catch-all route
        app.router.add_route("*", "/{venue}/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        self._host = host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """Where the simulator listens: ``http://HOST:PORT`` (each venue under ``/<venue>``)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        # A wildcard address is not one a client can dial: name the loopback instead.
        if self._host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    def base_url(self, venue: str) -> str:
        self._venue(venue)
        return f"{self.url}/{venue}"

    @property
    def base_urls(self) -> dict[str, str]:
        return {venue: self.base_url(venue) for venue in plugins()}

    # --- state --------------------------------------------------------------------------------

    def _venue(self, venue: str) -> SimVenue:
        plugin = self.venues.get(venue)
        if plugin is None:
            available = plugins()
            if venue not in available:
                known = ", ".join(sorted(available))
                raise ValueError(f"the simulator has no venue {venue!r} (known: {known})")
            plugin = available[venue]()
            router = web.UrlDispatcher()
            plugin.setup_routes(router)
            self.venues[venue] = plugin
            self._routers[venue] = router
        return plugin

    def venue(self, venue: str) -> SimVenue:
        """The plug-in instance of ``venue`` (its accounts and prices)."""
        return self._venue(venue)

    def serve_all(self) -> None:
        """Serve every venue plug-in, not only those a scenario names (``marginwatch sim``)."""
        for venue in sorted(plugins()):
            self._venue(venue)

    def add_account(
        self,
        venue: str,
        *,
        api_key: str,
        secret: str,
        passphrase: str | None = None,
        **account_state: Any,
    ) -> None:
        self._venue(venue).add_account(api_key, secret, passphrase, **account_state)

    def set_price(self, venue: str, symbol: str, price: float) -> None:
        if not price > 0:
            raise ValueError(f"price for {symbol} must be positive, got {price}")
        self._venue(venue).prices[symbol] = float(price)

    def set_usd_prices(self, usd: Mapping[str, float]) -> dict[str, dict[str, float]]:
        """Set each asset's price in dollars on every served venue (quotes converted: see
        :mod:`bot.sim.market`); returns the markets that changed, by venue."""
        from .market import PriceError, bases, repriced

        changes = {venue: repriced(plugin.prices, usd) for venue, plugin in self.venues.items()}
        for asset in usd:
            if not any(asset in bases(plugin.prices) for plugin in self.venues.values()):
                raise PriceError(f"no simulated market trades {asset}")
        for venue, changed in changes.items():
            self.venues[venue].prices.update(changed)
        return {venue: changed for venue, changed in changes.items() if changed}

    def known_assets(self) -> set[str]:
        """Every base asset of every served venue's markets (what a USD price may be set for)."""
        from .market import bases

        return {asset for plugin in self.venues.values() for asset in bases(plugin.prices)}

    def move_prices(self, factor: float, venue: str | None = None) -> None:
        """Multiply every price (of one venue, or all) by ``factor``."""
        if not factor > 0:
            raise ValueError(f"price factor must be positive, got {factor}")
        targets = [self._venue(venue)] if venue else list(self.venues.values())
        for plugin in targets:
            for symbol in plugin.prices:
                plugin.prices[symbol] *= factor

    def step(self) -> None:
        """Apply the scenario's next price move; past the last step prices stay where they are."""
        if self._step >= len(self.scenario.steps):
            return
        move = self.scenario.steps[self._step]
        self._step += 1
        if "factor" in move:
            self.move_prices(float(move["factor"]), move.get("venue"))
        if "usd" in move:  # a scenario file's dollar prices (bot/sim/scenario_file.py)
            self.set_usd_prices(move["usd"])
        for venue, prices in move.get("prices", {}).items():
            for symbol, price in prices.items():
                self.set_price(venue, symbol, float(price))

    @property
    def steps_taken(self) -> int:
        return self._step

    def inject_fault(
        self,
        venue: str,
        kind: str,
        *,
        count: int = 1,
        retry_after: float | None = None,
        public: bool = False,
    ) -> None:
        """Answer the next ``count`` private requests (``public=True``: any request) of
        ``venue`` with fault ``kind``: one of ``FAULT_KINDS``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        self._venue(venue)
        self._faults.setdefault(venue, []).append(_Fault(kind, count, retry_after, public))

    def clear_faults(self, venue: str | None = None) -> None:
        if venue is None:
            self._faults.clear()
        else:
            self._faults.pop(venue, None)

    def revoke_key(self, venue: str, api_key: str) -> None:
        account = self._venue(venue).accounts.get(api_key)
        if account is None:
            raise KeyError(f"{venue} simulator has no account with that key")
        account.revoked = True

    def load_recording(self, venue: str, recording: Mapping[str, Any]) -> None:
        """Serve ``{"METHOD /path": body}`` for ``venue`` before the plug-in's own routes
        (also ``"METHOD /path#VALUE"`` when the venue has a body discriminator: see above)."""
        plugin = self._venue(venue)
        field = _body_discriminator(plugin)
        for key in recording:
            method, _, target = key.partition(" ")
            path, hashed, kind = target.partition("#")
            if not path.startswith("/") or method.upper() != method or "?" in path:
                raise ValueError(f"recording key {key!r} is not 'METHOD /path' (no query)")
            if hashed and field is None:
                raise ValueError(
                    f"recording key {key!r} names a body kind after '#', but "
                    f"{venue} requests are told apart by path alone: use "
                    "'METHOD /path'"
                )
            if hashed and not kind:
                raise ValueError(
                    f"recording key {key!r} has nothing after '#' (expected "
                    f"'METHOD /path#<{field}>')"
                )
        self._recordings[venue] = dict(recording)

    def rewrite(self, venue: str, key: str, change: Callable[[Any], Any] | None) -> None:
        """Pass the JSON body the plug-in answers to ``key`` (``"METHOD /path"``) through
        ``change`` before it is sent (``None`` stops): a venue answering with a missing field,
        a NaN or an empty value, in its own dialect, for the reliability tests."""
        self._venue(venue)
        if change is None:
            self._rewrites.get(venue, {}).pop(key, None)
        else:
            self._rewrites.setdefault(venue, {})[key] = change

    # --- request handling ---------------------------------------------------------------------

    def _take_fault(self, venue: str, public: bool) -> _Fault | None:
        queue = self._faults.get(venue)
        while queue:
            fault = queue[0]
            if public and not fault.public:
                return None
            fault.count -= 1
            if fault.count <= 0:
                queue.pop(0)
            return fault
        return None

    async def _fault_response(self, plugin: SimVenue, fault: _Fault) -> web.StreamResponse:
        if fault.kind == "timeout":
            await asyncio.sleep(self.timeout_fault_seconds)
            return web.json_response({})
        if fault.kind == "malformed_json":
            return web.Response(text='{"result": {"e": "1', content_type="application/json")
        return plugin.error_response(fault.kind, fault.retry_after)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        venue = request.match_info["venue"]
        plugin = self.venues.get(venue)
        if plugin is None:
            return web.json_response({"error": f"no simulated venue {venue!r}"}, status=404)
        path = "/" + request.match_info["tail"]
        self.requests.append(SeenRequest(venue, request.method, path, request.remote))
        if self.latency:
            await asyncio.sleep(self.latency)
        query = request.rel_url.raw_query_string
        # The body is read through ``inner`` (clones share the stream, not what was read), so
        # the plug-in can still read it after the limits or the recording looked at it.
        inner = request.clone(rel_url=URL(path + ("?" + query if query else ""), encoded=True))
        refused, admitted = await self.limits.admit(venue, plugin, inner, path)
        if refused is not None:
            return refused
        response = await self._answer(venue, plugin, request, inner, path)
        self.limits.stamp(admitted, response)
        return response

    async def _answer(
        self, venue: str, plugin: SimVenue, request: web.Request, inner: web.Request, path: str
    ) -> web.StreamResponse:
        public = plugin.is_public(request.method, path)
        fault = self._take_fault(venue, public)
        if fault is not None:
            return await self._fault_response(plugin, fault)
        recording = self._recordings.get(venue)
        key = f"{request.method} {path}"
        if recording is not None:
            kind = await _body_kind(plugin, inner)
            if kind is not None:
                qualified = f"{key}#{kind}"
                if qualified in recording:
                    return web.Response(
                        text=json.dumps(recording[qualified]), content_type="application/json"
                    )
                if key not in recording and not plugin.is_public_kind(kind):
                    # Name the qualified key: the plain one would also answer market loading.
                    public, key = False, qualified
            if key in recording:
                return web.Response(
                    text=json.dumps(recording[key]), content_type="application/json"
                )
            if not public:
                self.missing.append(key)
                return web.json_response(
                    {
                        "error": [f"EReplay:recording has no response for '{key}'"],
                        "code": -9999,
                        "msg": f"recording has no response for '{key}'",
                    },
                    status=404,
                )
        match = await self._routers[venue].resolve(inner)
        if match.http_exception is not None:
            return web.json_response(
                {"error": f"{venue} simulator: no route {key}"}, status=match.http_exception.status
            )
        response = await match.handler(inner)
        change = self._rewrites.get(venue, {}).get(key)
        if change is not None and isinstance(response, web.Response) and response.text:
            return web.Response(
                text=json.dumps(change(json.loads(response.text))),
                status=response.status,
                content_type="application/json",
            )
        return response


def _body_discriminator(plugin: SimVenue) -> str | None:
    """The JSON body field that tells ``plugin``'s requests apart, if its paths alone do not."""
    return plugin.body_discriminator or None


async def _body_kind(plugin: SimVenue, request: web.Request) -> str | None:
    """The request body's discriminator value (``"clearinghouseState"``), or None."""
    field = _body_discriminator(plugin)
    if field is None or not request.body_exists:
        return None
    try:
        body = json.loads(await request.text())
    except ValueError:
        return None
    kind = body.get(field) if isinstance(body, dict) else None
    return kind if isinstance(kind, str) and kind else None
