"""Each venue's request limits in one table: scope, window, the cost of every endpoint the
adapters call, and the answers that mean "limited" and "banned". One place, like
``risk/profiles.py`` is for margin rules.

The product's request budget (:mod:`bot.exchanges.budget`) charges by this table before a request
leaves, and the exchange simulator (:mod:`bot.sim.limits`) enforces the same table as the venue
would, so tests, the demo and the benchmarks run under these limits. This module imports only the
standard library for that reason: the simulator may read it without importing ccxt.

Vocabulary:

- A :class:`Bucket` is one limit: ``scope`` ``"ip"`` (everything sent from one address shares
  it) or ``"key"`` (per API key / UID), ``limit`` cost per ``window`` seconds. ``kind`` is how
  the venue counts: ``"fixed"`` windows reset on the clock (Binance's per-minute weight),
  ``"rolling"`` windows look back ``window`` seconds, ``"decay"`` is a counter that drains at
  ``limit / window`` per second (Kraken's per-key counter). ``per_endpoint`` buckets are kept
  apart per endpoint as well (Bybit and OKX meter each endpoint per UID).
- A :class:`Cost` is what one request charges, by bucket name, keyed by the venue's own
  ``METHOD /path`` (what its documentation lists, and what the simulator sees), plus the body
  field value for venues whose reads share one path (Hyperliquid's ``POST /info`` ``type``).
- An :class:`Answer` recognises the venue saying "limited" or "banned": an HTTP status and/or a
  marker in the body, the scope it concerns, and how long it lasts when no ``Retry-After`` is
  given.

Figures are the venues' published ones (each bucket names its source); where a venue publishes
only an approximate figure the bucket says so. Where a venue has tiers (Kraken's counter), the
lowest tier is used: the budget must hold for every user's key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["ip", "key"]
WindowKind = Literal["fixed", "rolling", "decay"]
Verdict = Literal["limited", "banned"]


@dataclass(frozen=True)
class Reported:
    """Response headers in which the venue reports its own count of a bucket."""

    used: str | None = None  # cost used in the current window (Binance X-MBX-USED-WEIGHT-1M)
    remaining: str | None = None  # cost left in the current window (Bybit X-Bapi-Limit-Status)
    limit: str | None = None  # the bucket's limit for this caller (Bybit X-Bapi-Limit)


@dataclass(frozen=True)
class Bucket:
    name: str  # shared by venues that share the limit (Binance's /sapi is one per IP)
    scope: Scope
    limit: float
    window: float  # seconds; for "decay", the time a full counter takes to drain
    kind: WindowKind
    unit: str  # how the venue names what is counted: "weight", "requests", "points", "cost"
    source: str
    reported: Reported | None = None
    per_endpoint: bool = False
    approximate: bool = False  # the venue gives only an approximate figure
    # What the venue answers the request that goes over: "limited", or a ban at once (Bybit's
    # per-IP limit answers 403 and locks the IP out for ten minutes).
    exceeded: Verdict = "limited"

    def describe(self) -> str:
        """``"2,400 weight per minute per IP"``: the limit in words, for logs and /healthz."""
        per = "IP" if self.scope == "ip" else "API key"
        if self.per_endpoint:
            per += " and endpoint"
        if self.kind == "decay":
            return (
                f"a counter of {self.limit:g} {self.unit} per {per} draining "
                f"{self.limit / self.window:.2g} a second"
            )
        span = _span(self.window)
        about = "about " if self.approximate else ""
        return f"{about}{self.limit:,.0f} {self.unit} per {span} per {per}"


def _span(seconds: float) -> str:
    if seconds == 60:
        return "minute"
    if seconds == 1:
        return "second"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} s"


@dataclass(frozen=True)
class Cost:
    method: str
    path: str  # the venue's own path, e.g. "/fapi/v3/account"
    charges: Mapping[str, float]  # bucket name -> cost
    kind: str | None = None  # body discriminator value, for venues whose reads share a path


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    status: int | None = None
    marker: str | None = None  # a text the body holds
    code: tuple[str, str] | None = None  # a JSON body field and its value: ("retCode", "10006")
    scope: Scope | None = None  # None: every bucket the request was charged in
    lasts: float | None = None  # seconds when no Retry-After came (None: the bucket's window)

    def matches(self, status: int, body: str) -> bool:
        if self.status is not None and status != self.status:
            return False
        if self.marker is not None and self.marker not in body:
            return False
        return self.code is None or _field(body, self.code[0]) == self.code[1]


def _field(body: str, name: str) -> str | None:
    if f'"{name}"' not in body:  # most answers: no need to parse them
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    value = decoded.get(name) if isinstance(decoded, dict) else None
    return None if value is None else str(value)


@dataclass(frozen=True)
class VenueLimits:
    venue: str
    operator: str  # who sets the limit, for sentences: "Binance", "Bybit"
    buckets: tuple[Bucket, ...]
    costs: tuple[Cost, ...]
    answers: tuple[Answer, ...]
    # What a request missing from ``costs`` is charged (the venue's dearest read: a request the
    # table does not know is never charged too little).
    default_charges: Mapping[str, float]
    key_header: str | None = None  # the request header carrying the API key (the simulator's key)
    body_field: str | None = None  # the JSON body field that tells reads on one path apart
    _index: dict[tuple[str, str, str | None], Mapping[str, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        names = {bucket.name for bucket in self.buckets}
        for cost in (*self.costs, Cost("*", "*", self.default_charges)):
            unknown = set(cost.charges) - names
            if unknown:
                raise ValueError(f"{self.venue}: {cost.path} charges unknown buckets {unknown}")
        for cost in self.costs:
            self._index[(cost.method.upper(), cost.path, cost.kind)] = cost.charges

    def bucket(self, name: str) -> Bucket:
        for bucket in self.buckets:
            if bucket.name == name:
                return bucket
        raise KeyError(name)

    def charges(self, method: str, path: str, kind: str | None = None) -> Mapping[str, float]:
        """What ``METHOD path`` (with body ``kind``) costs, by bucket name."""
        key = (method.upper(), path)
        found = self._index.get((*key, kind))
        if found is None and kind is not None:
            found = self._index.get((*key, None))
        return found if found is not None else self.default_charges

    def answer(self, status: int, body: str) -> Answer | None:
        """The first answer in the table this response is, or None (not a limit)."""
        return next((a for a in self.answers if a.matches(status, body)), None)

    @property
    def first_ip_bucket(self) -> Bucket | None:
        return next((b for b in self.buckets if b.scope == "ip"), None)


# --- the venues --------------------------------------------------------------------------------

BINANCE_LIMITS_DOC = "developers.binance.com, General Info: LIMITS (IP limits, 429, 418)"
_BINANCE_USED = Reported(used="X-MBX-USED-WEIGHT-1M")
_BINANCE_ANSWERS = (
    # "A 429 will be returned when either rate limit is violated"; "repeatedly violating rate
    # limits and/or failing to back off after receiving 429s will result in an automated IP ban
    # (HTTP status 418)", lasting "from 2 minutes to 3 days". Both carry Retry-After.
    Answer("banned", status=418, scope="ip", lasts=120.0),
    Answer("limited", status=429, scope="ip"),
)
BINANCE_SAPI = Bucket(
    "binance:sapi",
    "ip",
    12_000,
    60,
    "fixed",
    "weight",
    "developers.binance.com, Wallet/Margin 'LIMITS': /sapi/* IP weight 12,000 per minute",
    Reported(used="X-SAPI-USED-IP-WEIGHT-1M"),
)
_API_RESTRICTIONS = Cost("GET", "/sapi/v1/account/apiRestrictions", {"binance:sapi": 1})

BINANCEUSDM = VenueLimits(
    venue="binanceusdm",
    operator="Binance",
    buckets=(
        Bucket(
            "binance:fapi",
            "ip",
            2_400,
            60,
            "fixed",
            "weight",
            "developers.binance.com, USDⓈ-M Futures General Info: REQUEST_WEIGHT 2400 per "
            "minute (exchangeInfo rateLimits); 'limits are based on IPs'",
            _BINANCE_USED,
        ),
        BINANCE_SAPI,
    ),
    costs=(
        Cost("GET", "/fapi/v1/exchangeInfo", {"binance:fapi": 1}),
        Cost("GET", "/fapi/v1/time", {"binance:fapi": 1}),
        Cost("GET", "/fapi/v3/account", {"binance:fapi": 5}),  # Account Information V3
        Cost("GET", "/fapi/v3/positionRisk", {"binance:fapi": 5}),  # Position Information V3
        Cost("GET", "/fapi/v1/leverageBracket", {"binance:fapi": 1}),  # Notional and Leverage
        _API_RESTRICTIONS,
    ),
    answers=_BINANCE_ANSWERS,
    default_charges={"binance:fapi": 5},
    key_header="X-MBX-APIKEY",
)

BINANCECOINM = VenueLimits(
    venue="binancecoinm",
    operator="Binance",
    buckets=(
        Bucket(
            "binance:dapi",
            "ip",
            2_400,
            60,
            "fixed",
            "weight",
            "developers.binance.com, COIN-M Futures General Info: REQUEST_WEIGHT 2400 per minute",
            _BINANCE_USED,
        ),
        BINANCE_SAPI,
    ),
    costs=(
        Cost("GET", "/dapi/v1/exchangeInfo", {"binance:dapi": 1}),
        Cost("GET", "/dapi/v1/time", {"binance:dapi": 1}),
        Cost("GET", "/dapi/v1/account", {"binance:dapi": 5}),
        Cost("GET", "/dapi/v1/positionRisk", {"binance:dapi": 1}),
        Cost("GET", "/dapi/v2/leverageBracket", {"binance:dapi": 2}),  # without a symbol
        _API_RESTRICTIONS,
    ),
    answers=_BINANCE_ANSWERS,
    default_charges={"binance:dapi": 5},
    key_header="X-MBX-APIKEY",
)

BINANCE_MARGIN = VenueLimits(
    venue="binance",
    operator="Binance",
    buckets=(
        Bucket(
            "binance:api",
            "ip",
            6_000,
            60,
            "fixed",
            "weight",
            "developers.binance.com, Spot General Info: REQUEST_WEIGHT 6000 per minute per IP",
            _BINANCE_USED,
        ),
        BINANCE_SAPI,
    ),
    costs=(
        Cost("GET", "/api/v3/exchangeInfo", {"binance:api": 20}),
        Cost("GET", "/api/v3/ticker/price", {"binance:api": 4}),  # every symbol
        Cost("GET", "/api/v3/time", {"binance:api": 1}),
        Cost("GET", "/sapi/v1/margin/account", {"binance:sapi": 10}),  # Weight(IP): 10
        _API_RESTRICTIONS,
    ),
    answers=_BINANCE_ANSWERS,
    default_charges={"binance:sapi": 10},
    key_header="X-MBX-APIKEY",
)

_BYBIT_DOC = "bybit-exchange.github.io/docs/v5/rate-limit"
BYBIT = VenueLimits(
    venue="bybit",
    operator="Bybit",
    buckets=(
        Bucket(
            "bybit:ip",
            "ip",
            600,
            5,
            "rolling",
            "requests",
            f"{_BYBIT_DOC}: 600 requests within a 5-second window per IP; '403, access too "
            "frequent': wait at least 10 minutes",
            exceeded="banned",
        ),
        Bucket(
            "bybit:uid",
            "key",
            10,
            1,
            "rolling",
            "requests",
            f"{_BYBIT_DOC}: per second per UID and endpoint (10 unless X-Bapi-Limit says more)",
            Reported(remaining="X-Bapi-Limit-Status", limit="X-Bapi-Limit"),
            per_endpoint=True,
        ),
    ),
    costs=(
        Cost("GET", "/v5/market/time", {"bybit:ip": 1}),
        Cost("GET", "/v5/market/instruments-info", {"bybit:ip": 1}),
        Cost("GET", "/v5/account/wallet-balance", {"bybit:ip": 1, "bybit:uid": 1}),
        Cost("GET", "/v5/position/list", {"bybit:ip": 1, "bybit:uid": 1}),
        Cost("GET", "/v5/user/query-api", {"bybit:ip": 1, "bybit:uid": 1}),
    ),
    answers=(
        Answer("banned", status=403, scope="ip", lasts=600.0),
        Answer("limited", code=("retCode", "10006"), scope="key"),  # Too many visits!
    ),
    default_charges={"bybit:ip": 1, "bybit:uid": 1},
    key_header="X-BAPI-API-KEY",
)

_OKX_DOC = "www.okx.com/docs-v5: each endpoint's 'Rate Limit' and 'Rate limit rule'"
OKX = VenueLimits(
    venue="okx",
    operator="OKX",
    buckets=(
        Bucket("okx:balance", "key", 10, 2, "rolling", "requests", f"{_OKX_DOC} (UserID)"),
        Bucket("okx:positions", "key", 10, 2, "rolling", "requests", f"{_OKX_DOC} (UserID)"),
        Bucket("okx:config", "key", 5, 2, "rolling", "requests", f"{_OKX_DOC} (UserID)"),
        Bucket("okx:instruments", "ip", 20, 2, "rolling", "requests", f"{_OKX_DOC} (IP)"),
        Bucket("okx:time", "ip", 10, 2, "rolling", "requests", f"{_OKX_DOC} (IP)"),
    ),
    costs=(
        Cost("GET", "/api/v5/public/time", {"okx:time": 1}),
        Cost("GET", "/api/v5/public/instruments", {"okx:instruments": 1}),
        Cost("GET", "/api/v5/account/config", {"okx:config": 1}),
        Cost("GET", "/api/v5/account/balance", {"okx:balance": 1}),
        Cost("GET", "/api/v5/account/positions", {"okx:positions": 1}),
    ),
    # 50011 "Rate limit reached" (HTTP 429): the scope of the endpoint that answered it.
    answers=(Answer("limited", code=("code", "50011")), Answer("limited", status=429)),
    default_charges={"okx:config": 1},
    key_header="OK-ACCESS-KEY",
)

_KRAKEN_DOC = "docs.kraken.com, Spot REST rate limits"
KRAKEN = VenueLimits(
    venue="kraken",
    operator="Kraken",
    buckets=(
        Bucket(
            "kraken:counter",
            "key",
            15,
            15 / 0.33,
            "decay",
            "points",
            f"{_KRAKEN_DOC}: per-key counter, +1 per call, Starter tier maximum 15 decaying "
            "0.33 per second (Intermediate 20 / 0.5, Pro 20 / 1)",
        ),
        Bucket(
            "kraken:public",
            "ip",
            1,
            1,
            "rolling",
            "requests",
            f"{_KRAKEN_DOC}: public endpoints about one call per second per IP",
            approximate=True,
        ),
    ),
    costs=(
        Cost("GET", "/0/public/Time", {"kraken:public": 1}),
        Cost("GET", "/0/public/Assets", {"kraken:public": 1}),
        Cost("GET", "/0/public/AssetPairs", {"kraken:public": 1}),
        Cost("GET", "/0/public/Ticker", {"kraken:public": 1}),
        Cost("POST", "/0/private/TradeBalance", {"kraken:counter": 1}),
        Cost("POST", "/0/private/OpenPositions", {"kraken:counter": 1}),
        Cost("POST", "/0/private/BalanceEx", {"kraken:counter": 1}),
    ),
    answers=(
        # Kraken locks a key out for a while after repeated violations.
        Answer("banned", marker="EGeneral:Temporary lockout", scope="key", lasts=900.0),
        Answer("limited", marker="EAPI:Rate limit exceeded", scope="key"),
        Answer("limited", marker="EGeneral:Too many requests", scope="ip"),
    ),
    default_charges={"kraken:counter": 2},  # ledger and trade history calls cost 2
    key_header="API-Key",
)

KRAKENFUTURES = VenueLimits(
    venue="krakenfutures",
    operator="Kraken Futures",
    buckets=(
        Bucket(
            "krakenfutures:derivatives",
            "key",
            500,
            10,
            "rolling",
            "cost",
            "docs.kraken.com, Derivatives Rate Limits: /derivatives endpoints 500 every 10 "
            "seconds; accounts 2, openpositions 2; public endpoints have no cost",
        ),
    ),
    costs=tuple(
        cost
        for prefix in ("/derivatives/api/v3/", "/derivatives/apiv3/")
        for cost in (
            Cost("GET", prefix + "instruments", {}),
            Cost("GET", prefix + "tickers", {}),
            Cost("GET", prefix + "accounts", {"krakenfutures:derivatives": 2}),
            Cost("GET", prefix + "openpositions", {"krakenfutures:derivatives": 2}),
        )
    ),
    answers=(Answer("limited", marker="apiLimitExceeded", scope="key"),),
    default_charges={"krakenfutures:derivatives": 10},
    key_header="APIKey",
)

_HL_DOC = "hyperliquid.gitbook.io, API > Rate limits and user limits"
HYPERLIQUID = VenueLimits(
    venue="hyperliquid",
    operator="Hyperliquid",
    buckets=(
        Bucket(
            "hyperliquid:ip",
            "ip",
            1_200,
            60,
            "rolling",
            "weight",
            f"{_HL_DOC}: REST requests share an aggregated weight limit of 1200 per minute per "
            "IP; clearinghouseState weighs 2, most other info requests 20",
        ),
    ),
    costs=(
        Cost("POST", "/info", {"hyperliquid:ip": 2}, kind="clearinghouseState"),
        Cost("POST", "/info", {"hyperliquid:ip": 2}, kind="allMids"),
        Cost("POST", "/info", {"hyperliquid:ip": 2}, kind="l2Book"),
        Cost("POST", "/info", {"hyperliquid:ip": 2}, kind="spotClearinghouseState"),
        Cost("POST", "/info", {"hyperliquid:ip": 20}),  # meta, metaAndAssetCtxs, spotMeta...
    ),
    answers=(Answer("limited", status=429, scope="ip"),),
    default_charges={"hyperliquid:ip": 20},
    body_field="type",
)

VENUE_LIMITS: Mapping[str, VenueLimits] = {
    table.venue: table
    for table in (
        BINANCEUSDM,
        BINANCECOINM,
        BINANCE_MARGIN,
        BYBIT,
        OKX,
        KRAKEN,
        KRAKENFUTURES,
        HYPERLIQUID,
    )
}


def generic_limits(venue: str, operator: str, rate_limit_ms: float) -> VenueLimits:
    """Limits for a venue read through ccxt's unified calls only (``generic:<id>``).

    Nothing better than ccxt's own ``rateLimit`` (milliseconds between requests) is known for
    those; it is applied per IP, every request costing one.
    """
    per_second = 1000.0 / rate_limit_ms if rate_limit_ms > 0 else 10.0
    name = f"{venue}:ip"
    return VenueLimits(
        venue=venue,
        operator=operator,
        buckets=(
            Bucket(
                name,
                "ip",
                max(1.0, round(per_second, 3)),
                1,
                "rolling",
                "requests",
                f"ccxt's rateLimit for {venue} ({rate_limit_ms:g} ms): not checked against the "
                "venue's documentation",
                approximate=True,
            ),
        ),
        costs=(),
        answers=(
            Answer("banned", status=418, scope="ip", lasts=120.0),
            Answer("limited", status=429, scope="ip"),
        ),
        default_charges={name: 1},
    )


def limits_for(venue: str) -> VenueLimits:
    """The table of ``venue``; ``KeyError`` for a venue without one (see :func:`generic_limits`)."""
    return VENUE_LIMITS[venue]
