"""Bybit unified trading account: wallet-balance and position list read into a snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

import risk.model as rm
from risk.profiles import STABLE_ASSETS

from . import texts
from .base import ReadContext, VenueAdapter, finish, num, opt_num, positive, reported
from .errors import bad_response
from .generic import (
    ContractSpec,
    cumulative_tiers,
    inverse_as_linear,
    rate_from_margin,
    shared_specs,
)
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import (
    DANGEROUS_RIGHTS,
    RIGHT_READ,
    RIGHT_TRADE,
    RIGHT_TRANSFER,
    RIGHT_WITHDRAW,
    AccountRead,
    KeyCheck,
    VenueInfo,
)

# Linear contracts settle in these; inverse ones settle in their own coin (BTCUSD in BTC).
LINEAR_SETTLE_COINS = ("USDT", "USDC")
# Account-level rates are printed with 4 decimals ("0.0006"): compare to half a unit more.
RATE_DECIMALS = 4


def _result(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_response(f"Bybit {what}: the answer is not a JSON object")
    code = body.get("retCode")
    if str(code) != "0":
        raise bad_response(f"Bybit {what}: retCode {code!r} ({str(body.get('retMsg'))[:80]})")
    result = body.get("result")
    if not isinstance(result, Mapping):
        raise bad_response(f"Bybit {what}: no result object")
    return result


def unified_account(wallet_body: Any) -> Mapping[str, Any]:
    """The UNIFIED account row of a ``GET /v5/account/wallet-balance`` answer."""
    rows = _result(wallet_body, "wallet-balance").get("list")
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], Mapping):
        raise bad_response("Bybit wallet-balance: no account in result.list")
    account = rows[0]
    if account.get("accountType") != "UNIFIED":
        raise bad_response(
            f"Bybit wallet-balance: account type {account.get('accountType')!r}; only the "
            "unified trading account carries the account maintenance rate"
        )
    return account


def settle_coins_with_positions(account: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(linear settle coins, inverse coins) that hold position margin: the position lists a poll
    needs, so an account trading only USDT perpetuals costs one position request, not three."""
    linear: list[str] = []
    inverse: list[str] = []
    for coin in account.get("coin") or []:
        name = str(coin.get("coin") or "")
        margin = (opt_num(coin.get("totalPositionIM"), f"{name} totalPositionIM") or 0.0) + (
            opt_num(coin.get("totalPositionMM"), f"{name} totalPositionMM") or 0.0
        )
        if margin <= 0:
            continue
        (linear if name in LINEAR_SETTLE_COINS else inverse).append(name)
    return linear, inverse


def position_rows(position_body: Any) -> tuple[str, list[Mapping[str, Any]]]:
    """(category, rows) of a ``GET /v5/position/list`` answer."""
    result = _result(position_body, "position/list")
    rows = result.get("list")
    if not isinstance(rows, list):
        raise bad_response("Bybit position/list: result.list is not a list")
    category = str(result.get("category") or "linear")
    return category, [row for row in rows if isinstance(row, Mapping)]


def risk_limit_tiers(risk_limit_body: Any) -> dict[str, tuple[rm.Tier, ...]]:
    """Market id -> maintenance tiers from public ``GET /v5/market/risk-limit``.

    Bybit publishes each tier's cap (``riskLimitValue``), rate and ``mmDeduction``; the floor of
    a tier is the previous tier's cap.
    """
    rows = _result(risk_limit_body, "risk-limit").get("list") or []
    by_symbol: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_symbol.setdefault(str(row.get("symbol")), []).append(row)
    tiers: dict[str, tuple[rm.Tier, ...]] = {}
    for symbol, symbol_rows in by_symbol.items():
        ordered = sorted(
            symbol_rows, key=lambda r: num(r.get("riskLimitValue"), f"{symbol} riskLimitValue")
        )
        if not any(opt_num(r.get("mmDeduction"), f"{symbol} mmDeduction") for r in ordered):
            floors = [0.0] + [
                num(r["riskLimitValue"], f"{symbol} riskLimitValue") for r in ordered[:-1]
            ]
            tiers[symbol] = cumulative_tiers(
                (floor, num(r.get("maintenanceMargin"), f"{symbol} maintenanceMargin"))
                for floor, r in zip(floors, ordered, strict=True)
            )
            continue
        built: list[rm.Tier] = []
        floor = 0.0
        for r in ordered:
            cap = num(r["riskLimitValue"], f"{symbol} riskLimitValue")
            built.append(
                rm.Tier(
                    floor=floor,
                    cap=cap,
                    rate=num(r.get("maintenanceMargin"), f"{symbol} maintenanceMargin"),
                    amount=opt_num(r.get("mmDeduction"), f"{symbol} mmDeduction") or 0.0,
                )
            )
            floor = cap
        last = built[-1]
        built[-1] = rm.Tier(floor=last.floor, cap=float("inf"), rate=last.rate, amount=last.amount)
        tiers[symbol] = tuple(built)
    return tiers


