"""OKX trading account: account balance and positions read into a snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

import risk.model as rm

from . import texts
from .base import ReadContext, VenueAdapter, finish, num, opt_num, positive, reported
from .errors import bad_response
from .generic import ContractSpec, inverse_as_linear, rate_from_margin, shared_specs
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import (
    RIGHT_READ,
    RIGHT_TRADE,
    RIGHT_WITHDRAW,
    AccountRead,
    KeyCheck,
    VenueInfo,
)

# The highest closing-fee rate (of notional) believed when recovering OKX's liquidation fee;
# OKX's taker fees are 0.02–0.1 %.
MAX_FEE_RATE = 0.005
# account/config acctLv: which margin model the account runs.
ACCOUNT_MODES = {"1": "spot", "2": "futures", "3": "multi_currency", "4": "portfolio"}


def _data(body: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        raise bad_response(f"OKX {what}: the answer is not a JSON object")
    if str(body.get("code")) != "0":
        raise bad_response(f"OKX {what}: code {body.get('code')!r} ({str(body.get('msg'))[:80]})")
    data = body.get("data")
    if not isinstance(data, list):
        raise bad_response(f"OKX {what}: data is not a list")
    return [row for row in data if isinstance(row, Mapping)]


def account_config(config_body: Any) -> Mapping[str, Any]:
    """The one row of ``GET /api/v5/account/config``."""
    rows = _data(config_body, "account/config")
    if not rows:
        raise bad_response("OKX account/config: no account row")
    return rows[0]


def _cross_cash(row: Mapping[str, Any], isolated: Mapping[str, float]) -> float:
    """A currency's cash that backs the cross pool: ``cashBal`` less its isolated margin.

    OKX keeps an isolated position's margin in the currency's cash balance (frozen) while the
    position stands on it alone ("Isolated margin mode"): ``isoEq − isoUpl`` of the currency
    (which also holds isolated margin positions this reader does not read), else the
    ``margin`` of the isolated positions read in that currency.
    """
    ccy = str(row.get("ccy") or "")
    cash = opt_num(row.get("cashBal"), f"{ccy} cashBal") or 0.0
    iso_eq = opt_num(row.get("isoEq"), f"{ccy} isoEq")
    iso_upl = opt_num(row.get("isoUpl"), f"{ccy} isoUpl")
    if iso_eq is not None and iso_upl is not None:
        return cash - (iso_eq - iso_upl)
    return cash - isolated.get(ccy, 0.0)


def _multi_currency_collateral(
    account: Mapping[str, Any], isolated: Mapping[str, float]
) -> tuple[list[rm.Asset], list[rm.Liability], list[str]]:
    """Each currency's cross cash at its USD price, discounted as OKX discounted it.

    ``disEq`` over the currency's cross equity in USD is its effective discount rate (OKX
    tiers it by amount, so it is the blended rate at the current holding; the isolated equity
    ``isoEq`` backs no cross position and is not discounted into ``adjEq``). Positions' P&L is
    left to the legs: the cash balance ``cashBal`` excludes it, where ``eq`` includes it.
    ``isolated`` is the margin of the isolated positions read, per currency (``_cross_cash``).
    """
    assets: list[rm.Asset] = []
    liabilities: list[rm.Liability] = []
    notes: list[str] = []
    for row in account.get("details") or []:
        ccy = str(row.get("ccy") or "")
        cash = _cross_cash(row, isolated)
        if cash == 0:
            continue
        if row.get("collateralEnabled") is False:
            notes.append(texts.OKX_NOT_COLLATERAL.format(coin=ccy))
            continue
        equity = num(row.get("eq"), f"{ccy} eq")
        equity_usd = num(row.get("eqUsd"), f"{ccy} eqUsd")
        if equity == 0 or equity_usd / equity <= 0:
            raise bad_response(f"OKX {ccy}: no USD price can be read from eq and eqUsd")
        price = equity_usd / equity
        if cash < 0:
            liabilities.append(
                rm.Liability(
                    asset=ccy,
                    amount=-cash,
                    price=price,
                    interest=opt_num(row.get("interest"), f"{ccy} interest") or 0.0,
                )
            )
            continue
        discounted = opt_num(row.get("disEq"), f"{ccy} disEq")
        cross_usd = equity_usd - (opt_num(row.get("isoEq"), f"{ccy} isoEq") or 0.0) * price
        haircut = 0.0
        if discounted is not None and cross_usd > 0:
            haircut = min(max(1.0 - discounted / cross_usd, 0.0), 0.99)
        assets.append(rm.Asset(asset=ccy, amount=cash, price=price, haircut=haircut))
    return assets, liabilities, notes


def _position(row: Mapping[str, Any], specs: Mapping[str, ContractSpec]) -> rm.Position | None:
    inst_id = str(row.get("instId") or "")
    what = f"OKX position {inst_id}"
    contracts = opt_num(row.get("pos"), f"{what} pos")
    if not contracts:
        return None
    pos_side = row.get("posSide")
    if pos_side == "short":
        contracts = -abs(contracts)
    elif pos_side == "long":
        contracts = abs(contracts)
    # net mode ("net"): pos carries the sign already.
    spec = specs.get(inst_id)
    if spec is None:
        raise bad_response(f"{what}: the market is unknown, so its contract size is too")
    entry = positive(row.get("avgPx"), f"{what} avgPx")
    mark = positive(row.get("markPx"), f"{what} markPx")
    maintenance = num(row.get("mmr"), f"{what} mmr")
    isolated = row.get("mgnMode") == "isolated"
    margin = num(row.get("margin"), f"{what} margin") if isolated else None
    if margin is not None:
        # An isolated position's own mgnRatio is (margin + upl) / (mmr + fee to close): its
        # liquidation fee, folded into its maintenance as the cross legs' is.
        maintenance += _isolated_fee(row, margin, maintenance, contracts, spec, mark, what)
    basis: rm.Basis | None = None
    if spec.inverse:
        # The coin maintenance OKX charges (|contracts| × face / mark × rate) is the same dollars
        # at every price: in dollars, an entry-valued leg (see the helper).
        basis = "entry"
        size, rate = inverse_as_linear(
            contracts, spec.contract_size, entry, mark, maintenance, basis
        )
        contract_size = 1.0
    else:
        size, contract_size = contracts, spec.contract_size
        # OKX gives the position's maintenance (mmr) but not its tier rate: derived from it.
        rate = rate_from_margin(maintenance, size, contract_size, mark, what)
    return rm.Position(
        symbol=spec.symbol,
        kind="linear",
        size=size,
        entry_price=entry,
        mark_price=mark,
        contract_size=contract_size,
        margin_mode="isolated" if isolated else "cross",
        maintenance_rate=rate,
        maintenance_basis=basis,
        isolated_margin=margin,
        # A coin-margined position's margin is in its coin, worth less as the coin falls.
        isolated_margin_in="base" if spec.inverse else "settle",
        leverage=opt_num(row.get("lever"), f"{what} lever"),
        reported=reported(
            # liqPx "" is OKX's "no estimate" (seen for cross positions): unknown, never 0.
            liquidation_price=opt_num(row.get("liqPx"), f"{what} liqPx") or None,
            mgn_ratio=opt_num(row.get("mgnRatio"), f"{what} mgnRatio"),
            mmr=maintenance,
            imr=opt_num(row.get("imr"), f"{what} imr"),
            upl=opt_num(row.get("upl"), f"{what} upl"),
        ),
    )


def _isolated_fee(
    row: Mapping[str, Any],
    margin: float,
    maintenance: float,
    contracts: float,
    spec: ContractSpec,
    mark: float,
    what: str,
) -> float:
    """An isolated position's fee to close, from its own ``mgnRatio`` (0 when none is given).

    In the position's own currency (the coin of an inverse contract), as ``margin``, ``upl``
    and ``mmr`` are.
    """
    ratio = opt_num(row.get("mgnRatio"), f"{what} mgnRatio")
    upl = opt_num(row.get("upl"), f"{what} upl") or 0.0
    if not ratio or ratio <= 0:
        return 0.0
    fee = (margin + upl) / ratio - maintenance
    face = abs(contracts) * spec.contract_size
    notional = face / mark if spec.inverse else face * mark
    if fee <= 0 or notional <= 0 or fee / notional > MAX_FEE_RATE:
        return 0.0  # not a fee (a ratio rounded away, or requirements the row does not carry)
    return fee


def _value(p: rm.Position) -> float:
    """What a leg's maintenance rate applies to: its notional on its maintenance basis."""
    price = p.entry_price if p.maintenance_basis == "entry" else p.mark_price
    return abs(p.size) * p.contract_size * price


