"""Binance dialects: spot cross margin (sapi), USDⓈ-M (fapi) and COIN-M (dapi) futures.

Signed requests are checked as Binance does: ``X-MBX-APIKEY`` names the key, ``signature`` is
the hex HMAC-SHA256 of the query string (plus body) with the secret, and ``timestamp`` must be
within ``recvWindow`` of the server clock. Errors use Binance's real codes and texts.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, ClassVar

from aiohttp import web

from . import HeldPosition, Holdings, SimAccount, SimVenue, register

RECV_WINDOW_MAX_MS = 60000

# Spot markets: unified symbol -> (id, base, quote)
SPOT = {
    "BTC/USDT": ("BTCUSDT", "BTC", "USDT"),
    "ETH/USDT": ("ETHUSDT", "ETH", "USDT"),
    "BNB/USDT": ("BNBUSDT", "BNB", "USDT"),
    "SOL/USDT": ("SOLUSDT", "SOL", "USDT"),
    "ETH/BTC": ("ETHBTC", "ETH", "BTC"),
    "BNB/BTC": ("BNBBTC", "BNB", "BTC"),
}
# USDⓈ-M perpetuals: unified symbol -> (id, base)
LINEAR = {
    "BTC/USDT:USDT": ("BTCUSDT", "BTC"),
    "ETH/USDT:USDT": ("ETHUSDT", "ETH"),
    "SOL/USDT:USDT": ("SOLUSDT", "SOL"),
    "BNB/USDT:USDT": ("BNBUSDT", "BNB"),
}
# COIN-M perpetuals: unified symbol -> (id, base, contract size in USD)
INVERSE = {
    "BTC/USD:BTC": ("BTCUSD_PERP", "BTC", 100.0),
    "ETH/USD:ETH": ("ETHUSD_PERP", "ETH", 10.0),
}


def _brackets(steps: list[tuple[float, float, int]]) -> list[dict[str, Any]]:
    """Brackets from (floor, maintenance rate, leverage) with Binance's cum chain."""
    out, cum, previous_rate = [], 0.0, 0.0
    for index, (floor, rate, leverage) in enumerate(steps):
        cum += floor * (rate - previous_rate)
        previous_rate = rate
        cap = steps[index + 1][0] if index + 1 < len(steps) else floor * 10 or 1e9
        out.append(
            {
                "bracket": index + 1,
                "initialLeverage": leverage,
                "notionalCap": cap,
                "notionalFloor": floor,
                "maintMarginRatio": rate,
                "cum": round(cum, 8),
            }
        )
    return out


DEFAULT_BRACKETS = {
    "BTCUSDT": _brackets(
        [
            (0, 0.004, 125),
            (50000, 0.005, 100),
            (600000, 0.01, 75),
            (3000000, 0.025, 50),
            (12000000, 0.05, 25),
            (70000000, 0.1, 20),
            (100000000, 0.125, 10),
            (230000000, 0.15, 5),
            (480000000, 0.25, 4),
            (600000000, 0.5, 1),
        ]
    ),
    "ETHUSDT": _brackets(
        [
            (0, 0.005, 100),
            (10000, 0.0065, 75),
            (100000, 0.01, 50),
            (2000000, 0.02, 40),
            (5000000, 0.05, 20),
            (10000000, 0.1, 10),
            (20000000, 0.125, 5),
            (40000000, 0.15, 4),
            (150000000, 0.25, 2),
            (300000000, 0.5, 1),
        ]
    ),
    "SOLUSDT": _brackets(
        [
            (0, 0.005, 75),
            (5000, 0.01, 50),
            (50000, 0.025, 25),
            (500000, 0.05, 20),
            (1000000, 0.1, 10),
            (5000000, 0.125, 5),
            (10000000, 0.25, 2),
            (25000000, 0.5, 1),
        ]
    ),
    "BNBUSDT": _brackets(
        [
            (0, 0.005, 75),
            (10000, 0.01, 50),
            (50000, 0.025, 25),
            (250000, 0.05, 20),
            (1000000, 0.1, 10),
            (5000000, 0.125, 5),
            (10000000, 0.25, 2),
            (25000000, 0.5, 1),
        ]
    ),
}
# COIN-M brackets are in coin notional (qty): (floor, rate, leverage)
DEFAULT_COIN_BRACKETS = {
    "BTCUSD": _brackets(
        [
            (0, 0.004, 125),
            (5, 0.005, 100),
            (10, 0.01, 50),
            (20, 0.025, 20),
            (50, 0.05, 10),
            (100, 0.1, 5),
            (200, 0.125, 4),
            (400, 0.15, 3),
            (1000, 0.25, 2),
            (1500, 0.5, 1),
        ]
    ),
    "ETHUSD": _brackets(
        [
            (0, 0.005, 75),
            (150, 0.01, 50),
            (1500, 0.025, 25),
            (6000, 0.05, 20),
            (12000, 0.1, 10),
            (20000, 0.125, 5),
            (30000, 0.15, 4),
            (45000, 0.25, 2),
            (60000, 0.5, 1),
        ]
    ),
}