def _collateral(account: Mapping[str, Any]) -> tuple[list[rm.Asset], list[rm.Liability], list[str]]:
    """Coins as assets at their USD price, with the haircut Bybit applied in total.

    ``totalWalletBalance`` is Bybit's wallet value after each coin's collateral ratio; the
    answer does not say the ratio per coin. Dollar stablecoins are taken at full value (their
    ratio is 1 below Bybit's tier limits) and the rest of the gap is spread as one haircut over
    the other coins, so the collateral sums to Bybit's own figure exactly. Derived, not reported.
    """
    notes: list[str] = []
    stable_value = other_value = debt_value = 0.0
    held: list[tuple[str, float, float]] = []
    liabilities: list[rm.Liability] = []
    for coin in account.get("coin") or []:
        name = str(coin.get("coin") or "")
        wallet = num(coin.get("walletBalance"), f"{name} walletBalance")
        if wallet == 0:
            continue
        if coin.get("marginCollateral") is False or coin.get("collateralSwitch") is False:
            notes.append(texts.BYBIT_NOT_COLLATERAL.format(coin=name))
            continue
        equity = num(coin.get("equity"), f"{name} equity")
        usd_value = num(coin.get("usdValue"), f"{name} usdValue")
        if equity == 0:
            raise bad_response(f"Bybit {name}: a wallet balance with zero equity has no price")
        price = usd_value / equity
        if price <= 0:
            raise bad_response(f"Bybit {name}: USD price {price:g} is not positive")
        if wallet < 0:
            # A spot borrow in the unified account shows as a negative wallet balance.
            liabilities.append(rm.Liability(asset=name, amount=-wallet, price=price))
            debt_value += -wallet * price
            continue
        held.append((name, wallet, price))
        if name in STABLE_ASSETS:
            stable_value += wallet * price
        else:
            other_value += wallet * price
    total_wallet = num(account.get("totalWalletBalance"), "totalWalletBalance")
    haircut = 0.0
    if other_value > 0:
        haircut = 1.0 - (total_wallet + debt_value - stable_value) / other_value
        haircut = min(max(haircut, 0.0), 0.99)
    assets = [
        rm.Asset(
            asset=name,
            amount=wallet,
            price=price,
            haircut=0.0 if name in STABLE_ASSETS else haircut,
        )
        for name, wallet, price in held
    ]
    return assets, liabilities, notes


def _settles_in(market_id: str, spec: ContractSpec | None) -> str:
    """The coin a linear contract settles in: from ccxt's symbol, else from Bybit's id
    (``BTCPERP`` and ``BTCUSDC`` settle in USDC)."""
    if spec is not None and ":" in spec.symbol:
        return spec.symbol.rsplit(":", 1)[1].split("-")[0]
    return "USDC" if market_id.endswith(("PERP", "USDC")) else "USDT"


