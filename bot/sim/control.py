"""The simulator's control API, for a person with ``curl`` or a test: move the market, look.

- ``POST /_sim/prices`` with ``{"prices": {"BTC": 41000}}``: each asset's price in US dollars
  on every served venue (quote currencies converted, see :mod:`bot.sim.market`). Answers
  ``{"prices": {...}, "markets": {venue: {symbol: price}}}``: what was set and every market
  that moved.
- ``GET /_sim/state``: every account's balances, loans and positions (with each position's
  mark), every venue's prices, and the scenario's progress.

Bad input is a 400 whose ``error`` is one sentence, and changes nothing. These paths sit beside
the venues' own (``/<venue>/...``): no venue id starts with ``_``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .market import PriceError, parse_usd_prices

if TYPE_CHECKING:
    from .server import Simulator

log = logging.getLogger("marginwatch.sim")

PREFIX = "/_sim/"
ENDPOINTS = ("POST /_sim/prices", "GET /_sim/state")


def add_control_routes(app: web.Application, sim: Simulator) -> None:
    """Serve the control API of ``sim`` on ``app`` (register before the venues' catch-all)."""

    async def control(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        key = f"{request.method} {PREFIX}{name}"
        if key == "POST /_sim/prices":
            return await _set_prices(sim, request)
        if key == "GET /_sim/state":
            return web.json_response(state(sim))
        known = " or ".join(ENDPOINTS)
        if any(endpoint.endswith(f"{PREFIX}{name}") for endpoint in ENDPOINTS):
            return _error(405, f"{key} is not served: use {known}")
        return _error(404, f"the simulator has no control endpoint {key}: use {known}")

    app.router.add_route("*", PREFIX + "{name:.*}", control)


def _error(status: int, sentence: str) -> web.Response:
    return web.json_response({"error": sentence}, status=status)


async def _set_prices(sim: Simulator, request: web.Request) -> web.Response:
    text = await request.text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _error(400, f'the body is not JSON ({exc.msg}): send {{"prices": {{"BTC": 41000}}}}')
    try:
        usd = parse_usd_prices(data, sim.known_assets())
        markets = sim.set_usd_prices(usd)
    except PriceError as exc:
        return _error(400, str(exc))
    moved = sum(len(changed) for changed in markets.values())
    shown = ", ".join(f"{asset} {price:,.6g}" for asset, price in usd.items())
    log.info("prices set: %s (%d markets on %d venues)", shown, moved, len(markets))
    return web.json_response({"prices": usd, "markets": markets})


def state(sim: Simulator) -> dict[str, Any]:
    """What ``GET /_sim/state`` answers."""
    accounts = []
    for venue, plugin in sorted(sim.venues.items()):
        for account in plugin.accounts.values():
            held = plugin.holdings(account).to_json()
            for position in held["positions"]:
                symbol = position["symbol"]  # Binance futures price by the pair
                position["mark"] = plugin.prices.get(
                    symbol, plugin.prices.get(symbol.split(":")[0])
                )
            uses_address = "address" in plugin.credentials
            accounts.append(
                {
                    "venue": venue,
                    "label": sim.labels.get((venue, account.api_key), venue),
                    ("address" if uses_address else "key"): account.api_key,
                    **held,
                    "revoked": account.revoked,
                    "requests": account.requests,
                }
            )
    return {
        "accounts": accounts,
        "prices": {venue: dict(plugin.prices) for venue, plugin in sorted(sim.venues.items())},
        "steps": {"taken": sim.steps_taken, "total": len(sim.scenario.steps)},
    }