def _f(value: float, decimals: int = 8) -> str:
    return f"{value:.{decimals}f}"


def _filters(tick: str = "0.01", step: str = "0.00001") -> list[dict[str, Any]]:
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": tick,
            "maxPrice": "1000000.00",
            "tickSize": tick,
        },
        {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00", "stepSize": step},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "100", "stepSize": "0"},
        {"filterType": "MIN_NOTIONAL", "minNotional": "5", "notional": "5"},
    ]


class BinanceBase(SimVenue):
    """What every Binance api shares: HMAC query signatures, the clock, error bodies."""

    default_prices: ClassVar[dict[str, float]] = {
        "BTC/USDT": 60000.0,
        "ETH/USDT": 3000.0,
        "BNB/USDT": 600.0,
        "SOL/USDT": 150.0,
        "USDC/USDT": 1.0,
    }

    # Shifts the simulated server clock, to exercise the recvWindow check (-1021).
    clock_offset_ms = 0

    def is_public(self, method: str, path: str) -> bool:
        return path.endswith(
            (
                "/exchangeInfo",
                "/time",
                "/ping",
                "/ticker/price",
                "/premiumIndex",
                "/ticker/24hr",
                "/ticker/bookTicker",
            )
        )

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        account = self.accounts.get(request.headers.get("X-MBX-APIKEY", ""))
        if account is None:
            return self._error(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        query = request.rel_url.raw_query_string
        signed, _, signature = query.rpartition("&signature=")
        if not signature:
            return self._error(
                -1102,
                "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
                400,
            )
        payload = signed + (body or "")
        expected = hmac.new(account.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error(-1022, "Signature for this request is not valid.", 400)
        params = self.params_of(request, body)
        try:
            timestamp = int(params["timestamp"])
            recv_window = int(params.get("recvWindow", 5000))
        except (KeyError, ValueError):
            return self._error(
                -1102,
                "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
                400,
            )
        now = int(time.time() * 1000) + self.clock_offset_ms
        if recv_window > RECV_WINDOW_MAX_MS:
            return self._error(-1131, "recvWindow must be less than 60000", 400)
        if timestamp > now + 1000 or now - timestamp > recv_window:
            return self._error(
                -1021, "Timestamp for this request is outside of the recvWindow.", 400
            )
        return account

    def _error(self, code: int, msg: str, status: int) -> web.Response:
        return web.json_response({"code": code, "msg": msg}, status=status)

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        if kind == "rate_limit":
            response = self._error(
                -1003,
                "Too many requests; current limit of IP(127.0.0.1) "
                "is 2400 requests per minute. Please use WebSocket Streams "
                "for live updates to avoid polling the API.",
                429,
            )
            response.headers["Retry-After"] = f"{retry_after if retry_after is not None else 1:g}"
            return response
        if kind == "server_error":
            return self._error(
                -1001, "Internal error; unable to process your request. Please try again.", 500
            )
        if kind == "maintenance":
            return web.Response(status=503, text="Service Unavailable: system maintenance")
        # Binance answers a key without the needed right like an unknown key (-2015).
        return self._error(-2015, "Invalid API-key, IP, or permissions for action.", 401)

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def api_restrictions(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        rights = {
            "ipRestrict": False,
            "createTime": 1698645219000,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": False,
            "enablePortfolioMarginTrading": False,
        }
        rights.update(account.state.get("restrictions", {}))
        return web.json_response(rights)

    def spot_price(self, asset: str) -> float:
        if asset in ("USDT",):
            return 1.0
        return self.price(f"{asset}/USDT")


@register
class BinanceSim(BinanceBase):
    """Spot cross margin: GET /sapi/v1/margin/account and spot prices."""

    venue = "binance"

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v3/exchangeInfo", self.exchange_info)
        router.add_get("/api/v3/time", self.server_time)
        router.add_get("/api/v3/ping", self.ping)
        router.add_get("/api/v3/ticker/price", self.ticker_price)
        router.add_get("/sapi/v1/margin/account", self.private(self.margin_account))
        router.add_get("/sapi/v1/account/apiRestrictions", self.private(self.api_restrictions))

    async def exchange_info(self, request: web.Request) -> web.Response:
        symbols = [
            {
                "symbol": sid,
                "status": "TRADING",
                "baseAsset": base,
                "baseAssetPrecision": 8,
                "quoteAsset": quote,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "icebergAllowed": True,
                "ocoAllowed": True,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": True,
                "filters": _filters(),
                "permissions": [],
                "permissionSets": [["SPOT", "MARGIN"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_MAKER"],
            }
            for sid, base, quote in SPOT.values()
        ]
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        if holdings.positions:
            raise ValueError(
                "binance cross margin holds assets and loans, not positions: "
                "give 'balances' and 'borrowed'"
            )
        names = sorted({*holdings.balances, *holdings.borrowed})
        priced = {base for _, base, _ in SPOT.values()} | {"USDT", "USDC"}
        self._only("balances", names, priced)
        return {
            "assets": {
                asset: {
                    "free": holdings.balances.get(asset, 0.0),
                    "borrowed": holdings.borrowed.get(asset, 0.0),
                }
                for asset in names
            }
        }

    def holdings(self, account: SimAccount) -> Holdings:
        balances: dict[str, float] = {}
        borrowed: dict[str, float] = {}
        for asset, spec in account.state.get("assets", {}).items():
            if not isinstance(spec, dict):
                spec = {"free": spec}
            held = float(spec.get("free", 0)) + float(spec.get("locked", 0))
            owed = float(spec.get("borrowed", 0)) + float(spec.get("interest", 0))
            if held:
                balances[asset] = held
            if owed:
                borrowed[asset] = owed
        return Holdings(balances, borrowed)

    def _pair_price(self, symbol: str) -> float:
        if symbol in self.prices:
            return self.prices[symbol]
        base, quote = symbol.split("/")
        return self.spot_price(base) / self.spot_price(quote)

    async def ticker_price(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"symbol": sid, "price": _f(self._pair_price(symbol))}
                for symbol, (sid, _, _) in SPOT.items()
            ]
        )

    async def margin_account(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        btc = self.spot_price("BTC")
        user_assets, total_asset, total_liability = [], 0.0, 0.0
        for asset, spec in account.state.get("assets", {}).items():
            if not isinstance(spec, dict):
                spec = {"free": spec}
            free, locked = float(spec.get("free", 0)), float(spec.get("locked", 0))
            borrowed, interest = float(spec.get("borrowed", 0)), float(spec.get("interest", 0))
            price_btc = self.spot_price(asset) / btc
            total_asset += (free + locked) * price_btc
            total_liability += (borrowed + interest) * price_btc
            user_assets.append(
                {
                    "asset": asset,
                    "borrowed": _f(borrowed),
                    "free": _f(free),
                    "interest": _f(interest),
                    "locked": _f(locked),
                    "netAsset": _f(free + locked - borrowed - interest),
                }
            )
        level = total_asset / total_liability if total_liability > 0 else 999.0
        return web.json_response(
            {
                "created": True,
                "borrowEnabled": True,
                "marginLevel": _f(level),
                "collateralMarginLevel": _f(level),
                "totalAssetOfBtc": _f(total_asset),
                "totalLiabilityOfBtc": _f(total_liability),
                "totalNetAssetOfBtc": _f(total_asset - total_liability),
                "TotalCollateralValueInUSDT": _f(total_asset * btc, 2),
                "totalOpenOrderLossInUSDT": "0.00",
                "tradeEnabled": True,
                "transferInEnabled": True,
                "transferOutEnabled": True,
                "accountType": "MARGIN_1",
                "userAssets": user_assets,
            }
        )


def _binance_row(position: HeldPosition) -> dict[str, Any]:
    """A futures position in this module's state: signed ``size``, ``entry_price``."""
    row: dict[str, Any] = {
        "symbol": position.symbol,
        "size": position.signed(),
        "entry_price": position.entry,
    }
    if position.leverage is not None:
        row["leverage"] = position.leverage
    return row


def _held(row: dict[str, Any]) -> HeldPosition:
    size = float(row["size"])
    return HeldPosition(
        symbol=row["symbol"],
        side="long" if size >= 0 else "short",
        size=abs(size),
        entry=float(row["entry_price"]),
        leverage=float(row["leverage"]) if "leverage" in row else None,
    )


def _linear_position_rows(
    venue: BinanceBase, account: SimAccount, brackets: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """positionRisk v3 rows, with Binance's cross liquidation price for each position."""
    specs = account.state.get("positions", [])
    wallet = float(account.state.get("wallet_balance", 0.0))
    rows = []
    computed = []
    for spec in specs:
        sid, _ = LINEAR[spec["symbol"]]
        size = float(spec["size"])
        entry = float(spec["entry_price"])
        mark = venue.price(spec["symbol"].split(":")[0])
        notional = size * mark
        bracket = next(
            (b for b in brackets[sid] if b["notionalFloor"] <= abs(notional) < b["notionalCap"]),
            brackets[sid][-1],
        )
        maint = abs(notional) * bracket["maintMarginRatio"] - bracket["cum"]
        computed.append((spec, sid, size, entry, mark, notional, bracket, maint))
    for spec, sid, size, entry, mark, notional, bracket, maint in computed:
        others = [c for c in computed if c[0] is not spec]
        other_maint = sum(c[7] for c in others)
        other_upnl = sum(c[2] * (c[4] - c[3]) for c in others)
        denominator = abs(size) * bracket["maintMarginRatio"] - size
        liquidation = 0.0
        if denominator != 0:
            liquidation = (
                wallet - other_maint + other_upnl + bracket["cum"] - size * entry
            ) / denominator
        leverage = float(spec.get("leverage", 20))
        rows.append(
            {
                "symbol": sid,
                "positionSide": "BOTH",
                "positionAmt": _f(size, 3),
                "entryPrice": _f(entry),
                "breakEvenPrice": _f(entry),
                "markPrice": _f(mark),
                "unRealizedProfit": _f(size * (mark - entry)),
                "liquidationPrice": _f(max(liquidation, 0.0)),
                "isolatedMargin": "0",
                "notional": _f(notional),
                "marginAsset": "USDT",
                "isolatedWallet": "0",
                "initialMargin": _f(abs(notional) / leverage),
                "maintMargin": _f(maint),
                "positionInitialMargin": _f(abs(notional) / leverage),
                "openOrderInitialMargin": "0",
                "adl": 2,
                "bidNotional": "0",
                "askNotional": "0",
                "updateTime": int(time.time() * 1000),
            }
        )
    return rows


@register
class BinanceUsdmSim(BinanceBase):
    """USDⓈ-M futures: /fapi/v3/account, /fapi/v3/positionRisk, /fapi/v1/leverageBracket."""

    venue = "binanceusdm"
    # Extra listed-only perpetuals in exchangeInfo, to give ccxt a realistic market table.
    synthetic_markets = 0

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/fapi/v1/exchangeInfo", self.exchange_info)
        router.add_get("/fapi/v1/time", self.server_time)
        router.add_get("/fapi/v1/ping", self.ping)
        router.add_get("/fapi/v1/premiumIndex", self.premium_index)
        router.add_get("/fapi/v3/account", self.private(self.account))
        router.add_get("/fapi/v2/account", self.private(self.account))
        router.add_get("/fapi/v3/positionRisk", self.private(self.position_risk))
        router.add_get("/fapi/v2/positionRisk", self.private(self.position_risk))
        router.add_get("/fapi/v1/leverageBracket", self.private(self.leverage_bracket))
        router.add_get("/sapi/v1/account/apiRestrictions", self.private(self.api_restrictions))

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())
        self._only("balances", holdings.balances, ("USDT",))
        self._cross_only(holdings.positions)
        for position in holdings.positions:
            self._market(position, LINEAR)
        return {
            "wallet_balance": holdings.balances.get("USDT", 0.0),
            "positions": [_binance_row(p) for p in holdings.positions],
        }

    def holdings(self, account: SimAccount) -> Holdings:
        wallet = float(account.state.get("wallet_balance", 0.0))
        return Holdings(
            {"USDT": wallet} if wallet else {},
            {},
            tuple(_held(row) for row in account.state.get("positions", [])),
        )

    def brackets(self, account: SimAccount | None = None) -> dict[str, list[dict[str, Any]]]:
        custom = (account.state.get("brackets") if account else None) or {}
        return {**DEFAULT_BRACKETS, **custom}

    async def exchange_info(self, request: web.Request) -> web.Response:
        symbols = [
            {
                "symbol": sid,
                "pair": sid,
                "contractType": "PERPETUAL",
                "deliveryDate": 4133404800000,
                "onboardDate": 1569398400000,
                "status": "TRADING",
                "maintMarginPercent": "2.5000",
                "requiredMarginPercent": "5.0000",
                "baseAsset": base,
                "quoteAsset": "USDT",
                "marginAsset": "USDT",
                "pricePrecision": 2,
                "quantityPrecision": 3,
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "underlyingType": "COIN",
                "underlyingSubType": [],
                "triggerProtect": "0.0500",
                "liquidationFee": "0.012500",
                "marketTakeBound": "0.05",
                "maxMoveOrderLimit": 10000,
                "filters": _filters("0.10", "0.001"),
                "orderTypes": ["LIMIT", "MARKET"],
                "timeInForce": ["GTC"],
            }
            for sid, base in [
                *LINEAR.values(),
                *((f"SYN{i:04d}USDT", f"SYN{i:04d}") for i in range(self.synthetic_markets)),
            ]
        ]
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "futuresType": "U_MARGINED",
                "rateLimits": [],
                "exchangeFilters": [],
                "assets": [],
                "symbols": symbols,
            }
        )

    async def premium_index(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "symbol": sid,
                    "markPrice": _f(self.price(symbol.split(":")[0])),
                    "indexPrice": _f(self.price(symbol.split(":")[0])),
                    "lastFundingRate": "0.0001",
                    "time": int(time.time() * 1000),
                }
                for symbol, (sid, _) in LINEAR.items()
            ]
        )

    async def position_risk(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        return web.json_response(_linear_position_rows(self, account, self.brackets(account)))

    async def account(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        rows = _linear_position_rows(self, account, self.brackets(account))
        wallet = float(account.state.get("wallet_balance", 0.0))
        upnl = sum(float(r["unRealizedProfit"]) for r in rows)
        maint = sum(float(r["maintMargin"]) for r in rows)
        initial = sum(float(r["initialMargin"]) for r in rows)
        margin_balance = wallet + upnl
        available = max(0.0, margin_balance - initial)
        return web.json_response(
            {
                "totalInitialMargin": _f(initial),
                "totalMaintMargin": _f(maint),
                "totalWalletBalance": _f(wallet),
                "totalUnrealizedProfit": _f(upnl),
                "totalMarginBalance": _f(margin_balance),
                "totalPositionInitialMargin": _f(initial),
                "totalOpenOrderInitialMargin": "0",
                "totalCrossWalletBalance": _f(wallet),
                "totalCrossUnPnl": _f(upnl),
                "availableBalance": _f(available),
                "maxWithdrawAmount": _f(available),
                "assets": [
                    {
                        "asset": "USDT",
                        "walletBalance": _f(wallet),
                        "unrealizedProfit": _f(upnl),
                        "marginBalance": _f(margin_balance),
                        "maintMargin": _f(maint),
                        "initialMargin": _f(initial),
                        "positionInitialMargin": _f(initial),
                        "openOrderInitialMargin": "0",
                        "crossWalletBalance": _f(wallet),
                        "crossUnPnl": _f(upnl),
                        "availableBalance": _f(available),
                        "maxWithdrawAmount": _f(available),
                        "updateTime": int(time.time() * 1000),
                    }
                ],
                "positions": [
                    {
                        "symbol": r["symbol"],
                        "positionSide": "BOTH",
                        "positionAmt": r["positionAmt"],
                        "unrealizedProfit": r["unRealizedProfit"],
                        "isolatedMargin": "0",
                        "notional": r["notional"],
                        "isolatedWallet": "0",
                        "initialMargin": r["initialMargin"],
                        "maintMargin": r["maintMargin"],
                        "updateTime": r["updateTime"],
                    }
                    for r in rows
                ],
            }
        )

    async def leverage_bracket(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        return web.json_response(
            [
                {"symbol": sid, "brackets": brackets}
                for sid, brackets in self.brackets(account).items()
            ]
        )


@register
class BinanceCoinmSim(BinanceBase):
    """COIN-M futures: /dapi/v1/account, /dapi/v1/positionRisk, /dapi/v2/leverageBracket."""

    venue = "binancecoinm"
    default_prices: ClassVar[dict[str, float]] = {"BTC/USD": 60000.0, "ETH/USD": 3000.0}

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/dapi/v1/exchangeInfo", self.exchange_info)
        router.add_get("/dapi/v1/time", self.server_time)
        router.add_get("/dapi/v1/ping", self.ping)
        router.add_get("/dapi/v1/account", self.private(self.account))
        router.add_get("/dapi/v1/positionRisk", self.private(self.position_risk))
        router.add_get("/dapi/v2/leverageBracket", self.private(self.leverage_bracket))
        router.add_get("/sapi/v1/account/apiRestrictions", self.private(self.api_restrictions))

    async def exchange_info(self, request: web.Request) -> web.Response:
        symbols = [
            {
                "symbol": sid,
                "pair": sid.split("_")[0],
                "contractType": "PERPETUAL",
                "deliveryDate": 4133404800000,
                "onboardDate": 1597042800000,
                "contractStatus": "TRADING",
                "contractSize": int(size),
                "marginAsset": base,
                "maintMarginPercent": "2.5000",
                "requiredMarginPercent": "5.0000",
                "baseAsset": base,
                "quoteAsset": "USD",
                "pricePrecision": 1,
                "quantityPrecision": 0,
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "equalQtyPrecision": 4,
                "triggerProtect": "0.0500",
                "liquidationFee": "0.010000",
                "marketTakeBound": "0.05",
                "filters": _filters("0.1", "1"),
                "orderTypes": ["LIMIT", "MARKET"],
                "timeInForce": ["GTC"],
            }
            for sid, base, size in INVERSE.values()
        ]
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())
        self._only("balances", holdings.balances, {base for _, base, _ in INVERSE.values()})
        self._cross_only(holdings.positions)
        for position in holdings.positions:
            self._market(position, INVERSE)
        return {
            "wallets": dict(holdings.balances),
            "positions": [_binance_row(p) for p in holdings.positions],
        }

    def holdings(self, account: SimAccount) -> Holdings:
        wallets = {k: float(v) for k, v in account.state.get("wallets", {}).items() if v}
        return Holdings(
            wallets, {}, tuple(_held(row) for row in account.state.get("positions", []))
        )

    def _rows(self, account: SimAccount) -> list[dict[str, Any]]:
        rows = []
        for spec in account.state.get("positions", []):
            sid, base, size_usd = INVERSE[spec["symbol"]]
            contracts = float(spec["size"])
            entry = float(spec["entry_price"])
            mark = self.price(f"{base}/USD")
            notional_coin = contracts * size_usd / mark
            upnl = contracts * size_usd * (1 / entry - 1 / mark)
            brackets = DEFAULT_COIN_BRACKETS[sid.split("_")[0]]
            bracket = next(
                (
                    b
                    for b in brackets
                    if b["notionalFloor"] <= abs(notional_coin) < b["notionalCap"]
                ),
                brackets[-1],
            )
            rows.append(
                {
                    "symbol": sid,
                    "positionAmt": _f(contracts, 0),
                    "entryPrice": _f(entry),
                    "breakEvenPrice": _f(entry),
                    "markPrice": _f(mark),
                    "unRealizedProfit": _f(upnl),
                    "liquidationPrice": "0",
                    "leverage": str(spec.get("leverage", 20)),
                    "maxQty": "1000",
                    "marginType": "cross",
                    "isolatedMargin": "0.00000000",
                    "isAutoAddMargin": "false",
                    "positionSide": "BOTH",
                    "notionalValue": _f(notional_coin),
                    "isolatedWallet": "0",
                    "updateTime": int(time.time() * 1000),
                    "marginAsset": base,
                    "_maint": abs(notional_coin) * bracket["maintMarginRatio"] - bracket["cum"],
                }
            )
        return rows

    async def position_risk(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        rows = [
            {k: v for k, v in row.items() if not k.startswith("_")} for row in self._rows(account)
        ]
        return web.json_response(rows)

    async def account(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        rows = self._rows(account)
        assets = []
        for asset, wallet in account.state.get("wallets", {"BTC": 0.0}).items():
            mine = [r for r in rows if r["marginAsset"] == asset]
            upnl = sum(float(r["unRealizedProfit"]) for r in mine)
            maint = sum(r["_maint"] for r in mine)
            assets.append(
                {
                    "asset": asset,
                    "walletBalance": _f(float(wallet)),
                    "unrealizedProfit": _f(upnl),
                    "marginBalance": _f(float(wallet) + upnl),
                    "maintMargin": _f(maint),
                    "initialMargin": "0",
                    "positionInitialMargin": "0",
                    "openOrderInitialMargin": "0",
                    "maxWithdrawAmount": _f(float(wallet)),
                    "crossWalletBalance": _f(float(wallet)),
                    "crossUnPnl": _f(upnl),
                    "availableBalance": _f(float(wallet)),
                    "updateTime": int(time.time() * 1000),
                }
            )
        return web.json_response(
            {
                "assets": assets,
                "positions": [],
                "canDeposit": True,
                "canTrade": True,
                "canWithdraw": True,
                "feeTier": 0,
                "updateTime": 0,
            }
        )

    async def leverage_bracket(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        out = []
        for pair, brackets in DEFAULT_COIN_BRACKETS.items():
            out.append(
                {
                    "pair": pair,
                    "brackets": [
                        {
                            "bracket": b["bracket"],
                            "initialLeverage": b["initialLeverage"],
                            "qtyCap": b["notionalCap"],
                            "qtylFloor": b["notionalFloor"],
                            "maintMarginRatio": b["maintMarginRatio"],
                            "cum": b["cum"],
                        }
                        for b in brackets
                    ],
                }
            )
        return web.json_response(out)
