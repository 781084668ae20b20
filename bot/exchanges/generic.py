"""Any other ccxt venue with fetchPositions and fetchBalance, read approximately; and the contract
helpers the venue-specific readers share (market specs, tiers, inverse legs valued in dollars)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import risk.model as rm

from .base import opt_num, positive, reported
from .errors import bad_response


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


def inverse_as_linear(contracts: float, face: float, entry: float, mark: float,
                      maintenance_in_coin: float) -> tuple[float, float]:
    """An inverse position valued in dollars, as the equivalent linear leg.

    Valued at the current price, an inverse position's coin P&L ``N·F·(1/E − 1/P)`` is
    ``(N·F/E)·(P − E)`` dollars: exactly a linear position of ``N·F/E`` base units entered at E.
    Its dollar maintenance ``MM_coin·P`` is given back as a rate on that leg's notional at mark.
    Returns ``(size in base units, maintenance rate)``. This is what lets a unified USD account
    (Bybit UTA, OKX multi-currency) judge its inverse legs in the same pool as the linear ones.
    """
    size = contracts * face / entry
    notional = abs(size) * mark
    rate = maintenance_in_coin * mark / notional if notional > 0 else 0.0
    return size, rate


def rate_from_margin(maintenance: float, size: float, contract_size: float, mark: float,
                     what: str) -> float:
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
        raise bad_response(f"{what}: maintenance {maintenance:g} on notional {notional:g} is "
                           "not a rate below 100 %")
    return rate


# --- the approximate reader ------------------------------------------------------------------

APPROXIMATE_NOTE = ("Approximate: this exchange is read through ccxt's unified positions and "
                    "balance, not its own risk figures; liquidation prices are estimates.")


def _unified_position(row: Mapping[str, Any], specs: Mapping[str, ContractSpec]
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
        spec.contract_size if spec else 1.0)
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
    percentage = opt_num(row.get("maintenanceMarginPercentage"),
                         f"{what} maintenanceMarginPercentage")
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
            row.get("initialMargin"), f"{what} initialMargin")
        if isolated_margin is None:
            raise bad_response(f"{what} is isolated but has no margin")
    return rm.Position(
        symbol=symbol, kind="linear", size=size, entry_price=entry, mark_price=mark,
        contract_size=contract_size, margin_mode="isolated" if isolated else "cross",
        maintenance_rate=rate, isolated_margin=isolated_margin,
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


def snapshot_from_unified(positions: Sequence[Mapping[str, Any]], balance: Mapping[str, Any],
                          settle: str, specs: Mapping[str, ContractSpec] | None = None
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
    legs = [leg for row in positions
            if (leg := _unified_position(row, specs or {})) is not None]
    cross_upnl = sum(leg.size * leg.contract_size * (leg.mark_price - leg.entry_price)
                     for leg in legs if leg.margin_mode == "cross")
    return rm.AccountSnapshot(
        venue="generic", settle=settle, wallet_balance=total - cross_upnl,
        positions=tuple(legs), reported=reported(equity=total),
    )


async def shared_specs(markets: Mapping[str, Mapping[str, Any]] | None
                       ) -> dict[str, ContractSpec]:
    """:func:`contract_specs` as a loader for ``ctx.shared.cached`` (one table per exchange)."""
    return contract_specs(markets)