def _with_liquidation_fees(
    positions: list[rm.Position], account: Mapping[str, Any], notes: list[str]
) -> list[rm.Position]:
    """Cross legs with OKX's liquidation fee folded into their maintenance rate.

    OKX's ``mgnRatio`` is ``adjEq / (mmr + fees)``: the fee of closing the positions sits in the
    denominator and no field gives it. It is recovered from OKX's own figures,
    ``fees = adjEq / mgnRatio − mmr``, and spread over the cross legs by notional, so the
    snapshot's ratio is OKX's at the current marks (and moves with price from there).
    """
    adj_eq = opt_num(account.get("adjEq"), "adjEq")
    ratio = opt_num(account.get("mgnRatio"), "mgnRatio")
    total_mm = opt_num(account.get("mmr"), "mmr")
    cross = [p for p in positions if p.margin_mode == "cross"]
    if not cross or not adj_eq or not ratio or total_mm is None or ratio <= 0:
        return positions
    fees = adj_eq / ratio - total_mm
    legs_mm = sum(_value(p) * (p.maintenance_rate or 0.0) for p in cross)
    if total_mm - legs_mm > max(0.01 * total_mm, 0.01):
        notes.append(texts.OKX_UNATTRIBUTED_MAINTENANCE.format(amount=total_mm - legs_mm))
    notional = sum(_value(p) for p in cross)
    if fees <= 0 or notional <= 0:
        return positions
    if fees / notional > MAX_FEE_RATE:
        # More than any taker fee: OKX's ratio counts requirements no position row carries.
        notes.append(texts.OKX_RATIO_COSTS.format(share=fees / notional))
        return positions
    out = []
    for p in positions:
        if p.margin_mode == "cross":
            # fee share / own value = fees / total value: the same rate for every leg.
            p = replace(p, maintenance_rate=(p.maintenance_rate or 0.0) + fees / notional)
        out.append(p)
    return out


