"""Kraken Futures dialect: instruments, tickers, the multi-collateral (flex) wallet and open
positions, with Kraken's Authent signature."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any, ClassVar

from aiohttp import web

from . import HeldPosition, Holdings, SimAccount, SimVenue, register

# contract id -> (unified symbol, margin bands as (USD notional floor, initial, maintenance))
CONTRACTS: dict[str, tuple[str, tuple[tuple[float, float, float], ...]]] = {
    "PF_XBTUSD": ("BTC/USD:USD", ((0, 0.02, 0.01), (500000, 0.04, 0.02), (2000000, 0.1, 0.05))),
    "PF_ETHUSD": ("ETH/USD:USD", ((0, 0.02, 0.01), (250000, 0.04, 0.02), (1000000, 0.1, 0.05))),
    "PF_SOLUSD": ("SOL/USD:USD", ((0, 0.05, 0.025), (100000, 0.1, 0.05))),
}
# Collateral haircuts of the multi-collateral wallet.
HAIRCUT = {"USD": 0.0, "USDT": 0.01, "USDC": 0.01, "EUR": 0.02, "XBT": 0.02, "ETH": 0.03}
PREFIXES = ("/derivatives/api/v3/", "/derivatives/apiv3/")
SYMBOL_TO_CONTRACT = {spec[0]: contract for contract, spec in CONTRACTS.items()}
# Kraken Futures calls bitcoin XBT; accounts files may say BTC.
COMMON_TO_CODE = {"BTC": "XBT"}


def _maintenance(
    bands: tuple[tuple[float, float, float], ...], notional: float, column: int
) -> float:
    """Incremental bands: each band's rate on the part of the notional inside it."""
    total = 0.0
    for i, band in enumerate(bands):
        floor = band[0]
        cap = bands[i + 1][0] if i + 1 < len(bands) else float("inf")
        if notional > floor:
            total += (min(notional, cap) - floor) * band[column]
    return total