def _position(
    row: Mapping[str, Any],
    category: str,
    specs: Mapping[str, ContractSpec],
    tiers: Mapping[str, tuple[rm.Tier, ...]],
    isolated: bool,
) -> rm.Position | None:
    market_id = str(row.get("symbol") or "")
    what = f"Bybit position {market_id}"
    size = opt_num(row.get("size"), f"{what} size")
    if not size:
        return None  # Bybit lists a flat symbol with size "0" and side "".
    side = row.get("side")
    if side not in ("Buy", "Sell"):
        raise bad_response(f"{what}: side {side!r} is neither Buy nor Sell")
    signed = size if side == "Buy" else -size
    spec = specs.get(market_id)
    inverse = category == "inverse" or (spec.inverse if spec else False)
    symbol = spec.symbol if spec else market_id
    entry = positive(row.get("avgPrice"), f"{what} avgPrice")
    mark = positive(row.get("markPrice"), f"{what} markPrice")
    maintenance = opt_num(row.get("positionMM"), f"{what} positionMM")
    own_tiers: tuple[rm.Tier, ...] = ()
    # Bybit's positionMM includes the estimated fee to close (at the bankruptcy price, fixed),
    # and is valued as risk.profiles says: USDT contracts at the entry value (positionValue =
    # size × avgPrice), inverse ones at the mark in coin, USDC ones at the mark. The rate is not
    # in the response: it is derived so the snapshot's maintenance is Bybit's at this read,
    # valued from there on Bybit's own basis.
    basis: rm.Basis | None = None
    if not inverse and _settles_in(market_id, spec) == "USDC":
        basis = "mark"  # USDC contracts: position value = size × mark price
    if inverse:
        if not maintenance:
            raise bad_response(f"{what}: no positionMM for an inverse position")
        # Inverse size is in 1-USD contracts; valued in USD it is a linear leg (see helper),
        # whose dollar maintenance stands still while the mark moves.
        face = spec.contract_size if spec else 1.0
        basis = "entry"
        signed, rate = inverse_as_linear(signed, face, entry, mark, maintenance, basis)
    elif maintenance:
        rate = rate_from_margin(maintenance, signed, 1.0, mark if basis else entry, what)
    elif market_id in tiers:
        rate, own_tiers = None, tiers[market_id]  # type: ignore[assignment]
    else:
        raise bad_response(f"{what}: no positionMM and no risk-limit tiers")
    isolated_margin = None
    if isolated:
        # In the settle coin: USDT/USDC, or the coin of an inverse contract (so, judged in
        # dollars, a margin in the base asset, worth less as its price falls).
        isolated_margin = num(row.get("positionBalance"), f"{what} positionBalance")
    return rm.Position(
        symbol=symbol,
        kind="linear",
        size=signed,
        entry_price=entry,
        mark_price=mark,
        contract_size=1.0,
        margin_mode="isolated" if isolated else "cross",
        maintenance_rate=rate,
        tiers=own_tiers,
        isolated_margin=isolated_margin,
        isolated_margin_in="base" if inverse else "settle",
        leverage=opt_num(row.get("leverage"), f"{what} leverage"),
        maintenance_basis=basis,
        reported=reported(
            # "" means Bybit gives no estimate (outside its price band, portfolio margin):
            # unknown, never 0.
            liquidation_price=opt_num(row.get("liqPrice"), f"{what} liqPrice") or None,
            bankruptcy_price=opt_num(row.get("bustPrice"), f"{what} bustPrice") or None,
            position_mm=maintenance,
            position_im=opt_num(row.get("positionIM"), f"{what} positionIM"),
            position_value=opt_num(row.get("positionValue"), f"{what} positionValue"),
        ),
    )


