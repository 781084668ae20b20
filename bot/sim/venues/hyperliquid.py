"""Hyperliquid info dialect: perpetual metadata and clearinghouseState by public address.

Replay: every read is ``POST /info``, told apart by the JSON body's ``type``, so recordings key
them ``"POST /info#<type>"`` (``"POST /info#clearinghouseState"``); a plain ``"POST /info"``
key still answers any type the recording does not qualify. A user's own state
(``USER_KINDS``) missing from a recording is an error naming its key; market data (``meta``,
``metaAndAssetCtxs``, ``spotMeta``, ...) falls through to this simulator's own answers.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from aiohttp import web

from . import HeldPosition, Holdings, SimAccount, SimVenue, register

# Info types that answer about one user's account: a recording must hold them (the rest is
# market data the simulator can supply).
USER_KINDS = frozenset(
    {
        "clearinghouseState",
        "spotClearinghouseState",
        "openOrders",
        "frontendOpenOrders",
        "userFills",
        "userFillsByTime",
        "userFunding",
        "historicalOrders",
        "orderStatus",
        "portfolio",
        "subAccounts",
        "userRateLimit",
    }
)

# coin -> (size decimals, max leverage); maintenance is half the initial margin at max leverage.
UNIVERSE: dict[str, tuple[int, int]] = {"BTC": (5, 40), "ETH": (4, 25), "SOL": (2, 20)}


def _s(value: float, decimals: int = 6) -> str:
    return f"{value:.{decimals}f}"


@register
class HyperliquidSim(SimVenue):
    venue = "hyperliquid"
    default_prices: ClassVar[dict[str, float]] = {
        "BTC/USDC:USDC": 60000.0,
        "ETH/USDC:USDC": 3000.0,
        "SOL/USDC:USDC": 150.0,
    }
    # Everything is public: accounts are read by address, without signatures.
    public_prefixes = ("/info",)
    credentials = frozenset({"address"})
    # Replay: the body field that tells /info requests apart (see the module docstring).
    body_discriminator: ClassVar[str] = "type"

    def is_public_kind(self, kind: str) -> bool:
        """Whether an info ``type`` missing from a recording may come from the simulator."""
        return kind not in USER_KINDS

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/info", self.info)

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        # Nothing to authenticate on /info; /exchange (signed actions) is not simulated.
        return web.Response(status=404)

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        if kind == "rate_limit":
            return self.with_retry_after(web.Response(status=429, text="null"), retry_after)
        if kind in ("server_error", "maintenance"):
            return web.Response(
                status=502 if kind == "server_error" else 503, text="Service Unavailable"
            )
        return web.Response(
            status=422, text="Failed to deserialize the JSON body into the target type"
        )

    # --- model --------------------------------------------------------------------------------

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())
        self._only("balances", holdings.balances, ("USDC",))
        rows = []
        for position in holdings.positions:
            self._market(position, {f"{coin}/USDC:USDC" for coin in UNIVERSE})
            row: dict[str, Any] = {
                "coin": position.symbol.split("/")[0],
                "szi": position.signed(),
                "entry": position.entry,
            }
            if position.leverage is not None:
                row["leverage"] = position.leverage
            if position.margin_mode == "isolated":
                row["type"] = "isolated"
            rows.append(row)
        return {"usdc": holdings.balances.get("USDC", 0.0), "positions": rows}

    def holdings(self, account: SimAccount) -> Holdings:
        positions = tuple(
            HeldPosition(
                symbol=f"{row['coin']}/USDC:USDC",
                side="long" if float(row["szi"]) >= 0 else "short",
                size=abs(float(row["szi"])),
                entry=float(row["entry"]),
                leverage=float(row["leverage"]) if "leverage" in row else None,
                margin_mode="isolated" if row.get("type") == "isolated" else "cross",
            )
            for row in account.state.get("positions", [])
        )
        usdc = float(account.state.get("usdc", 0.0))
        return Holdings({"USDC": usdc} if usdc else {}, {}, positions)

    def clearinghouse_state(self, address: str) -> dict[str, Any]:
        account = self.accounts.get(address.lower()) or self.accounts.get(address)
        state = account.state if account is not None else {}
        cash = float(state.get("usdc", 0.0))
        rows = []
        cross_upnl = cross_mm = cross_margin = cross_ntl = 0.0
        iso_value = iso_margin = iso_ntl = 0.0
        figures = []
        for spec in state.get("positions", []):
            coin = spec["coin"]
            _, max_leverage = UNIVERSE[coin]
            size = float(spec["szi"])
            entry = float(spec["entry"])
            mark = self.price(f"{coin}/USDC:USDC")
            leverage = float(spec.get("leverage", max_leverage))
            value = abs(size) * mark
            upnl = size * (mark - entry)
            margin = abs(size) * entry / leverage
            mm = value / (2 * max_leverage)
            isolated = spec.get("type") == "isolated"
            figures.append(
                (
                    spec,
                    coin,
                    size,
                    entry,
                    mark,
                    leverage,
                    value,
                    upnl,
                    margin,
                    mm,
                    isolated,
                    max_leverage,
                )
            )
            if isolated:
                iso_value += margin + upnl
                iso_margin += margin + upnl
                iso_ntl += value
            else:
                cross_upnl += upnl
                cross_mm += mm
                cross_margin += value / leverage
                cross_ntl += value
        cross_value = cash + cross_upnl
        for (
            _,
            coin,
            size,
            entry,
            mark,
            leverage,
            value,
            upnl,
            margin,
            mm,
            isolated,
            max_leverage,
        ) in figures:
            # Hyperliquid's published estimate (docs, "Liquidations"):
            # liq = price − side · margin_available / |size| / (1 − l · side), l = 1 / (2·maxLev)
            side = 1.0 if size > 0 else -1.0
            rate = 1.0 / (2 * max_leverage)
            if isolated:
                available = margin + upnl - mm
                margin_used = margin + upnl
            else:
                available = cross_value - cross_mm
                margin_used = value / leverage
            liq = mark - side * available / abs(size) / (1 - rate * side)
            rows.append(
                {
                    "type": "oneWay",
                    "position": {
                        "coin": coin,
                        "szi": _s(size, 5),
                        "entryPx": _s(entry, 2),
                        "positionValue": _s(value),
                        "unrealizedPnl": _s(upnl),
                        "returnOnEquity": _s(upnl / margin if margin else 0.0),
                        "liquidationPx": _s(liq, 2) if liq > 0 else None,
                        "leverage": {
                            "type": "isolated" if isolated else "cross",
                            "value": int(leverage),
                        },
                        "marginUsed": _s(margin_used),
                        "maxLeverage": max_leverage,
                        "cumFunding": {"allTime": "0.0", "sinceOpen": "0.0", "sinceChange": "0.0"},
                    },
                }
            )
        total_value = cross_value + iso_value

        def summary(account_value: float, margin_used: float, notional: float) -> dict[str, str]:
            return {
                "accountValue": _s(account_value),
                "totalMarginUsed": _s(margin_used),
                "totalNtlPos": _s(notional),
                "totalRawUsd": _s(account_value),
            }

        return {
            "marginSummary": summary(total_value, cross_margin + iso_margin, cross_ntl + iso_ntl),
            "crossMarginSummary": summary(cross_value, cross_margin, cross_ntl),
            "crossMaintenanceMarginUsed": _s(cross_mm),
            "withdrawable": _s(max(cross_value - cross_margin, 0.0)),
            "assetPositions": rows,
            "time": int(time.time() * 1000),
        }

    # --- handlers -----------------------------------------------------------------------------

    async def info(self, request: web.Request) -> web.Response:
        try:
            query = json.loads(await request.text())
        except ValueError:
            return self.error_response("auth", None)
        kind = query.get("type") if isinstance(query, dict) else None
        if kind == "metaAndAssetCtxs":
            universe = [
                {"name": coin, "szDecimals": decimals, "maxLeverage": lev}
                for coin, (decimals, lev) in UNIVERSE.items()
            ]
            contexts = [
                {
                    "markPx": _s(self.price(f"{coin}/USDC:USDC"), 2),
                    "funding": "0.0",
                    "openInterest": "1000.0",
                    "oraclePx": _s(self.price(f"{coin}/USDC:USDC"), 2),
                    "dayNtlVlm": "0.0",
                    "premium": "0.0",
                    "prevDayPx": "0.0",
                    "midPx": _s(self.price(f"{coin}/USDC:USDC"), 2),
                }
                for coin in UNIVERSE
            ]
            return web.json_response([{"universe": universe, "marginTables": []}, contexts])
        if kind == "spotMeta":
            return web.json_response({"universe": [], "tokens": []})
        if kind == "clearinghouseState":
            user = str(query.get("user") or "")
            if len(user) != 42 or not user.startswith("0x"):
                return self.error_response("auth", None)
            return web.json_response(self.clearinghouse_state(user))
        return web.Response(
            status=422, text="Failed to deserialize the JSON body into the target type"
        )
