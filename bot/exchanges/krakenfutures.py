"""Kraken Futures multi-collateral (flex) account: wallets and open positions read into a
snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

import risk.model as rm

from . import texts
from .base import (
    ReadContext,
    SharedVenueData,
    VenueAdapter,
    finish,
    num,
    opt_num,
    positive,
    reported,
)
from .errors import bad_response
from .generic import ContractSpec, cumulative_tiers, settle_cash
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import RIGHT_READ, AccountRead, KeyCheck, VenueInfo

FLEX = "flex"


def _success(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_response(f"Kraken Futures {what}: the answer is not a JSON object")
    if body.get("result") != "success":
        raise bad_response(
            f"Kraken Futures {what}: result {body.get('result')!r} ({str(body.get('error'))[:80]})"
        )
    return body


def flex_account(accounts_body: Any) -> Mapping[str, Any]:
    """The multi-collateral wallet of a ``GET /derivatives/api/v3/accounts`` answer."""
    accounts = _success(accounts_body, "accounts").get("accounts")
    if not isinstance(accounts, Mapping):
        raise bad_response("Kraken Futures accounts: no accounts object")
    flex = accounts.get(FLEX)
    if not isinstance(flex, Mapping):
        raise bad_response("Kraken Futures accounts: no multi-collateral (flex) wallet")
    return flex


def mark_prices(tickers_body: Any) -> dict[str, float]:
    """Upper-case contract symbol -> mark price, from public ``GET /derivatives/api/v3/tickers``.

    Open positions carry no mark: it is read once per exchange per cycle and shared."""
    tickers = _success(tickers_body, "tickers").get("tickers")
    if not isinstance(tickers, list):
        raise bad_response("Kraken Futures tickers: no tickers list")
    marks: dict[str, float] = {}
    for ticker in tickers:
        mark = ticker.get("markPrice") if isinstance(ticker, Mapping) else None
        if mark not in (None, ""):
            marks[str(ticker.get("symbol", "")).upper()] = num(
                mark, f"{ticker.get('symbol')} markPrice"
            )
    return marks


def margin_tiers(instrument_info: Mapping[str, Any]) -> tuple[rm.Tier, ...]:
    """Maintenance tiers of one instrument from its ``marginLevels``.

    Flex contracts band by USD notional (``numNonContractUnits``), the older inverse ones by
    contracts. The bands are taken as incremental (each band's rate on the part inside it),
    which keeps the requirement continuous; the account's own ``maintenanceMargin`` is the check.
    """
    levels = instrument_info.get("marginLevels") or []
    symbol = instrument_info.get("symbol")
    return cumulative_tiers(
        (
            num(level.get("numNonContractUnits", level.get("contracts")), f"{symbol} margin band"),
            num(level.get("maintenanceMargin"), f"{symbol} maintenanceMargin"),
        )
        for level in levels
    )


def _collateral(flex: Mapping[str, Any]) -> list[rm.Asset]:
    """Each currency at its USD value, discounted as Kraken discounted it (value → collateral)."""
    assets: list[rm.Asset] = []
    for code, row in (flex.get("currencies") or {}).items():
        quantity = num(row.get("quantity"), f"{code} quantity")
        if quantity == 0:
            continue
        value = num(row.get("value"), f"{code} value")
        collateral = num(row.get("collateral"), f"{code} collateral")
        price = value / quantity
        if price <= 0:
            raise bad_response(f"Kraken Futures {code}: USD price {price:g} is not positive")
        haircut = min(max(1.0 - collateral / value, 0.0), 0.99) if value > 0 else 0.0
        assets.append(
            rm.Asset(asset=str(code).upper(), amount=quantity, price=price, haircut=haircut)
        )
    return assets


def _position(
    row: Mapping[str, Any], specs: Mapping[str, ContractSpec], marks: Mapping[str, float]
) -> rm.Position | None:
    market_id = str(row.get("symbol") or "")
    what = f"Kraken Futures position {market_id}"
    size = opt_num(row.get("size"), f"{what} size")
    if not size:
        return None
    side = row.get("side")
    if side not in ("long", "short"):
        raise bad_response(f"{what}: side {side!r} is neither long nor short")
    spec = specs.get(market_id) or specs.get(market_id.upper()) or specs.get(market_id.lower())
    if spec is None or not spec.tiers:
        raise bad_response(f"{what}: no margin schedule is known for this contract")
    mark = marks.get(market_id.upper())
    if mark is None:
        raise bad_response(f"{what}: no mark price in the tickers")
    if mark <= 0:
        raise bad_response(f"{what}: mark price {mark:g} is not positive")
    entry = positive(row.get("price"), f"{what} price")
    leverage = opt_num(row.get("maxFixedLeverage"), f"{what} maxFixedLeverage")
    signed = size if side == "long" else -size
    isolated_margin = None
    if leverage:
        # Isolated: the answer does not carry the position's margin; its initial margin at the
        # fixed leverage is the best estimate (extra margin added later is not seen).
        isolated_margin = abs(signed) * spec.contract_size * entry / leverage
    return rm.Position(
        symbol=spec.symbol,
        kind="linear",
        size=signed,
        entry_price=entry,
        mark_price=mark,
        contract_size=spec.contract_size,
        margin_mode="isolated" if leverage else "cross",
        tiers=spec.tiers,
        isolated_margin=isolated_margin,
        leverage=leverage,
        reported=reported(
            unrealized_funding=opt_num(row.get("unrealizedFunding"), f"{what} funding"),
            unrealized_pnl=opt_num(row.get("unrealizedPnl"), f"{what} unrealizedPnl"),
        ),
    )


def snapshot_from_bodies(
    accounts_body: Any,
    positions_body: Any,
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, float],
) -> tuple[rm.AccountSnapshot, list[str]]:
    """A Kraken Futures flex account from its raw answers: (snapshot, notes for the user).

    Only multi-collateral (``PF_``) contracts share the flex wallet; the older inverse
    contracts (``PI_``/``FI_``) each have their own single-collateral margin account and are
    left out, with a note.
    """
    flex = flex_account(accounts_body)
    body = _success(positions_body, "openpositions")
    rows = body.get("openPositions")
    if not isinstance(rows, list):
        # A flat account and an unreadable one are not the same thing (ccxt#19896, #29710).
        raise bad_response("Kraken Futures openpositions: no openPositions list")
    notes: list[str] = []
    positions: list[rm.Position] = []
    for row in rows:
        market_id = str(row.get("symbol") or "")
        if not market_id.lower().startswith("pf_"):
            notes.append(texts.KRAKENFUTURES_SINGLE_COLLATERAL.format(market=market_id.upper()))
            continue
        position = _position(row, specs, marks)
        if position is not None:
            positions.append(position)
    funding = opt_num(flex.get("unrealizedFunding"), "unrealizedFunding") or 0.0
    assets = _collateral(flex)
    # Kraken's own collateral total is the anchor: whatever it counts that the currency list
    # does not itemise (its published examples list only some currencies) is kept as dollars.
    unlisted = 0.0
    collateral_value = opt_num(flex.get("collateralValue"), "collateralValue")
    if collateral_value is not None:
        unlisted = collateral_value - sum(a.amount * a.price * (1 - a.haircut) for a in assets)
        if abs(unlisted) > max(0.005 * abs(collateral_value), 0.01):
            notes.append(texts.KRAKENFUTURES_UNITEMISED.format(amount=unlisted))
    # Unrealised funding is owed or due now: it counts in Kraken's portfolio value.
    wallet, debts = settle_cash(funding + unlisted, "USD")
    snapshot = rm.AccountSnapshot(
        venue="krakenfutures",
        settle="USD",
        wallet_balance=wallet,
        liabilities=debts,
        positions=tuple(positions),
        assets=tuple(assets),
        reported=reported(
            margin_equity=opt_num(flex.get("marginEquity"), "marginEquity"),
            maintenance_margin=opt_num(flex.get("maintenanceMargin"), "maintenanceMargin"),
            initial_margin=opt_num(flex.get("initialMargin"), "initialMargin"),
            portfolio_value=opt_num(flex.get("portfolioValue"), "portfolioValue"),
            collateral_value=opt_num(flex.get("collateralValue"), "collateralValue"),
            available_margin=opt_num(flex.get("availableMargin"), "availableMargin"),
            total_unrealized_as_margin=opt_num(
                flex.get("totalUnrealizedAsMargin"), "totalUnrealizedAsMargin"
            ),
        ),
    )
    return snapshot, notes


def flex_specs(markets: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ContractSpec]:
    """Upper-case market id -> spec with the margin schedule, for the flex (``PF_``) contracts
    ccxt loaded from the public instruments list (``market['info']['marginLevels']``)."""
    specs: dict[str, ContractSpec] = {}
    for market in (markets or {}).values():
        market_id = str(market.get("id") or "")
        if not market_id.lower().startswith("pf_"):
            continue
        info = market.get("info") or {}
        size = market.get("contractSize")
        specs[market_id.upper()] = ContractSpec(
            symbol=str(market["symbol"]),
            contract_size=float(size) if size else 1.0,
            tiers=margin_tiers(info) if info.get("marginLevels") else (),
        )
    return specs


# --- the adapter -----------------------------------------------------------------------------

SPECS_TTL = 3600.0
TICKER_TTL = 5.0


@register
class KrakenFuturesAdapter(VenueAdapter):
    info = VenueInfo(
        venue="krakenfutures", ccxt_id="krakenfutures", label="Kraken Futures (multi-collateral)"
    )
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "private_get_accounts",
            "private_get_openpositions",
            "public_get_tickers",
        }
    )
    read_endpoints = endpoints(
        "public GET instruments",
        "public GET tickers",
        "private GET accounts",
        "private GET openpositions",
    )

    def preseed(self, exchange: Any, shared: SharedVenueData) -> None:
        # ccxt joins these base URLs to "v3/accounts" without a separator; a host rewrite
        # (the simulator, a replay) that drops the final "/" would send ".../apiv3/accounts".
        for name, url in list(exchange.urls["api"].items()):
            if isinstance(url, str) and url.endswith("/derivatives/api"):
                exchange.urls["api"][name] = url + "/"

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        accounts = await client.private_get_accounts()
        positions = await client.private_get_openpositions()
        rows = positions.get("openPositions") if isinstance(positions, Mapping) else None
        marks: Mapping[str, float] = {}
        if rows:
            # Marks are public and the same for every account: one request per cycle.
            marks = await ctx.shared.cached("marks", TICKER_TTL, partial(_load_marks, client))
        specs = await ctx.shared.cached(
            "flex_specs", SPECS_TTL, partial(_load_specs, client.markets)
        )
        snapshot, notes = snapshot_from_bodies(accounts, positions, specs, marks)
        return finish(snapshot, notes)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        # A read the bot needs anyway proves the key exists and may read the wallets.
        flex_account(await client.private_get_accounts())
        return KeyCheck(
            ok=True,
            can_report_rights=False,
            rights=frozenset({RIGHT_READ}),
            message=texts.KRAKENFUTURES_READ_ONLY_KEY_HELP,
        )


async def _load_marks(client: ReadOnlyClient) -> dict[str, float]:
    return mark_prices(await client.public_get_tickers())


async def _load_specs(markets: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ContractSpec]:
    return flex_specs(markets)
