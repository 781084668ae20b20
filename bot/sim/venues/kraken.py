"""Kraken spot margin dialect: public market data, BalanceEx, TradeBalance, OpenPositions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, ClassVar

from aiohttp import web

from . import HeldPosition, Holdings, SimAccount, SimVenue, register

# asset id -> (altname, decimals, collateral_value, unified symbol of its USD price or None)
ASSETS: dict[str, tuple[str, int, float, str | None]] = {
    "ZUSD": ("USD", 4, 1.0, None),
    "ZEUR": ("EUR", 4, 1.0, "EUR/USD"),
    "XXBT": ("XBT", 10, 1.0, "BTC/USD"),
    "XETH": ("ETH", 10, 1.0, "ETH/USD"),
    "DOT": ("DOT", 10, 0.9, "DOT/USD"),
    "USDT": ("USDT", 8, 1.0, "USDT/USD"),
    "ADA": ("ADA", 8, 0.9, "ADA/USD"),
    # Staked / earning balances: listed as assets, never collateral.
    "DOT.S": ("DOT.S", 10, 0.0, "DOT/USD"),
    "XBT.M": ("XBT.M", 10, 0.0, "BTC/USD"),
    "ETH.F": ("ETH.F", 10, 0.0, "ETH/USD"),
}
EARN_SUFFIXES = (".S", ".M", ".F", ".B", ".P")

# pair id -> (altname, wsname, base id, quote id, unified symbol)
PAIRS: dict[str, tuple[str, str, str, str, str]] = {
    "XXBTZUSD": ("XBTUSD", "XBT/USD", "XXBT", "ZUSD", "BTC/USD"),
    "XETHZUSD": ("ETHUSD", "ETH/USD", "XETH", "ZUSD", "ETH/USD"),
    "DOTUSD": ("DOTUSD", "DOT/USD", "DOT", "ZUSD", "DOT/USD"),
    "ZEURZUSD": ("EURUSD", "EUR/USD", "ZEUR", "ZUSD", "EUR/USD"),
    "USDTZUSD": ("USDTUSD", "USDT/USD", "USDT", "ZUSD", "USDT/USD"),
    "XXBTZEUR": ("XBTEUR", "XBT/EUR", "XXBT", "ZEUR", "BTC/EUR"),
    "ADAUSD": ("ADAUSD", "ADA/USD", "ADA", "ZUSD", "ADA/USD"),
    "ADAUSDT": ("ADAUSDT", "ADA/USDT", "ADA", "USDT", "ADA/USDT"),
}
SYMBOL_TO_PAIR = {spec[4]: pair for pair, spec in PAIRS.items()}
# Accounts files name assets as people do (USD, BTC); Kraken's ids are ZUSD, XXBT...
COMMON_TO_ASSET = {"USD": "ZUSD", "EUR": "ZEUR", "BTC": "XXBT", "XBT": "XXBT", "ETH": "XETH"}
ASSET_TO_COMMON = {"ZUSD": "USD", "ZEUR": "EUR", "XXBT": "BTC", "XETH": "ETH"}
ALTNAME_TO_PAIR = {spec[0]: pair for pair, spec in PAIRS.items()}


def _fmt(value: float, decimals: int = 4) -> str:
    return f"{value:.{decimals}f}"


@register
class KrakenSim(SimVenue):
    venue = "kraken"
    default_prices: ClassVar[dict[str, float]] = {
        "BTC/USD": 60000.0,
        "ETH/USD": 3000.0,
        "DOT/USD": 6.0,
        "EUR/USD": 1.08,
        "USDT/USD": 1.0,
        "BTC/EUR": 60000.0 / 1.08,
        "ADA/USD": 0.6,
        "ADA/USDT": 0.6,
    }
    public_prefixes = ("/0/public/",)
    credentials = frozenset({"secret_base64"})
    # AssetPairs' margin_call / margin_stop, in percent of margin level.
    margin_levels = (80, 40)

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/0/public/Time", self.server_time)
        router.add_get("/0/public/SystemStatus", self.system_status)
        router.add_get("/0/public/Assets", self.assets)
        router.add_get("/0/public/AssetPairs", self.asset_pairs)
        router.add_get("/0/public/Ticker", self.ticker)
        router.add_post("/0/private/Balance", self.private(self.balance))
        router.add_post("/0/private/BalanceEx", self.private(self.balance_ex))
        router.add_post("/0/private/TradeBalance", self.private(self.trade_balance))
        router.add_post("/0/private/OpenPositions", self.private(self.open_positions))

    # --- auth ---------------------------------------------------------------------------------

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        account = self.accounts.get(request.headers.get("API-Key", ""))
        if account is None:
            return self._error("EAPI:Invalid key")
        params = self.params_of(request, body)
        nonce_text = params.get("nonce", "")
        try:
            nonce = int(nonce_text)
            secret = base64.b64decode(account.secret)
        except ValueError:
            return self._error(
                "EAPI:Invalid nonce" if not nonce_text.isdigit() else "EAPI:Invalid key"
            )
        digest = hashlib.sha256((nonce_text + body).encode()).digest()
        expected = base64.b64encode(
            hmac.new(secret, request.path.encode() + digest, hashlib.sha512).digest()
        ).decode()
        # Kraken answers a wrong secret with the same text as an unknown key.
        if not hmac.compare_digest(expected, request.headers.get("API-Sign", "")):
            return self._error("EAPI:Invalid key")
        if nonce <= account.last_nonce:
            return self._error("EAPI:Invalid nonce")
        account.last_nonce = nonce
        return account

    def _error(self, text: str, status: int = 200) -> web.Response:
        return web.json_response({"error": [text]}, status=status)

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        if kind == "rate_limit":
            limited = self._error("EAPI:Rate limit exceeded", status=429)
            return self.with_retry_after(limited, retry_after)
        if kind == "server_error":
            return web.Response(status=502, text="Bad Gateway")
        if kind == "maintenance":
            return self._error("EService:Unavailable")
        if kind == "permission":
            return self._error("EGeneral:Permission denied")
        return self._error("EAPI:Invalid key")  # auth, revoked_key

    # --- model --------------------------------------------------------------------------------

    def usd_price(self, asset: str) -> float:
        symbol = ASSETS.get(asset, (asset, 8, 0.0, None))[3]
        return 1.0 if symbol is None else self.price(symbol)

    def pair_price(self, pair: str) -> float:
        return self.price(PAIRS[pair][4])

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())  # a margin position is the loan
        balances = {COMMON_TO_ASSET.get(k, k): v for k, v in holdings.balances.items()}
        self._only("balances", balances, ASSETS)
        self._cross_only(holdings.positions)
        rows = []
        for index, position in enumerate(holdings.positions):
            self._market(position, SYMBOL_TO_PAIR)
            rows.append(
                {
                    "symbol": position.symbol,
                    "type": "buy" if position.side == "long" else "sell",
                    "vol": position.size,
                    "price": position.entry,
                    "leverage": position.leverage or 5,
                    "time": 1_700_000_000 + 600 * index,
                }
            )
        return {"balances": balances, "positions": rows}

    def holdings(self, account: SimAccount) -> Holdings:
        positions = tuple(
            HeldPosition(
                symbol=row.get("symbol") or PAIRS[row["pair"]][4],
                side="long" if row["type"] == "buy" else "short",
                size=float(row["vol"]) - float(row.get("vol_closed", 0.0)),
                entry=float(row["price"]),
                leverage=float(row.get("leverage", 5)),
            )
            for row in account.state.get("positions", [])
        )
        balances = {
            ASSET_TO_COMMON.get(k, k): float(v)
            for k, v in account.state.get("balances", {}).items()
        }
        return Holdings(balances, {}, positions)

    def _positions(self, account: SimAccount) -> list[dict[str, Any]]:
        rows = []
        for index, spec in enumerate(account.state.get("positions", [])):
            pair = spec.get("pair") or SYMBOL_TO_PAIR[spec["symbol"]]
            vol = float(spec["vol"])
            vol_closed = float(spec.get("vol_closed", 0.0))
            entry = float(spec["price"])
            leverage = float(spec.get("leverage", 5))
            cost = vol * entry
            margin = cost / leverage
            remaining = vol - vol_closed
            price = self.pair_price(pair)
            value = remaining * price
            opened = remaining * entry
            net = value - opened if spec["type"] == "buy" else opened - value
            # Longs borrow quote (margin fixed in quote); shorts borrow base (revalued).
            margin_now = margin if spec["type"] == "buy" else margin / entry * price
            rows.append(
                {
                    "txid": spec.get("txid", f"T{index:05d}-SIMUL-{index:06d}"),
                    "ordertxid": f"O{index:05d}-SIMUL-{index:06d}",
                    "posstatus": "open",
                    "pair": pair,
                    "time": float(spec.get("time", 1700000000 + index)),
                    "type": spec["type"],
                    "ordertype": "limit",
                    "cost": cost,
                    "fee": cost * 0.0026,
                    "vol": vol,
                    "vol_closed": vol_closed,
                    "margin": margin,
                    "value": value,
                    "net": net,
                    "margin_now": margin_now,
                    "leverage": leverage,
                    "terms": "0.0100% per 4 hours",
                    "rollovertm": "1700014400",
                    "misc": "",
                    "oflags": "",
                }
            )
        return rows

    def _collateral(self, account: SimAccount) -> tuple[float, float]:
        trade_balance = equivalent = 0.0
        for asset, amount in account.state.get("balances", {}).items():
            value = float(amount) * self.usd_price(asset)
            equivalent += value
            if not asset.endswith(EARN_SUFFIXES):
                trade_balance += value * ASSETS.get(asset, (asset, 8, 1.0, None))[2]
        return trade_balance, equivalent

    # --- handlers -----------------------------------------------------------------------------

    async def server_time(self, request: web.Request) -> web.Response:
        now = int(time.time())
        return web.json_response(
            {
                "error": [],
                "result": {
                    "unixtime": now,
                    "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now)),
                },
            }
        )

    async def system_status(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "error": [],
                "result": {"status": "online", "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ")},
            }
        )

    async def assets(self, request: web.Request) -> web.Response:
        result = {
            asset: {
                "aclass": "currency",
                "altname": alt,
                "decimals": decimals,
                "display_decimals": min(decimals, 5),
                "collateral_value": collateral,
                "status": "enabled",
            }
            for asset, (alt, decimals, collateral, _) in ASSETS.items()
        }
        return web.json_response({"error": [], "result": result})

    async def asset_pairs(self, request: web.Request) -> web.Response:
        result = {}
        for pair, (alt, wsname, base, quote, _) in PAIRS.items():
            result[pair] = {
                "altname": alt,
                "wsname": wsname,
                "aclass_base": "currency",
                "base": base,
                "aclass_quote": "currency",
                "quote": quote,
                "lot": "unit",
                "cost_decimals": 5,
                "pair_decimals": 1 if base == "XXBT" else 2,
                "lot_decimals": 8,
                "lot_multiplier": 1,
                "leverage_buy": [2, 3, 4, 5],
                "leverage_sell": [2, 3, 4, 5],
                "fees": [[0, 0.26], [50000, 0.24]],
                "fees_maker": [[0, 0.16], [50000, 0.14]],
                "fee_volume_currency": "ZUSD",
                "margin_call": self.margin_levels[0],
                "margin_stop": self.margin_levels[1],
                "ordermin": "0.0001",
                "costmin": "0.5",
                "tick_size": "0.1",
                "status": "online",
            }
        return web.json_response({"error": [], "result": result})

    async def ticker(self, request: web.Request) -> web.Response:
        wanted = request.query.get("pair")
        pairs = list(PAIRS)
        if wanted:
            pairs = [ALTNAME_TO_PAIR.get(p, p) for p in wanted.split(",")]
        result = {}
        for pair in pairs:
            if pair not in PAIRS:
                return self._error("EQuery:Unknown asset pair")
            price = _fmt(self.pair_price(pair), 5)
            result[pair] = {
                "a": [price, "1", "1.000"],
                "b": [price, "1", "1.000"],
                "c": [price, "0.01"],
                "v": ["100", "1000"],
                "p": [price, price],
                "t": [10, 100],
                "l": [price, price],
                "h": [price, price],
                "o": price,
            }
        return web.json_response({"error": [], "result": result})

    async def balance(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        result = {
            asset: _fmt(float(amount), 10)
            for asset, amount in account.state.get("balances", {}).items()
        }
        return web.json_response({"error": [], "result": result})

    async def balance_ex(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        result = {
            asset: {"balance": _fmt(float(amount), 10), "hold_trade": "0.0000000000"}
            for asset, amount in account.state.get("balances", {}).items()
        }
        return web.json_response({"error": [], "result": result})

    async def trade_balance(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        if params.get("asset", "ZUSD") not in ("ZUSD", "USD"):
            return self._error("EGeneral:Invalid arguments")
        positions = self._positions(account)
        trade_balance, equivalent = self._collateral(account)
        net = sum(p["net"] for p in positions)
        used = sum(p["margin_now"] for p in positions)
        equity = trade_balance + net
        result = {
            "eb": _fmt(equivalent),
            "tb": _fmt(trade_balance),
            "m": _fmt(used),
            "n": _fmt(net),
            "c": _fmt(sum(p["cost"] for p in positions)),
            "v": _fmt(sum(p["value"] for p in positions)),
            "e": _fmt(equity),
            "mf": _fmt(equity - used),
            "uv": "0.0000",
        }
        if used > 0:
            result["ml"] = _fmt(equity / used * 100, 2)
        return web.json_response({"error": [], "result": result})

    async def open_positions(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        docalcs = params.get("docalcs") == "true"
        rows = self._positions(account)
        if params.get("consolidation") == "market":
            return web.json_response({"error": [], "result": self._consolidated(rows, docalcs)})
        result: dict[str, Any] = {}
        for row in rows:
            out = {
                "ordertxid": row["ordertxid"],
                "posstatus": "open",
                "pair": row["pair"],
                "time": row["time"],
                "type": row["type"],
                "ordertype": row["ordertype"],
                "cost": _fmt(row["cost"], 5),
                "fee": _fmt(row["fee"], 5),
                "vol": _fmt(row["vol"], 8),
                "vol_closed": _fmt(row["vol_closed"], 8),
                "margin": _fmt(row["margin"], 5),
                "terms": row["terms"],
                "rollovertm": row["rollovertm"],
                "misc": "",
                "oflags": "",
            }
            if docalcs:
                out["value"] = _fmt(row["value"], 5)
                # Kraken prefixes a gain with "+": parse it as a string, not as JSON.
                out["net"] = ("+" if row["net"] > 0 else "") + _fmt(row["net"], 5)
            result[row["txid"]] = out
        return web.json_response({"error": [], "result": result})

    def _consolidated(self, rows: list[dict[str, Any]], docalcs: bool) -> list[dict[str, Any]]:
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            key = (row["pair"], row["type"])
            group = grouped.setdefault(
                key,
                {
                    "pair": row["pair"],
                    "type": row["type"],
                    "positions": 0,
                    "cost": 0.0,
                    "fee": 0.0,
                    "vol": 0.0,
                    "vol_closed": 0.0,
                    "margin": 0.0,
                    "value": 0.0,
                    "net": 0.0,
                    "leverage": row["leverage"],
                },
            )
            group["positions"] += 1
            for name in ("cost", "fee", "vol", "vol_closed", "margin", "value", "net"):
                group[name] += row[name]
        out = []
        for group in grouped.values():
            item = {
                name: (_fmt(value, 8) if isinstance(value, float) else str(value))
                for name, value in group.items()
            }
            if not docalcs:
                item.pop("value")
                item.pop("net")
            out.append(item)
        return out
