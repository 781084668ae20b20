"""Bybit v5 dialect: instruments, unified wallet-balance, position list, key info (HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, ClassVar

from aiohttp import web

from . import HeldPosition, Holdings, SimAccount, SimVenue, register

# unified symbol -> (market id, category, base, quote, settle, maintenance rate)
MARKETS: dict[str, tuple[str, str, str, str, str, float]] = {
    "BTC/USDT:USDT": ("BTCUSDT", "linear", "BTC", "USDT", "USDT", 0.005),
    "ETH/USDT:USDT": ("ETHUSDT", "linear", "ETH", "USDT", "USDT", 0.005),
    "SOL/USDT:USDT": ("SOLUSDT", "linear", "SOL", "USDT", "USDT", 0.01),
    "BTC/USDC:USDC": ("BTCPERP", "linear", "BTC", "USDC", "USDC", 0.005),
    "BTC/USD:BTC": ("BTCUSD", "inverse", "BTC", "USD", "BTC", 0.005),
}
BY_ID = {spec[0]: symbol for symbol, spec in MARKETS.items()}
# Collateral ratio per coin (Bybit's tier-1 values are of this order); stablecoins count fully.
COLLATERAL_RATIO = {"USDT": 1.0, "USDC": 1.0, "BTC": 0.95, "ETH": 0.95, "SOL": 0.9}
TAKER_FEE = 0.00055
RECV_WINDOW_MS = 5000


def _s(value: float, decimals: int = 8) -> str:
    return f"{value:.{decimals}f}"


@register
class BybitSim(SimVenue):
    venue = "bybit"
    default_prices: ClassVar[dict[str, float]] = {
        "BTC/USDT:USDT": 60000.0,
        "ETH/USDT:USDT": 3000.0,
        "SOL/USDT:USDT": 150.0,
        "BTC/USDC:USDC": 60000.0,
        "BTC/USD:BTC": 60000.0,
    }
    public_prefixes = ("/v5/market/",)

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v5/market/time", self.server_time)
        router.add_get("/v5/market/instruments-info", self.instruments)
        router.add_get("/v5/market/risk-limit", self.risk_limit)
        router.add_get("/v5/account/wallet-balance", self.private(self.wallet_balance))
        router.add_get("/v5/position/list", self.private(self.position_list))
        router.add_get("/v5/user/query-api", self.private(self.query_api))
        router.add_get("/v5/account/info", self.private(self.account_info))

    # --- auth ---------------------------------------------------------------------------------

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        headers = request.headers
        account = self.accounts.get(headers.get("X-BAPI-API-KEY", ""))
        if account is None:
            return self._error(10003, "API key is invalid.")
        timestamp = headers.get("X-BAPI-TIMESTAMP", "")
        recv_window = headers.get("X-BAPI-RECV-WINDOW", "5000")
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > max(
            int(recv_window) if recv_window.isdigit() else 0, RECV_WINDOW_MS
        ):
            return self._error(
                10002, "invalid request, please check your server timestamp or recv_window param"
            )
        payload = (
            timestamp
            + account.api_key
            + recv_window
            + (body if request.method == "POST" else request.rel_url.raw_query_string)
        )
        expected = hmac.new(account.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-BAPI-SIGN", "")):
            return self._error(
                10004, "Error sign, please check your signature generation algorithm."
            )
        return account

    def _error(self, code: int, message: str, status: int = 200) -> web.Response:
        return web.json_response(
            {
                "retCode": code,
                "retMsg": message,
                "result": {},
                "retExtInfo": {},
                "time": int(time.time() * 1000),
            },
            status=status,
        )

    def _ok(self, result: Any) -> web.Response:
        return web.json_response(
            {
                "retCode": 0,
                "retMsg": "OK",
                "result": result,
                "retExtInfo": {},
                "time": int(time.time() * 1000),
            }
        )

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        if kind == "rate_limit":
            return self.with_retry_after(self._error(10006, "Too many visits!"), retry_after)
        if kind == "server_error":
            return web.Response(status=502, text="Bad Gateway")
        if kind == "maintenance":
            return web.Response(status=503, text="Service Unavailable")
        if kind == "permission":
            return self._error(10005, "Permission denied, please check your API key permissions.")
        if kind == "revoked_key":
            return self._error(33004, "Your api key has expired.")
        return self._error(10003, "API key is invalid.")

    # --- model --------------------------------------------------------------------------------

    def coin_price(self, coin: str) -> float:
        if coin in ("USDT", "USDC", "USD"):
            return 1.0
        return self.price(f"{coin}/USDT:USDT")

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())
        self._only("balances", holdings.balances, COLLATERAL_RATIO)
        for position in holdings.positions:
            self._market(position, MARKETS)
            if position.margin_mode == "isolated":
                raise ValueError(
                    "bybit: a unified account sets its margin mode for the whole account; "
                    'give venue_state {"margin_mode": "ISOLATED_MARGIN"} instead'
                )
        rows = []
        for position in holdings.positions:
            row: dict[str, Any] = {
                "symbol": position.symbol,
                "side": "Buy" if position.side == "long" else "Sell",
                "size": position.size,
                "entry": position.entry,
            }
            if position.leverage is not None:
                row["leverage"] = position.leverage
            rows.append(row)
        return {"coins": dict(holdings.balances), "positions": rows}

    def holdings(self, account: SimAccount) -> Holdings:
        positions = tuple(
            HeldPosition(
                symbol=row["symbol"],
                side="long" if row.get("side", "Buy") == "Buy" else "short",
                size=float(row["size"]),
                entry=float(row["entry"]),
                leverage=float(row["leverage"]) if "leverage" in row else None,
            )
            for row in account.state.get("positions", [])
        )
        coins = {k: float(v) for k, v in account.state.get("coins", {}).items()}
        return Holdings(coins, {}, positions)

    def _positions(self, account: SimAccount) -> list[dict[str, Any]]:
        """Each position with Bybit's figures (risk.profiles): a USDT contract's MM on its entry
        value, an inverse one's on its value at mark in coin, each plus the closing fee."""
        rows = []
        for spec in account.state.get("positions", []):
            symbol = spec["symbol"]
            market_id, category, base, _, settle, rate = MARKETS[symbol]
            size = float(spec["size"])
            sign = 1.0 if spec.get("side", "Buy") == "Buy" else -1.0
            entry = float(spec["entry"])
            leverage = float(spec.get("leverage", 10))
            mark = self.price(symbol)
            if category == "inverse":
                value = size / entry  # coin; Bybit's positionValue is at entry
                maintained = size / mark  # the UTA values inverse maintenance at mark
                upl = sign * size * (1 / entry - 1 / mark)
                bust = entry / (1 + sign / leverage)
                fee = size / bust * TAKER_FEE
            else:
                value = maintained = size * entry  # settle coin, positionValue is at entry
                upl = sign * size * (mark - entry)
                bust = entry * (1 - sign / leverage)
                fee = size * bust * TAKER_FEE
            rows.append(
                {
                    "symbol": market_id,
                    "category": category,
                    "settle": settle,
                    "base": base,
                    "sign": sign,
                    "size": size,
                    "entry": entry,
                    "mark": mark,
                    "leverage": leverage,
                    "value": value,
                    "upl": upl,
                    "bust": bust,
                    "mm": maintained * rate + fee,
                    "im": value / leverage + fee,
                }
            )
        return rows

    def _account_figures(self, account: SimAccount) -> dict[str, Any]:
        positions = self._positions(account)
        coins: dict[str, dict[str, float]] = {}
        for coin, amount in account.state.get("coins", {}).items():
            coins[coin] = {"wallet": float(amount), "upl": 0.0, "im": 0.0, "mm": 0.0}
        for p in positions:
            row = coins.setdefault(p["settle"], {"wallet": 0.0, "upl": 0.0, "im": 0.0, "mm": 0.0})
            row["upl"] += p["upl"]
            row["im"] += p["im"]
            row["mm"] += p["mm"]
        wallet_usd = upl_usd = mm_usd = im_usd = equity_usd = 0.0
        for coin, row in coins.items():
            price = self.coin_price(coin)
            row["price"] = price
            wallet_usd += row["wallet"] * price * COLLATERAL_RATIO.get(coin, 0.8)
            upl_usd += row["upl"] * price
            mm_usd += row["mm"] * price
            im_usd += row["im"] * price
            equity_usd += (row["wallet"] + row["upl"]) * price
        margin_balance = wallet_usd + upl_usd
        return {
            "positions": positions,
            "coins": coins,
            "wallet": wallet_usd,
            "upl": upl_usd,
            "mm": mm_usd,
            "im": im_usd,
            "equity": equity_usd,
            "margin_balance": margin_balance,
        }

    def _liq_price(self, account: SimAccount, figures: dict[str, Any], p: dict[str, Any]) -> str:
        """Bybit's estimate for a USDT/USDC contract ("" for inverse ones, as for a price
        outside Bybit's band).

        Isolated margin mode: where the position's own margin (``positionBalance``) plus its
        P&L meets its maintenance, entry-valued and fee included, so fixed (Bybit "Liquidation
        Price (USDT Contract)": long ``entry − (IM − MM) / size``). Cross: the mark at which
        this leg alone brings the account's MM rate to 100 %.
        """
        if p["category"] != "linear":
            return ""
        signed = p["sign"] * p["size"]
        if account.state.get("margin_mode") == "ISOLATED_MARGIN":
            price = p["entry"] - (p["im"] - p["mm"]) / signed
        else:
            price = p["mark"] - (figures["margin_balance"] - figures["mm"]) / signed
        return _s(price, 2) if price > 0 else ""

    # --- handlers -----------------------------------------------------------------------------

    async def server_time(self, request: web.Request) -> web.Response:
        now = time.time()
        return self._ok({"timeSecond": str(int(now)), "timeNano": str(int(now * 1e9))})

    async def instruments(self, request: web.Request) -> web.Response:
        category = request.query.get("category", "linear")
        rows = []
        if request.query.get("status") != "PreLaunch":
            for market_id, cat, base, quote, settle, _ in MARKETS.values():
                if cat != category:
                    continue
                rows.append(
                    {
                        "symbol": market_id,
                        "contractType": "LinearPerpetual"
                        if cat == "linear"
                        else "InversePerpetual",
                        "status": "Trading",
                        "baseCoin": base,
                        "quoteCoin": quote,
                        "settleCoin": settle,
                        "launchTime": "1585526400000",
                        "deliveryTime": "0",
                        "deliveryFeeRate": "",
                        "priceScale": "2",
                        "leverageFilter": {
                            "minLeverage": "1",
                            "maxLeverage": "100.00",
                            "leverageStep": "0.01",
                        },
                        "priceFilter": {
                            "minPrice": "0.10",
                            "maxPrice": "1999999.80",
                            "tickSize": "0.10",
                        },
                        # Inverse sizes are whole 1-USD contracts; ccxt reads the contract size
                        # of an inverse market from minOrderQty.
                        "lotSizeFilter": {
                            "maxOrderQty": "1190.000",
                            "minOrderQty": "1" if cat == "inverse" else "0.001",
                            "qtyStep": "1" if cat == "inverse" else "0.001",
                            "postOnlyMaxOrderQty": "1190.000",
                            "minNotionalValue": "5",
                        },
                        "unifiedMarginTrade": True,
                        "fundingInterval": 480,
                        "lowerFundingRate": "-0.005",
                    }
                )
        return self._ok({"category": category, "list": rows, "nextPageCursor": ""})

    async def risk_limit(self, request: web.Request) -> web.Response:
        rows = []
        for market_id, cat, _, _, _, rate in MARKETS.values():
            if cat != request.query.get("category", "linear"):
                continue
            rows.append(
                {
                    "id": 1,
                    "symbol": market_id,
                    "riskLimitValue": "2000000",
                    "maintenanceMargin": str(rate),
                    "initialMargin": "0.01",
                    "isLowestRisk": 1,
                    "maxLeverage": "100.00",
                    "mmDeduction": "",
                }
            )
        return self._ok({"category": request.query.get("category", "linear"), "list": rows})

    async def wallet_balance(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        if params.get("accountType") != "UNIFIED" or not account.state.get("uta", True):
            return self._error(10001, "accountType only support UNIFIED.")
        f = self._account_figures(account)
        coins = []
        for coin, row in f["coins"].items():
            equity = row["wallet"] + row["upl"]
            coins.append(
                {
                    "coin": coin,
                    "walletBalance": _s(row["wallet"]),
                    "equity": _s(equity),
                    "usdValue": _s(equity * row["price"]),
                    "unrealisedPnl": _s(row["upl"]),
                    "totalPositionIM": _s(row["im"]),
                    "totalPositionMM": _s(row["mm"]),
                    "totalOrderIM": "0",
                    "locked": "0",
                    "borrowAmount": "0",
                    "accruedInterest": "0",
                    "cumRealisedPnl": "0",
                    "bonus": "0",
                    "spotHedgingQty": "0",
                    "availableToWithdraw": "",
                    "availableToBorrow": "",
                    "marginCollateral": True,
                    "collateralSwitch": True,
                }
            )
        isolated = account.state.get("margin_mode") == "ISOLATED_MARGIN"
        mb = f["margin_balance"]

        def account_wide(value: str) -> str:
            return "" if isolated else value

        result = {
            "list": [
                {
                    "accountType": "UNIFIED",
                    "totalEquity": _s(f["equity"]),
                    "totalWalletBalance": _s(f["wallet"]),
                    "totalMarginBalance": account_wide(_s(mb)),
                    "totalAvailableBalance": account_wide(_s(mb - f["im"])),
                    "totalPerpUPL": _s(f["upl"]),
                    "totalInitialMargin": account_wide(_s(f["im"])),
                    "totalMaintenanceMargin": account_wide(_s(f["mm"])),
                    "accountIMRate": account_wide(_s(f["im"] / mb, 4) if mb > 0 else "0"),
                    "accountMMRate": account_wide(_s(f["mm"] / mb, 4) if mb > 0 else "0"),
                    "accountLTV": "0",
                    "coin": coins,
                }
            ]
        }
        return self._ok(result)

    async def position_list(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        category = params.get("category", "")
        if category not in ("linear", "inverse", "option"):
            return self._error(10001, "category is invalid")
        settle = params.get("settleCoin")
        symbol = params.get("symbol")
        if category == "linear" and not settle and not symbol:
            return self._error(10001, "symbol or settleCoin is required")
        f = self._account_figures(account)
        rows = []
        for p in f["positions"]:
            if (
                p["category"] != category
                or (settle and p["settle"] != settle)
                or (symbol and p["symbol"] != symbol)
            ):
                continue
            decimals = 8
            rows.append(
                {
                    "positionIdx": 0,
                    "riskId": 1,
                    "riskLimitValue": "2000000",
                    "symbol": p["symbol"],
                    "side": "Buy" if p["sign"] > 0 else "Sell",
                    "size": _s(p["size"], 4),
                    "avgPrice": _s(p["entry"], 4),
                    "positionValue": _s(p["value"], decimals),
                    "tradeMode": 0,
                    "autoAddMargin": 0,
                    "positionStatus": "Normal",
                    "leverage": _s(p["leverage"], 0),
                    "markPrice": _s(p["mark"], 2),
                    "liqPrice": self._liq_price(account, f, p),
                    "bustPrice": _s(p["bust"], 2),
                    "positionIM": _s(p["im"], decimals),
                    "positionMM": _s(p["mm"], decimals),
                    "positionBalance": _s(p["im"], decimals),
                    "takeProfit": "",
                    "stopLoss": "",
                    "trailingStop": "0",
                    "unrealisedPnl": _s(p["upl"], decimals),
                    "curRealisedPnl": "0",
                    "cumRealisedPnl": "0",
                    "adlRankIndicator": 2,
                    "isReduceOnly": False,
                    "createdTime": "1700000000000",
                    "updatedTime": "1700000000000",
                    "seq": 1,
                }
            )
        return self._ok({"category": category, "list": rows, "nextPageCursor": ""})

    async def query_api(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        read_only = bool(account.state.get("read_only", True))
        wallet = ["Withdraw"] if account.state.get("withdraw") else []
        trade = [] if read_only else ["Order", "Position"]
        return self._ok(
            {
                "id": "1",
                "note": "marginwatch",
                "apiKey": account.api_key,
                "readOnly": 1 if read_only else 0,
                "secret": "",
                "permissions": {
                    "ContractTrade": trade,
                    "Spot": [] if read_only else ["SpotTrade"],
                    "Wallet": wallet,
                    "Options": [],
                    "Derivatives": [],
                    "Exchange": [],
                    "NFT": [],
                    "CopyTrading": [],
                    "BlockTrade": [],
                },
                "ips": ["*"],
                "type": 1,
                "deadlineDay": 83,
                "unified": 0,
                "uta": 1 if account.state.get("uta", True) else 0,
                "isMaster": True,
            }
        )

    async def account_info(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        return self._ok(
            {
                "marginMode": account.state.get("margin_mode", "REGULAR_MARGIN"),
                "unifiedMarginStatus": 6,
                "updatedTime": "1697078946000",
            }
        )