def snapshot_from_bodies(
    wallet_body: Any,
    position_bodies: Sequence[Any] = (),
    specs: Mapping[str, ContractSpec] | None = None,
    tiers: Mapping[str, tuple[rm.Tier, ...]] | None = None,
    margin_mode: str = "REGULAR_MARGIN",
) -> tuple[rm.AccountSnapshot, list[str]]:
    """A Bybit unified account from its raw answers: (snapshot, notes for the user).

    ``margin_mode`` is ``account/info``'s ``marginMode``: in ``ISOLATED_MARGIN`` each position
    stands on its own margin; ``PORTFOLIO_MARGIN`` is refused because its maintenance comes
    from scenario losses no position row carries.
    """
    if margin_mode == "PORTFOLIO_MARGIN":
        raise bad_response(
            "Bybit portfolio margin is not supported: its maintenance margin is "
            "a scenario loss that the position rows do not carry"
        )
    account = unified_account(wallet_body)
    assets, liabilities, notes = _collateral(account)
    isolated = margin_mode == "ISOLATED_MARGIN"
    positions: list[rm.Position] = []
    margins: dict[str, float] = {}  # isolated margin per coin
    seen: set[tuple[str, str, str]] = set()
    for body in position_bodies:
        category, rows = position_rows(body)
        if category not in ("linear", "inverse"):
            notes.append(texts.BYBIT_CATEGORY_NOT_READ.format(category=category))
            continue
        for row in rows:
            # A row met twice (overlapping pages, a replayed list answering every settle coin)
            # is one position, not two.
            key = (category, str(row.get("symbol")), str(row.get("positionIdx")))
            if key in seen:
                continue
            seen.add(key)
            position = _position(row, category, specs or {}, tiers or {}, isolated)
            if position is not None:
                positions.append(position)
                if position.isolated_margin is not None:
                    spec = (specs or {}).get(str(row.get("symbol")))
                    coin = (
                        position.symbol.rsplit(":", 1)[-1]
                        if category == "inverse"
                        else _settles_in(str(row.get("symbol")), spec)
                    )
                    margins[coin] = margins.get(coin, 0.0) + position.isolated_margin
    # Each isolated position's margin is in its coin's wallet balance but backs that position
    # alone: set aside from the collateral the (then empty) cross pool counts.
    assets = [
        replace(asset, amount=asset.amount - margins[asset.asset])
        if asset.asset in margins
        else asset
        for asset in assets
    ]
    snapshot = rm.AccountSnapshot(
        venue="bybit",
        settle="USD",
        wallet_balance=0.0,
        positions=tuple(positions),
        assets=tuple(assets),
        liabilities=tuple(liabilities),
        reported=reported(
            account_mm_rate=opt_num(account.get("accountMMRate"), "accountMMRate"),
            account_im_rate=opt_num(account.get("accountIMRate"), "accountIMRate"),
            total_maintenance_margin=opt_num(
                account.get("totalMaintenanceMargin"), "totalMaintenanceMargin"
            ),
            total_initial_margin=opt_num(account.get("totalInitialMargin"), "totalInitialMargin"),
            total_margin_balance=opt_num(account.get("totalMarginBalance"), "totalMarginBalance"),
            total_wallet_balance=opt_num(account.get("totalWalletBalance"), "totalWalletBalance"),
            total_equity=opt_num(account.get("totalEquity"), "totalEquity"),
            total_perp_upl=opt_num(account.get("totalPerpUPL"), "totalPerpUPL"),
        ),
    )
    return snapshot, notes


# --- the adapter -----------------------------------------------------------------------------

# Seeds for ccxt's per-instance unified-account probe (query-api + account/info with each
# user's key on the first unified call): set once here, so a poll costs only the account's own
# private reads. Markets: contracts only; spot and option lists are never needed.
CCXT_OPTIONS: Mapping[str, Any] = {
    "enableUnifiedAccount": True,
    "enableUnifiedMargin": False,
    "unifiedMarginStatus": 6,
    "fetchMarkets": {"types": ["linear", "inverse"]},
}
SPECS_TTL = 3600.0
MAX_POSITION_PAGES = 10

# Bybit's permission groups, in the vocabulary of types.py (Wallet is transfer/withdraw).
_BYBIT_RIGHTS = {
    "ContractTrade": RIGHT_TRADE,
    "Spot": RIGHT_TRADE,
    "Derivatives": RIGHT_TRADE,
    "Options": RIGHT_TRADE,
    "Exchange": RIGHT_TRADE,
    "CopyTrading": RIGHT_TRADE,
    "BlockTrade": RIGHT_TRADE,
    "NFT": RIGHT_TRADE,
}