def snapshot_from_bodies(
    balance_body: Any,
    positions_body: Any,
    specs: Mapping[str, ContractSpec] | None = None,
    account_level: str = "3",
    settle: str = "USDT",
) -> tuple[rm.AccountSnapshot, list[str]]:
    """An OKX account from its raw answers: (snapshot, notes for the user).

    ``account_level`` is account/config's ``acctLv``. Multi-currency and portfolio accounts
    (3, 4) are one USD pool judged on ``adjEq`` against ``mmr``; a single-currency margin
    account (2) is one pool per currency, and ``settle`` picks which one is watched. A spot
    account (1) has no margin to watch.
    """
    mode = ACCOUNT_MODES.get(str(account_level))
    if mode in (None, "spot"):
        raise bad_response(
            "OKX spot-mode accounts (acctLv 1) have no margin to watch; switch "
            "the account to single-currency or multi-currency margin"
        )
    rows = _data(balance_body, "account/balance")
    if not rows:
        raise bad_response("OKX account/balance: no account row")
    account = rows[0]
    notes: list[str] = []
    positions: list[rm.Position] = []
    # Isolated margin per currency, set aside from the cross cash (see _cross_cash).
    isolated: dict[str, float] = {}
    for row in _data(positions_body, "account/positions"):
        inst_type = row.get("instType")
        if inst_type not in ("SWAP", "FUTURES"):
            if opt_num(row.get("pos"), "pos"):
                notes.append(
                    texts.OKX_POSITION_NOT_READ.format(kind=inst_type, instrument=row.get("instId"))
                )
            continue
        position = _position(row, specs or {})
        if position is None:
            continue
        if position.isolated_margin is not None:
            ccy = str(row.get("ccy") or "")
            isolated[ccy] = isolated.get(ccy, 0.0) + position.isolated_margin
        if mode == "futures" and row.get("ccy") != settle and position.margin_mode == "cross":
            notes.append(
                texts.OKX_OTHER_POOL.format(
                    symbol=position.symbol, coin=row.get("ccy"), settle=settle
                )
            )
            continue
        positions.append(position)

    if mode == "futures":
        detail = next((d for d in account.get("details") or [] if d.get("ccy") == settle), None)
        if detail is None:
            raise bad_response(f"OKX account/balance: no {settle} balance in details")
        snapshot = rm.AccountSnapshot(
            venue="okx",
            settle=settle,
            wallet_balance=_cross_cash(detail, isolated),
            positions=tuple(positions),
            reported=reported(
                mgn_ratio=opt_num(detail.get("mgnRatio"), f"{settle} mgnRatio"),
                mmr=opt_num(detail.get("mmr"), f"{settle} mmr"),
                imr=opt_num(detail.get("imr"), f"{settle} imr"),
                equity=opt_num(detail.get("eq"), f"{settle} eq"),
            ),
        )
        return snapshot, notes

    if opt_num(account.get("adjEq"), "adjEq") is None:
        raise bad_response("OKX account/balance: adjEq is empty for a multi-currency account")
    assets, liabilities, collateral_notes = _multi_currency_collateral(account, isolated)
    notes.extend(collateral_notes)
    positions = _with_liquidation_fees(positions, account, notes)
    snapshot = rm.AccountSnapshot(
        venue="okx",
        settle="USD",
        wallet_balance=0.0,
        positions=tuple(positions),
        assets=tuple(assets),
        liabilities=tuple(liabilities),
        reported=reported(
            mgn_ratio=opt_num(account.get("mgnRatio"), "mgnRatio"),
            adj_eq=opt_num(account.get("adjEq"), "adjEq"),
            mmr=opt_num(account.get("mmr"), "mmr"),
            imr=opt_num(account.get("imr"), "imr"),
            total_eq=opt_num(account.get("totalEq"), "totalEq"),
            notional_usd=opt_num(account.get("notionalUsd"), "notionalUsd"),
            upl=opt_num(account.get("upl"), "upl"),
        ),
    )
    return snapshot, notes


