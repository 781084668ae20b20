"""Any other ccxt venue with fetchPositions and fetchBalance, read approximately; and the contract
helpers the venue-specific readers share (market specs, tiers, inverse legs valued in dollars)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import ccxt.async_support as ccxt_async

import risk.model as rm

from . import texts
from .base import ReadContext, VenueAdapter, finish, opt_num, positive, reported
from .errors import bad_response
from .guard import Endpoint, ReadOnlyClient
from .registry import register_family
from .types import RIGHT_READ, AccountRead, KeyCheck, VenueInfo


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """What a position row does not say about its market: its unified symbol and contract terms.

    ``contract_size`` is base units per contract for linear markets and the quote face value
    per contract for inverse ones (ccxt's ``contractSize``).
    """

    symbol: str
    contract_size: float = 1.0
    inverse: bool = False
    tiers: tuple[rm.Tier, ...] = ()


def contract_specs(markets: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ContractSpec]:
    """Venue market id -> :class:`ContractSpec` for every derivative market ccxt loaded.

    Spot markets are left out: on Bybit the spot and the linear perpetual share an id.
    """
    specs: dict[str, ContractSpec] = {}
    for market in (markets or {}).values():
        if not market.get("contract"):
            continue
        size = market.get("contractSize")
        specs[str(market["id"])] = ContractSpec(
            symbol=str(market["symbol"]),
            contract_size=float(size) if size else 1.0,
            inverse=bool(market.get("inverse")),
        )
    return specs


def cumulative_tiers(levels: Iterable[tuple[float, float]]) -> tuple[rm.Tier, ...]:
    """Tiers from ``(floor, rate)`` pairs in notional order, with the maintenance amount that
    keeps the requirement continuous: ``cum_n = floor_n·(rate_n − rate_{n−1}) + cum_{n−1}``
    (margin-math §6.1; the same as charging each band's rate on the part inside the band)."""
    rows = sorted(levels)
    tiers: list[rm.Tier] = []
    amount = 0.0
    previous_rate = 0.0
    for i, (floor, rate) in enumerate(rows):
        if not (math.isfinite(floor) and math.isfinite(rate)) or floor < 0 or not 0 <= rate < 1:
            raise bad_response(f"maintenance tier {i} is not a tier: floor {floor}, rate {rate}")
        amount += floor * (rate - previous_rate)
        cap = rows[i + 1][0] if i + 1 < len(rows) else math.inf
        tiers.append(rm.Tier(floor=floor, cap=cap, rate=rate, amount=amount))
        previous_rate = rate
    return tuple(tiers)


def inverse_as_linear(
    contracts: float,
    face: float,
    entry: float,
    mark: float,
    maintenance_in_coin: float,
    basis: rm.Basis = "mark",
) -> tuple[float, float]:
    """An inverse position valued in dollars, as the equivalent linear leg.

    Valued at the current price, an inverse position's coin P&L ``N·F·(1/E − 1/P)`` is
    ``(N·F/E)·(P − E)`` dollars: exactly a linear position of ``N·F/E`` base units entered at E.
    Its dollar maintenance ``MM_coin·P`` is given back as a rate on that leg's value: on its
    notional at mark (``basis="mark"``: the dollar maintenance then scales with price), or on
    its value at entry (``basis="entry"``: fixed in dollars). A venue that values inverse
    maintenance at the mark in coin (``|N|·F/P × rate``, Bybit UTA) charges the same dollars
    at every price, so its leg is "entry" (and the snapshot must say so).
    Returns ``(size in base units, maintenance rate)``. This is what lets a unified USD account
    (Bybit UTA, OKX multi-currency) judge its inverse legs in the same pool as the linear ones.
    """
    size = contracts * face / entry
    value = abs(size) * (entry if basis == "entry" else mark)
    rate = maintenance_in_coin * mark / value if value > 0 else 0.0
    return size, rate


def rate_from_margin(
    maintenance: float, size: float, contract_size: float, mark: float, what: str
) -> float:
    """The maintenance rate that reproduces a venue's own position maintenance at mark.

    Used where the response carries the position's maintenance margin but not its rate: the
    rate is derived, so the snapshot's maintenance equals the venue's at the current mark and
    scales with price from there (the venue may hold it fixed until its next re-rating).
    """
    notional = abs(size) * contract_size * mark
    if notional <= 0:
        raise bad_response(f"{what}: notional is zero, no maintenance rate can be derived")
    rate = maintenance / notional
    if not 0 <= rate < 1:
        raise bad_response(
            f"{what}: maintenance {maintenance:g} on notional {notional:g} is "
            "not a rate below 100 %"
        )
    return rate


# --- the approximate reader ------------------------------------------------------------------


def _unified_position(
    row: Mapping[str, Any], specs: Mapping[str, ContractSpec]
) -> rm.Position | None:
    symbol = str(row.get("symbol") or "")
    what = f"position {symbol or '?'}"
    contracts = opt_num(row.get("contracts"), f"{what} contracts")
    if not contracts:
        return None
    side = row.get("side")
    if side not in ("long", "short"):
        raise bad_response(f"{what} has no side")
    size = abs(contracts) if side == "long" else -abs(contracts)
    spec = next((s for s in specs.values() if s.symbol == symbol), None)
    contract_size = opt_num(row.get("contractSize"), f"{what} contractSize") or (
        spec.contract_size if spec else 1.0
    )
    inverse = spec.inverse if spec else False
    entry = positive(row.get("entryPrice"), f"{what} entryPrice")
    mark = opt_num(row.get("markPrice"), f"{what} markPrice")
    if mark is None:
        notional = opt_num(row.get("notional"), f"{what} notional")
        if not notional or inverse:
            raise bad_response(f"{what} has no mark price")
        mark = abs(notional) / (abs(contracts) * contract_size)
    if mark <= 0:
        raise bad_response(f"{what} mark price must be positive, got {mark:g}")
    maintenance = opt_num(row.get("maintenanceMargin"), f"{what} maintenanceMargin")
    percentage = opt_num(
        row.get("maintenanceMarginPercentage"), f"{what} maintenanceMarginPercentage"
    )
    if inverse:
        if maintenance is None:
            if percentage is None:
                raise bad_response(f"{what} has no maintenance margin")
            maintenance = percentage * abs(size) * contract_size / mark
        size, rate = inverse_as_linear(size, contract_size, entry, mark, maintenance)
        contract_size = 1.0
    elif maintenance is not None:
        rate = rate_from_margin(maintenance, size, contract_size, mark, what)
    elif percentage is not None:
        rate = percentage
    else:
        raise bad_response(f"{what} has no maintenance margin")
    isolated = row.get("marginMode") == "isolated"
    isolated_margin = None
    if isolated:
        isolated_margin = opt_num(row.get("collateral"), f"{what} collateral") or opt_num(
            row.get("initialMargin"), f"{what} initialMargin"
        )
        if isolated_margin is None:
            raise bad_response(f"{what} is isolated but has no margin")
    return rm.Position(
        symbol=symbol,
        kind="linear",
        size=size,
        entry_price=entry,
        mark_price=mark,
        contract_size=contract_size,
        margin_mode="isolated" if isolated else "cross",
        maintenance_rate=rate,
        isolated_margin=isolated_margin,
        leverage=opt_num(row.get("leverage"), f"{what} leverage"),
        reported=reported(
            liquidation_price=_positive_or_none(row.get("liquidationPrice")),
            maintenance_margin=maintenance,
        ),
    )


def _positive_or_none(value: Any) -> float | None:
    # ccxt turns a venue's "no liquidation price" into None, 0 or "" depending on the venue.
    number = opt_num(value, "liquidationPrice")
    return number if number is not None and number > 0 else None


def snapshot_from_unified(
    positions: Sequence[Mapping[str, Any]],
    balance: Mapping[str, Any],
    settle: str,
    specs: Mapping[str, ContractSpec] | None = None,
) -> rm.AccountSnapshot:
    """A generic snapshot from ccxt's unified ``fetch_positions`` and ``fetch_balance`` output.

    ccxt's balance ``total`` for derivative accounts is mostly the margin balance (wallet plus
    unrealised P&L: Hyperliquid, KuCoin, Bitget, OKX), so the wallet is that total less the
    unrealised P&L of the cross legs, and the engine adds the legs back at their marks. On a
    venue whose total excludes P&L this double-counts nothing but understates equity by it:
    one reason the result is labelled approximate.
    """
    totals = balance.get("total") or {}
    total = opt_num(totals.get(settle), f"balance total {settle}")
    if total is None:
        raise bad_response(f"the balance has no {settle} total")
    legs = [leg for row in positions if (leg := _unified_position(row, specs or {})) is not None]
    cross_upnl = sum(
        leg.size * leg.contract_size * (leg.mark_price - leg.entry_price)
        for leg in legs
        if leg.margin_mode == "cross"
    )
    wallet, debts = settle_cash(total - cross_upnl, settle)
    return rm.AccountSnapshot(
        venue="generic",
        settle=settle,
        wallet_balance=wallet,
        liabilities=debts,
        positions=tuple(legs),
        reported=reported(equity=total),
    )


async def shared_specs(markets: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ContractSpec]:
    """:func:`contract_specs` as a loader for ``ctx.shared.cached`` (one table per exchange)."""
    return contract_specs(markets)


def settle_cash(amount: float, settle: str) -> tuple[float, tuple[rm.Liability, ...]]:
    """``(wallet_balance, liabilities)`` for a cash figure in the settle currency that may be
    negative (funding owed, a cash balance run below zero by realised losses): the snapshot's
    wallet is never negative, so a shortfall is carried as a debt in the settle currency."""
    if amount >= 0:
        return amount, ()
    return 0.0, (rm.Liability(asset=settle, amount=-amount, price=1.0),)


# --- the adapter -----------------------------------------------------------------------------

_HTTP_METHODS = {"get", "post", "put", "delete", "patch"}
SETTLE_PREFERENCE = ("USDT", "USDC", "USD")


def read_endpoints_of(api_tree: Mapping[str, Any]) -> frozenset[Endpoint]:
    """Every endpoint of a ccxt ``api`` map that only reads: any public endpoint, and private
    ones only by GET. A private POST can be a read on some venues, but nothing says which, so the
    generic reader refuses them all."""
    found: list[Endpoint] = []

    def walk(node: Any, names: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            if str(key).lower() in _HTTP_METHODS:
                method = str(key).upper()
                api = "/".join(names)
                private = any("private" in n.lower() for n in names)
                if private and method != "GET":
                    continue
                paths = value.keys() if isinstance(value, Mapping) else value or []
                found.extend(Endpoint(api, method, str(path)) for path in paths)
            else:
                walk(value, (*names, str(key)))

    walk(api_tree, ())
    return frozenset(found)


class GenericAdapter(VenueAdapter):
    """Any ccxt exchange with fetchPositions and fetchBalance, read through unified calls only.

    Labelled approximate everywhere it is shown: the figures are ccxt's derivations, not the
    venue's own account health.
    """

    read_methods: ClassVar[frozenset[str]] = frozenset({"fetch_positions", "fetch_balance"})

    def __init__(self, ccxt_id: str) -> None:
        cls = getattr(ccxt_async, ccxt_id, None)
        if cls is None or ccxt_id not in ccxt_async.exchanges:
            raise KeyError(f"ccxt has no exchange {ccxt_id!r}")
        # describe() needs an instance; a bare one opens no session and is dropped at once.
        description = cls().describe()
        has = description.get("has", {})
        if not has.get("fetchPositions") or not has.get("fetchBalance"):
            raise KeyError(
                f"{ccxt_id} cannot be read: ccxt has no fetchPositions and fetchBalance for it"
            )
        self.info = VenueInfo(
            venue=f"generic:{ccxt_id}",
            ccxt_id=ccxt_id,
            label=f"{description.get('name', ccxt_id)} (approximate)",
            needs_passphrase=bool(description.get("requiredCredentials", {}).get("password")),
            approximate=True,
        )
        self.read_endpoints = read_endpoints_of(description.get("api", {}))

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        positions = await client.fetch_positions()
        balance = await client.fetch_balance()
        specs = await ctx.shared.cached(
            "contract_specs", 3600.0, partial(shared_specs, client.markets)
        )
        settle = _settle_of(positions, balance)
        snapshot = snapshot_from_unified(positions, balance, settle, specs)
        return finish(snapshot, [texts.GENERIC_APPROXIMATE], approximate=True)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        await client.fetch_balance()
        return KeyCheck(
            ok=True,
            can_report_rights=False,
            rights=frozenset({RIGHT_READ}),
            message=texts.GENERIC_KEY_UNCHECKED.format(venue=self.info.label),
        )


def _settle_of(positions: Sequence[Mapping[str, Any]], balance: Mapping[str, Any]) -> str:
    symbols = [str(p.get("symbol") or "") for p in positions if p.get("contracts")]
    settles = {s.split(":", 1)[1].split("-", 1)[0] for s in symbols if ":" in s}
    if len(settles) == 1:
        return settles.pop()
    if len(settles) > 1:
        raise bad_response(
            "positions settle in " + ", ".join(sorted(settles)) + ": the "
            "approximate reader judges one settle currency per account"
        )
    totals = balance.get("total") or {}
    return next((code for code in SETTLE_PREFERENCE if totals.get(code)), "USDT")


register_family("generic", GenericAdapter)
