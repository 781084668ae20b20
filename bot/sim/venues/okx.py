"""OKX v5 dialect: instruments, account config, balance and positions (HMAC-SHA256, passphrase)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web

from . import HeldPosition, Holdings, SimAccount, SimVenue, register

# unified symbol -> (instId, instType, uly, settle, ctVal, ctType, maintenance rate)
INSTRUMENTS: dict[str, tuple[str, str, str, str, float, str, float]] = {
    "BTC/USDT:USDT": ("BTC-USDT-SWAP", "SWAP", "BTC-USDT", "USDT", 0.01, "linear", 0.004),
    "ETH/USDT:USDT": ("ETH-USDT-SWAP", "SWAP", "ETH-USDT", "USDT", 0.1, "linear", 0.004),
    # 0.001 LTC a contract, as in ccxt's OKX markets fixture, so its recordings replay here.
    "LTC/USDT:USDT": ("LTC-USDT-SWAP", "SWAP", "LTC-USDT", "USDT", 0.001, "linear", 0.0065),
    "BTC/USD:BTC": ("BTC-USD-SWAP", "SWAP", "BTC-USD", "BTC", 100.0, "inverse", 0.004),
}
# Discount rate per currency for adjusted equity (OKX tiers these by amount; tier 1 shown).
DISCOUNT = {"USDT": 1.0, "USDC": 1.0, "BTC": 0.98, "ETH": 0.98, "LTC": 0.95}
# mgnRatio's denominator adds the fee of closing every position (taker, on notional).
TAKER_FEE = 0.0005
TIMESTAMP_WINDOW_S = 30.0


def _s(value: float, decimals: int = 8) -> str:
    return f"{value:.{decimals}f}"


@register
class OkxSim(SimVenue):
    venue = "okx"
    default_prices: ClassVar[dict[str, float]] = {
        "BTC/USDT:USDT": 60000.0,
        "ETH/USDT:USDT": 3000.0,
        "LTC/USDT:USDT": 80.0,
        "BTC/USD:BTC": 60000.0,
    }
    public_prefixes = ("/api/v5/public/",)
    credentials = frozenset({"secret", "passphrase"})

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v5/public/time", self.server_time)
        router.add_get("/api/v5/public/instruments", self.instruments)
        router.add_get("/api/v5/account/config", self.private(self.config))
        router.add_get("/api/v5/account/balance", self.private(self.balance))
        router.add_get("/api/v5/account/positions", self.private(self.positions))

    # --- auth ---------------------------------------------------------------------------------

    def authenticate(self, request: web.Request, body: str) -> SimAccount | web.Response:
        headers = request.headers
        account = self.accounts.get(headers.get("OK-ACCESS-KEY", ""))
        if account is None:
            return self._error("50111", "Invalid OK-ACCESS-KEY", status=401)
        stamp = headers.get("OK-ACCESS-TIMESTAMP", "")
        try:
            sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            return self._error("50112", "Invalid OK-ACCESS-TIMESTAMP", status=401)
        if abs(time.time() - sent.timestamp()) > TIMESTAMP_WINDOW_S:
            return self._error("50102", "Timestamp request expired", status=401)
        if headers.get("OK-ACCESS-PASSPHRASE", "") != (account.passphrase or ""):
            return self._error("50105", "OK-ACCESS-PASSPHRASE incorrect", status=401)
        query = request.rel_url.raw_query_string
        prehash = stamp + request.method + request.path + ("?" + query if query else "") + body
        expected = base64.b64encode(
            hmac.new(account.secret.encode(), prehash.encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(expected, headers.get("OK-ACCESS-SIGN", "")):
            return self._error("50113", "Invalid Sign", status=401)
        return account

    def _error(self, code: str, message: str, status: int = 200) -> web.Response:
        return web.json_response({"code": code, "msg": message, "data": []}, status=status)

    def _ok(self, data: list[dict[str, Any]]) -> web.Response:
        return web.json_response({"code": "0", "msg": "", "data": data})

    def error_response(self, kind: str, retry_after: float | None) -> web.Response:
        if kind == "rate_limit":
            limited = self._error("50011", "Too Many Requests", status=429)
            return self.with_retry_after(limited, retry_after)
        if kind == "server_error":
            return web.Response(status=502, text="Bad Gateway")
        if kind == "maintenance":
            return self._error(
                "50001", "Service temporarily unavailable. Please try again later.", status=503
            )
        if kind == "permission":
            return self._error(
                "50110", "Your IP is not included in your API key's IP whitelist.", status=401
            )
        if kind == "revoked_key":
            return self._error("50100", "API frozen, please contact customer service.", status=401)
        return self._error("50111", "Invalid OK-ACCESS-KEY", status=401)

    # --- model --------------------------------------------------------------------------------

    def ccy_price(self, ccy: str) -> float:
        if ccy in ("USDT", "USDC", "USD"):
            return 1.0
        return self.price(f"{ccy}/USDT:USDT")

    def seed_state(self, holdings: Holdings) -> dict[str, Any]:
        self._only("borrowed", holdings.borrowed, ())
        self._only("balances", holdings.balances, DISCOUNT)
        rows = []
        for position in holdings.positions:
            self._market(position, INSTRUMENTS)
            row: dict[str, Any] = {
                "symbol": position.symbol,
                "side": position.side,
                "contracts": position.size,
                "entry": position.entry,
                "mode": position.margin_mode or "cross",
            }
            if position.leverage is not None:
                row["lever"] = position.leverage
            rows.append(row)
        state = {"balances": dict(holdings.balances), "positions": rows}
        # OKX freezes an isolated position's margin out of its currency's cash: an account
        # without that cash could not have opened it.
        needed: dict[str, float] = {}
        for p in self._positions(SimAccount("", "", state=state)):
            if p["mgnMode"] == "isolated":
                needed[p["ccy"]] = needed.get(p["ccy"], 0.0) + p["margin"]
        for ccy, margin in needed.items():
            held = float(holdings.balances.get(ccy, 0.0))
            if margin > held:
                raise ValueError(
                    f"the isolated positions need {margin:.8g} {ccy} of margin, "
                    f"the balances hold {held:g} {ccy}"
                )
        return state

    def holdings(self, account: SimAccount) -> Holdings:
        positions = tuple(
            HeldPosition(
                symbol=row["symbol"],
                side="short" if row.get("side") == "short" else "long",
                size=float(row["contracts"]),
                entry=float(row["entry"]),
                leverage=float(row["lever"]) if "lever" in row else None,
                margin_mode="isolated" if row.get("mode") == "isolated" else "cross",
            )
            for row in account.state.get("positions", [])
        )
        balances = {k: float(v) for k, v in account.state.get("balances", {}).items()}
        return Holdings(balances, {}, positions)

    def _positions(self, account: SimAccount) -> list[dict[str, Any]]:
        """Each position with OKX's figures. An isolated one carries its own margin, fixed at
        the opening (``notional at entry / lever``, or a ``margin`` the state sets, as after
        adding margin), set aside from the cross equity (OKX "Isolated margin mode")."""
        rows = []
        for spec in account.state.get("positions", []):
            symbol = spec["symbol"]
            inst_id, inst_type, _, settle, ct_val, ct_type, rate = INSTRUMENTS[symbol]
            contracts = float(spec["contracts"]) * (-1 if spec.get("side") == "short" else 1)
            entry = float(spec["entry"])
            mark = self.price(symbol)
            lever = float(spec.get("lever", 10))
            face = abs(contracts) * ct_val
            if ct_type == "inverse":
                notional = face / mark  # coin
                upl = contracts * ct_val * (1 / entry - 1 / mark)
                notional_usd = face
                opening = face / entry  # coin
            else:
                notional = face * mark
                upl = contracts * ct_val * (mark - entry)
                notional_usd = notional * self.ccy_price(settle)
                opening = face * entry
            isolated = spec.get("mode") == "isolated"
            margin = float(spec.get("margin", opening / lever)) if isolated else 0.0
            rows.append(
                {
                    "instId": inst_id,
                    "instType": inst_type,
                    "ccy": settle,
                    "pos": contracts,
                    "avgPx": entry,
                    "markPx": mark,
                    "upl": upl,
                    "lever": lever,
                    "rate": rate,
                    "mmr": notional * rate,
                    "imr": notional / lever,
                    # What closing the position costs at the mark: in mgnRatio's denominator.
                    "fee": notional * TAKER_FEE,
                    "margin": margin,
                    "notionalUsd": notional_usd,
                    "mgnMode": "isolated" if isolated else "cross",
                    "price": self.ccy_price(settle),
                    "ct_val": ct_val,
                    "ct_type": ct_type,
                }
            )
        return rows

    def _usd(self, p: dict[str, Any], amount: float) -> float:
        """A position's amount (settle currency; coin for inverse) in USD."""
        return amount * (p["price"] if p["ct_type"] == "linear" else p["markPx"])

    def _figures(self, account: SimAccount) -> dict[str, Any]:
        positions = self._positions(account)
        details: dict[str, dict[str, float]] = {
            ccy: {"cash": float(amount), "upl": 0.0, "iso_upl": 0.0, "iso_margin": 0.0}
            for ccy, amount in account.state.get("balances", {}).items()
        }
        blank = {"cash": 0.0, "upl": 0.0, "iso_upl": 0.0, "iso_margin": 0.0}
        for p in positions:
            row = details.setdefault(p["ccy"], dict(blank))
            row["upl"] += p["upl"]
            if p["mgnMode"] == "isolated":
                # The margin stays in the cash balance (frozen) but belongs to the position.
                row["iso_upl"] += p["upl"]
                row["iso_margin"] += p["margin"]
        adj_eq = total_eq = iso_eq = 0.0
        for ccy, row in details.items():
            price = self.ccy_price(ccy)
            row["eq"] = row["cash"] + row["upl"]
            row["iso_eq"] = row["iso_margin"] + row["iso_upl"]
            row["eq_usd"] = row["eq"] * price
            # Only the cross equity backs the cross positions (adjEq): isoEq is set aside.
            row["dis_eq"] = (row["eq"] - row["iso_eq"]) * price * DISCOUNT.get(ccy, 0.9)
            adj_eq += row["dis_eq"]
            total_eq += row["eq_usd"]
            iso_eq += row["iso_eq"] * price
        cross = [p for p in positions if p["mgnMode"] == "cross"]
        return {
            "positions": positions,
            "details": details,
            "adj_eq": adj_eq,
            "total_eq": total_eq,
            "iso_eq": iso_eq,
            "mmr": sum(self._usd(p, p["mmr"]) for p in cross),
            "imr": sum(self._usd(p, p["imr"]) for p in cross),
            "fees": sum(p["notionalUsd"] for p in cross) * TAKER_FEE,
        }

    def _margin_ratio(self, f: dict[str, Any], p: dict[str, Any]) -> str:
        """mgnRatio of a position: its own pool's for an isolated one, the account's for cross."""
        if p["mgnMode"] == "isolated":
            return _s((p["margin"] + p["upl"]) / (p["mmr"] + p["fee"]))
        return _s(f["adj_eq"] / (f["mmr"] + f["fees"])) if f["mmr"] else ""

    def _liq_px(self, f: dict[str, Any], p: dict[str, Any]) -> str:
        """OKX's estimated liquidation price.

        Isolated: where the position's own margin ratio reaches 100 %, i.e. margin + upl equals
        maintenance + the fee to close, both at that price (OKX "Isolated margin mode"). Cross
        (linear only): the mark at which this leg alone brings the account's mgnRatio to 100 %,
        the account's maintenance held at today's.
        """
        q = p["pos"] * p["ct_val"]
        face = abs(q)
        rate = p["rate"] + TAKER_FEE
        if p["mgnMode"] == "isolated":
            if p["ct_type"] == "inverse":
                # margin + q·(1/E − 1/P) = |q|·rate / P   (coin)
                price = (q + face * rate) / (p["margin"] + q / p["avgPx"])
            else:
                # margin + q·(P − E) = |q|·P·rate
                price = (q * p["avgPx"] - p["margin"]) / (q - face * rate)
        elif p["ct_type"] != "linear":
            return ""
        else:
            cushion = f["adj_eq"] - f["mmr"] - f["fees"]
            price = p["markPx"] - cushion / q
        return _s(price, 2) if 0 < price < float("inf") else ""

    # --- handlers -----------------------------------------------------------------------------

    async def server_time(self, request: web.Request) -> web.Response:
        return self._ok([{"ts": str(int(time.time() * 1000))}])

    async def instruments(self, request: web.Request) -> web.Response:
        inst_type = request.query.get("instType", "SWAP")
        rows = []
        for inst_id, kind, uly, settle, ct_val, ct_type, _ in INSTRUMENTS.values():
            if kind != inst_type:
                continue
            base, quote = uly.split("-")
            rows.append(
                {
                    "instType": kind,
                    "instId": inst_id,
                    "uly": uly,
                    "instFamily": uly,
                    "baseCcy": "",
                    "quoteCcy": "",
                    "settleCcy": settle,
                    "ctVal": str(ct_val),
                    "ctMult": "1",
                    "ctValCcy": base if ct_type == "linear" else quote,
                    "ctType": ct_type,
                    "listTime": "1611916828000",
                    "expTime": "",
                    "lever": "100",
                    "tickSz": "0.1",
                    "lotSz": "1",
                    "minSz": "1",
                    "maxLmtSz": "100000000",
                    "maxMktSz": "10000",
                    "state": "live",
                    "alias": "",
                    "optType": "",
                    "stk": "",
                }
            )
        return self._ok(rows)

    async def config(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        return self._ok(
            [
                {
                    "acctLv": str(account.state.get("acct_lv", "3")),
                    "autoLoan": False,
                    "ctIsoMode": "automatic",
                    "greeksType": "PA",
                    "level": "Lv1",
                    "levelTmp": "",
                    "mgnIsoMode": "automatic",
                    "posMode": "net_mode",
                    "perm": account.state.get("perm", "read_only"),
                    "uid": "44705892343619584",
                    "mainUid": "44705892343619584",
                    "label": "marginwatch",
                    "ip": "",
                    "kycLv": "2",
                    "roleType": "0",
                    "spotRoleType": "0",
                    "opAuth": "0",
                    "traderInsts": [],
                    "spotTraderInsts": [],
                    "liquidationGear": "-1",
                }
            ]
        )

    async def balance(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        f = self._figures(account)
        details = []
        for ccy, row in f["details"].items():
            details.append(
                {
                    "ccy": ccy,
                    # cashBal holds the isolated margin too (frozen): availBal is what is left.
                    "cashBal": _s(row["cash"]),
                    "eq": _s(row["eq"]),
                    "eqUsd": _s(row["eq_usd"]),
                    "disEq": _s(row["dis_eq"]),
                    "availBal": _s(row["cash"] - row["iso_margin"]),
                    "availEq": _s(row["eq"] - row["iso_eq"]),
                    "frozenBal": _s(row["iso_margin"]),
                    "ordFrozen": "0",
                    "liab": "0",
                    "crossLiab": "0",
                    "isoLiab": "0",
                    "interest": "0",
                    "upl": _s(row["upl"]),
                    "uplLiab": "0",
                    "isoEq": _s(row["iso_eq"]),
                    "isoUpl": _s(row["iso_upl"]),
                    "mgnRatio": "",
                    "imr": "",
                    "mmr": "",
                    "notionalLever": "",
                    "maxLoan": "0",
                    "twap": "0",
                    "collateralEnabled": True,
                    "uTime": "1705474164160",
                }
            )
        denominator = f["mmr"] + f["fees"]
        top = {
            "adjEq": _s(f["adj_eq"]),
            "totalEq": _s(f["total_eq"]),
            "imr": _s(f["imr"]),
            "mmr": _s(f["mmr"]),
            "mgnRatio": _s(f["adj_eq"] / denominator) if denominator else "",
            "notionalUsd": _s(sum(p["notionalUsd"] for p in f["positions"])),
            "upl": _s(sum(p["upl"] * p["price"] for p in f["positions"])),
            "isoEq": _s(f["iso_eq"]),
            "ordFroz": "0",
            "borrowFroz": "0",
            "availEq": _s(f["adj_eq"] - f["imr"]),
            "uTime": str(int(time.time() * 1000)),
            "details": details,
        }
        return self._ok([top])

    async def positions(
        self, request: web.Request, account: SimAccount, params: dict[str, str]
    ) -> web.Response:
        f = self._figures(account)
        rows = []
        for p in f["positions"]:
            isolated = p["mgnMode"] == "isolated"
            rows.append(
                {
                    "instId": p["instId"],
                    "instType": p["instType"],
                    "mgnMode": p["mgnMode"],
                    "posSide": "net",
                    "pos": _s(p["pos"], 2),
                    "availPos": _s(abs(p["pos"]), 2),
                    "avgPx": _s(p["avgPx"], 2),
                    "markPx": _s(p["markPx"], 2),
                    "upl": _s(p["upl"]),
                    "uplRatio": "0",
                    "lever": _s(p["lever"], 0),
                    "liqPx": self._liq_px(f, p),
                    "imr": "" if isolated else _s(p["imr"]),
                    "margin": _s(p["margin"]) if isolated else "",
                    "mmr": _s(p["mmr"]),
                    "mgnRatio": self._margin_ratio(f, p),
                    "notionalUsd": _s(p["notionalUsd"]),
                    "ccy": p["ccy"],
                    "liab": "",
                    "liabCcy": "",
                    "interest": "",
                    "adl": "1",
                    "posId": "1",
                    "cTime": "1706612162996",
                    "uTime": "1706612162996",
                    "last": _s(p["markPx"], 2),
                    "idxPx": _s(p["markPx"], 2),
                }
            )
        return self._ok(rows)