@register
class KrakenFuturesSim(SimVenue):
    venue = "krakenfutures"
    default_prices: ClassVar[dict[str, float]] = {
        "BTC/USD:USD": 60000.0,
        "ETH/USD:USD": 3000.0,
        "SOL/USD:USD": 150.0,
        "EUR/USD": 1.08,
        "USDT/USD": 1.0,
        "USDC/USD": 1.0,
    }
    credentials = frozenset({"secret_base64"})
    public_prefixes = tuple(
        prefix + name for prefix in PREFIXES for name in ("instruments", "tickers")
    )

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        # ccxt's base URL ends in "/derivatives/api/"; the hub's host rewrite drops that final
        # slash, so requests may arrive as "/derivatives/apiv3/...": both are served.
        for prefix in PREFIXES:
            router.add_get(prefix + "instruments", self.instruments)
            router.add_get(prefix + "tickers", self.tickers)
            router.add_get(prefix + "accounts", self.private(self.accounts_handler))
            router.add_get(prefix + "openpositions", self.private(self.open_positions))

    # --- auth ---------------------------------------------------------------------------------

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        account = self.accounts.get(request.headers.get("APIKey", ""))
        if account is None:
            return self._error("authenticationError", status=401)
        endpoint = "/api/v3/" + request.path.rsplit("/", 1)[-1]
        post_data = request.rel_url.raw_query_string or body
        nonce = request.headers.get("Nonce", "")
        digest = hashlib.sha256((post_data + nonce + endpoint).encode()).digest()
        try:
            secret = base64.b64decode(account.secret, validate=True)
        except (binascii.Error, ValueError):
            return self._error("authenticationError", status=401)
        expected = base64.b64encode(hmac.new(secret, digest, hashlib.sha512).digest()).decode()
        if not hmac.compare_digest(expected, request.headers.get("Authent", "")):
            return self._error("authenticationError", status=401)
        return account

    def _error(self, error: str, status: int = 200) -> web.Response:
        return web.json_response(
            {
                "result": "error",
                "error": error,
                "serverTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            },
            status=status,
        )

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        if kind == "rate_limit":
            return self.with_retry_after(self._error("apiLimitExceeded", status=429), retry_after)
        if kind == "server_error":
            return web.Response(status=502, text="Bad Gateway")
        if kind == "maintenance":
            return self._error("unavailable", status=503)
        return self._error("authenticationError", status=401)

    # --- model --------------------------------------------------------------------------------

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())
        currencies = {COMMON_TO_CODE.get(k, k): v for k, v in holdings.balances.items()}
        self._only("balances", currencies, HAIRCUT)
        self._cross_only(holdings.positions)
        rows = []
        for position in holdings.positions:
            self._market(position, SYMBOL_TO_CONTRACT)
            rows.append(
                {
                    "symbol": SYMBOL_TO_CONTRACT[position.symbol],
                    "side": position.side,
                    "size": position.size,
                    "price": position.entry,
                }
            )
        return {"currencies": currencies, "positions": rows}

    def holdings(self, account: SimAccount) -> Holdings:
        positions = tuple(
            HeldPosition(
                symbol=CONTRACTS[row["symbol"].upper()][0],
                side="short" if row.get("side") == "short" else "long",
                size=float(row["size"]),
                entry=float(row["price"]),
            )
            for row in account.state.get("positions", [])
        )
        balances = {k: float(v) for k, v in account.state.get("currencies", {}).items()}
        return Holdings(balances, {}, positions)

    def _ccy_price(self, code: str) -> float:
        if code == "USD":
            return 1.0
        symbol = {"XBT": "BTC/USD:USD", "ETH": "ETH/USD:USD"}.get(code, f"{code}/USD")
        return self.price(symbol)

    def _positions(self, account: SimAccount) -> list[dict[str, Any]]:
        rows = []
        for spec in account.state.get("positions", []):
            contract = spec["symbol"].upper()
            symbol, bands = CONTRACTS[contract]
            size = float(spec["size"])
            sign = 1.0 if spec.get("side", "long") == "long" else -1.0
            entry = float(spec["price"])
            mark = self.price(symbol)
            notional = size * mark
            rows.append(
                {
                    "contract": contract,
                    "side": "long" if sign > 0 else "short",
                    "size": size,
                    "entry": entry,
                    "mark": mark,
                    "upnl": sign * size * (mark - entry),
                    "im": _maintenance(bands, notional, 1),
                    "mm": _maintenance(bands, notional, 2),
                    "funding": float(spec.get("unrealized_funding", 0.0)),
                }
            )
        return rows

    def _flex(self, account: SimAccount) -> dict[str, Any]:
        currencies = {}
        balance_value = collateral_value = 0.0
        for code, quantity in account.state.get("currencies", {}).items():
            value = float(quantity) * self._ccy_price(code)
            collateral = value * (1 - HAIRCUT.get(code, 0.1))
            currencies[code] = {
                "quantity": float(quantity),
                "value": value,
                "collateral": collateral,
                "available": float(quantity),
            }
            balance_value += value
            collateral_value += collateral
        positions = self._positions(account)
        pnl = sum(p["upnl"] for p in positions)
        funding = sum(p["funding"] for p in positions)
        # Kraken haircuts positive unrealised P&L like collateral (USD: none) and not losses.
        unrealized_as_margin = pnl + funding
        margin_equity = collateral_value + unrealized_as_margin
        initial = sum(p["im"] for p in positions)
        return {
            "currencies": currencies,
            "initialMargin": initial,
            "initialMarginWithOrders": initial,
            "maintenanceMargin": sum(p["mm"] for p in positions),
            "balanceValue": balance_value,
            "portfolioValue": balance_value + pnl + funding,
            "collateralValue": collateral_value,
            "pnl": pnl,
            "unrealizedFunding": funding,
            "totalUnrealized": pnl + funding,
            "totalUnrealizedAsMargin": unrealized_as_margin,
            "availableMargin": margin_equity - initial,
            "marginEquity": margin_equity,
            "type": "multiCollateralMarginAccount",
        }

    # --- handlers -----------------------------------------------------------------------------

    def _now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

    async def instruments(self, request: web.Request) -> web.Response:
        rows = []
        for contract, (_, bands) in CONTRACTS.items():
            rows.append(
                {
                    "symbol": contract,
                    "type": "flexible_futures",
                    "tradeable": True,
                    "underlying": "rr_" + contract[3:].lower(),
                    "tickSize": 0.5,
                    "contractSize": 1,
                    "marginLevels": [
                        {"numNonContractUnits": floor, "initialMargin": im, "maintenanceMargin": mm}
                        for floor, im, mm in bands
                    ],
                    "contractValueTradePrecision": 4,
                    "postOnly": False,
                    "openingDate": "2022-01-01T00:00:00.000Z",
                    "fundingRateCoefficient": 8,
                    "maxRelativeFundingRate": 0.001,
                    "isin": "GB00J62YGL67",
                    "impactMidSize": 1,
                    "maxPositionSize": 1000000,
                    "tags": [],
                    "category": "Layer 1",
                }
            )
        return web.json_response(
            {"result": "success", "instruments": rows, "serverTime": self._now()}
        )

    async def tickers(self, request: web.Request) -> web.Response:
        rows = [
            {
                "symbol": contract,
                "markPrice": self.price(symbol),
                "last": self.price(symbol),
                "tag": "perpetual",
                "pair": contract[3:],
                "suspended": False,
            }
            for contract, (symbol, _) in CONTRACTS.items()
        ]
        return web.json_response({"result": "success", "tickers": rows, "serverTime": self._now()})

    async def accounts_handler(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        return web.json_response(
            {
                "result": "success",
                "serverTime": self._now(),
                "accounts": {
                    "cash": {"type": "cashAccount", "balances": {}},
                    "flex": self._flex(account),
                },
            }
        )

    async def open_positions(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        rows = [
            {
                "side": p["side"],
                "symbol": p["contract"],
                "price": p["entry"],
                "fillTime": "2024-03-03T22:51:16.566Z",
                "size": p["size"],
                "unrealizedFunding": p["funding"],
                "pnlCurrency": "USD",
            }
            for p in self._positions(account)
        ]
        return web.json_response(
            {"result": "success", "openPositions": rows, "serverTime": self._now()}
        )