# --- the adapter -----------------------------------------------------------------------------

# Contracts only: spot and option instrument lists are never needed to read an account.
CCXT_OPTIONS: Mapping[str, Any] = {"fetchMarkets": {"types": ["swap", "future"]}}
SPECS_TTL = 3600.0
# Where the account level found at the first read is kept on the account's own ccxt instance,
# so later polls cost only balance + positions (the level changes only when the user switches).
_LEVEL_OPTION = "marginwatchAccountLevel"

_OKX_RIGHTS = {"read_only": RIGHT_READ, "trade": RIGHT_TRADE, "withdraw": RIGHT_WITHDRAW}


def key_rights(config_body: Any) -> frozenset[str]:
    """The rights named in account/config's ``perm`` (e.g. ``"read_only,withdraw,trade"``)."""
    perm = str(account_config(config_body).get("perm") or "")
    rights = set()
    for part in filter(None, (p.strip() for p in perm.split(","))):
        # A right OKX adds later is treated as dangerous until it is known.
        rights.add(_OKX_RIGHTS.get(part, part))
    return frozenset(rights)


@register
class OkxAdapter(VenueAdapter):
    info = VenueInfo(venue="okx", ccxt_id="okx", label="OKX", needs_passphrase=True)
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "private_get_account_config",
            "private_get_account_balance",
            "private_get_account_positions",
        }
    )
    read_endpoints = endpoints(
        "public GET public/instruments",
        "public GET public/time",
        "private GET account/config",
        "private GET account/balance",
        "private GET account/positions",
    )
    ccxt_options = CCXT_OPTIONS

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        level = client.options.get(_LEVEL_OPTION)
        if level is None:
            level = str(account_config(await client.private_get_account_config()).get("acctLv"))
            client.options[_LEVEL_OPTION] = level
        balance = await client.private_get_account_balance()
        positions = await client.private_get_account_positions()
        specs = await ctx.shared.cached(
            "contract_specs", SPECS_TTL, partial(shared_specs, client.markets)
        )
        snapshot, notes = snapshot_from_bodies(balance, positions, specs, account_level=level)
        return finish(snapshot, notes)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        config = await client.private_get_account_config()
        rights = key_rights(config)
        client.options[_LEVEL_OPTION] = str(account_config(config).get("acctLv"))
        dangerous = sorted(r for r in rights if r != RIGHT_READ)
        if dangerous:
            named = ", ".join(texts.DANGEROUS_RIGHT_NAMES.get(r, r) for r in dangerous)
            return KeyCheck(
                ok=False,
                can_report_rights=True,
                rights=rights,
                message=texts.OKX_KEY_TOO_MUCH.format(rights=named),
            )
        return KeyCheck(
            ok=True,
            can_report_rights=True,
            rights=rights,
            message=texts.KEY_ACCEPTED.format(venue="OKX"),
        )