def key_rights(query_api_body: Any) -> tuple[bool, frozenset[str], bool]:
    """(read-only?, rights, unified account?) from ``GET /v5/user/query-api``.

    ``readOnly`` 1 is Bybit's read-only key; on such a key the permission lists name what it
    may read. Any ``Withdraw`` or ``Transfer`` entry is a right to move money either way.
    """
    result = _result(query_api_body, "query-api")
    read_only = str(result.get("readOnly")) == "1"
    rights = {RIGHT_READ}
    permissions = result.get("permissions") or {}
    for group, entries in permissions.items():
        entries = [str(e) for e in entries or []]
        if any("withdraw" in e.lower() for e in entries):
            rights.add(RIGHT_WITHDRAW)
        if any("transfer" in e.lower() for e in entries):
            rights.add(RIGHT_TRANSFER)
        if not read_only and entries and group in _BYBIT_RIGHTS:
            rights.add(_BYBIT_RIGHTS[group])
    if not read_only:
        rights.add(RIGHT_TRADE)
    unified = str(result.get("uta")) == "1" or str(result.get("unified")) == "1"
    return read_only, frozenset(rights), unified


@register
class BybitAdapter(VenueAdapter):
    info = VenueInfo(venue="bybit", ccxt_id="bybit", label="Bybit (unified trading account)")
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "private_get_v5_account_wallet_balance",
            "private_get_v5_position_list",
            "private_get_v5_user_query_api",
        }
    )
    read_endpoints = endpoints(
        "public GET v5/market/instruments-info",
        "public GET v5/market/time",
        "private GET v5/account/wallet-balance",
        "private GET v5/position/list",
        "private GET v5/user/query-api",
    )
    ccxt_options = CCXT_OPTIONS

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        wallet = await client.private_get_v5_account_wallet_balance({"accountType": "UNIFIED"})
        account = unified_account(wallet)
        linear, inverse = settle_coins_with_positions(account)
        bodies = []
        for coin in linear:
            bodies.extend(await self._positions(client, {"category": "linear", "settleCoin": coin}))
        if inverse:
            bodies.extend(await self._positions(client, {"category": "inverse"}))
        specs = await ctx.shared.cached(
            "contract_specs", SPECS_TTL, partial(shared_specs, client.markets)
        )
        # Account-wide figures are "" in isolated margin mode (Bybit: "not applicable"): that
        # is how the mode shows without an extra account/info request per poll.
        mode = (
            "ISOLATED_MARGIN" if account.get("accountMMRate") in ("", None) else ("REGULAR_MARGIN")
        )
        snapshot, notes = snapshot_from_bodies(wallet, bodies, specs, margin_mode=mode)
        return finish(snapshot, notes)

    async def _positions(self, client: ReadOnlyClient, request: dict[str, Any]) -> list[Any]:
        pages = []
        cursor = None
        for _ in range(MAX_POSITION_PAGES):
            params = {**request, "limit": 200, **({"cursor": cursor} if cursor else {})}
            body = await client.private_get_v5_position_list(params)
            pages.append(body)
            result = body.get("result") if isinstance(body, Mapping) else None
            rows = result.get("list") if isinstance(result, Mapping) else None
            cursor = result.get("nextPageCursor") if isinstance(result, Mapping) else None
            if not cursor or not rows or len(rows) < 200:
                break
        return pages

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        read_only, rights, unified = key_rights(await client.private_get_v5_user_query_api())
        # The probe ccxt would make on first use is answered now: keep its result.
        client.options["enableUnifiedAccount"] = unified
        if not unified:
            return KeyCheck(
                ok=False,
                can_report_rights=True,
                rights=rights,
                message=texts.BYBIT_NOT_UNIFIED,
            )
        dangerous = [
            texts.DANGEROUS_RIGHT_NAMES[r] for r in sorted(rights) if r in DANGEROUS_RIGHTS
        ]
        if not read_only or dangerous:
            listed = ", ".join(dangerous) or "trading"
            return KeyCheck(
                ok=False,
                can_report_rights=True,
                rights=rights,
                message=texts.BYBIT_KEY_TOO_MUCH.format(rights=listed),
            )
        return KeyCheck(
            ok=True,
            can_report_rights=True,
            rights=rights,
            message=texts.KEY_ACCEPTED.format(venue="Bybit"),
        )
