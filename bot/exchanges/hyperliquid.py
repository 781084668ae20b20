"""Hyperliquid perpetuals account, read by public wallet address: clearinghouseState into a
snapshot."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

import risk.model as rm

from . import texts
from .base import ReadContext, VenueAdapter, finish, num, opt_num, positive, reported
from .errors import ExchangeReadError, bad_response
from .generic import ContractSpec, settle_cash
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import RIGHT_READ, AccountRead, Credentials, KeyCheck, VenueInfo

SETTLE = "USDC"
WALLET_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def check_wallet_address(address: str | None) -> str:
    """``address`` if it is a 0x-prefixed 20-byte hex address; a sentence otherwise.

    Hyperliquid needs no key at all: the account is public. A private key pasted by mistake is
    64 hex digits and is refused here, before anything is stored or sent.
    """
    text = (address or "").strip()
    if WALLET_ADDRESS.match(text):
        return text
    if re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", text):
        raise ValueError(texts.WALLET_ADDRESS_IS_A_PRIVATE_KEY)
    raise ValueError(texts.WALLET_ADDRESS_MALFORMED)


def _position(
    entry: Mapping[str, Any], specs: Mapping[str, ContractSpec]
) -> tuple[rm.Position, float] | None:
    coin = str(entry.get("coin") or "")
    what = f"Hyperliquid position {coin}"
    size = opt_num(entry.get("szi"), f"{what} szi")
    if not size:
        return None
    value = positive(entry.get("positionValue"), f"{what} positionValue")
    mark = value / abs(size)  # the row has no mark: positionValue is |szi| × mark
    max_leverage = positive(entry.get("maxLeverage"), f"{what} maxLeverage")
    leverage = entry.get("leverage") if isinstance(entry.get("leverage"), Mapping) else {}
    isolated = leverage.get("type") == "isolated"
    upnl = num(entry.get("unrealizedPnl"), f"{what} unrealizedPnl")
    margin_used = num(entry.get("marginUsed"), f"{what} marginUsed")
    spec = specs.get(coin)
    position = rm.Position(
        symbol=spec.symbol if spec else f"{coin}/{SETTLE}:{SETTLE}",
        kind="linear",
        size=size,
        entry_price=positive(entry.get("entryPx"), f"{what} entryPx"),
        mark_price=mark,
        margin_mode="isolated" if isolated else "cross",
        # Not in the answer: Hyperliquid's maintenance margin is half the initial margin at the
        # asset's maximum leverage. Assets on a tiered margin table lower maxLeverage with size;
        # the row's maxLeverage is the one in force, and crossMaintenanceMarginUsed is the check.
        maintenance_rate=1.0 / (2.0 * max_leverage),
        # Isolated marginUsed includes the position's P&L (ccxt: margin = marginUsed − uPnL).
        isolated_margin=margin_used - upnl if isolated else None,
        leverage=opt_num(leverage.get("value"), f"{what} leverage"),
        reported=reported(
            # null means no price liquidates it (or Hyperliquid gives none): unknown, never 0.
            liquidation_price=opt_num(entry.get("liquidationPx"), f"{what} liquidationPx") or None,
            margin_used=margin_used,
            unrealized_pnl=upnl,
        ),
    )
    return position, upnl


def snapshot_from_state(
    state: Any, specs: Mapping[str, ContractSpec] | None = None
) -> tuple[rm.AccountSnapshot, list[str]]:
    """A Hyperliquid perpetuals account from its ``clearinghouseState``: (snapshot, notes).

    The cross pool's wallet is the cross account value less the cross positions' P&L as
    Hyperliquid computed it, so the engine, adding the legs' P&L back at mark, starts from
    Hyperliquid's own account value.
    """
    if not isinstance(state, Mapping):
        raise bad_response("Hyperliquid clearinghouseState: the answer is not a JSON object")
    cross_summary = state.get("crossMarginSummary")
    if not isinstance(cross_summary, Mapping):
        raise bad_response("Hyperliquid clearinghouseState: no crossMarginSummary")
    rows = state.get("assetPositions")
    if not isinstance(rows, list):
        raise bad_response("Hyperliquid clearinghouseState: assetPositions is not a list")
    positions: list[rm.Position] = []
    cross_upnl = 0.0
    for row in rows:
        entry = row.get("position") if isinstance(row, Mapping) else None
        if not isinstance(entry, Mapping):
            raise bad_response("Hyperliquid clearinghouseState: a position row has no position")
        parsed = _position(entry, specs or {})
        if parsed is None:
            continue
        position, upnl = parsed
        positions.append(position)
        if position.margin_mode == "cross":
            cross_upnl += upnl
    account_value = num(cross_summary.get("accountValue"), "crossMarginSummary.accountValue")
    summary = state.get("marginSummary") if isinstance(state.get("marginSummary"), Mapping) else {}
    wallet, debts = settle_cash(account_value - cross_upnl, SETTLE)
    snapshot = rm.AccountSnapshot(
        venue="hyperliquid",
        settle=SETTLE,
        wallet_balance=wallet,
        liabilities=debts,
        positions=tuple(positions),
        reported=reported(
            account_value=account_value,
            cross_maintenance_margin_used=opt_num(
                state.get("crossMaintenanceMarginUsed"), "crossMaintenanceMarginUsed"
            ),
            total_margin_used=opt_num(
                cross_summary.get("totalMarginUsed"), "crossMarginSummary.totalMarginUsed"
            ),
            total_notional=opt_num(
                cross_summary.get("totalNtlPos"), "crossMarginSummary.totalNtlPos"
            ),
            withdrawable=opt_num(state.get("withdrawable"), "withdrawable"),
            total_account_value=opt_num(summary.get("accountValue"), "marginSummary.accountValue"),
        ),
    )
    return snapshot, []


def hyperliquid_specs(markets: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ContractSpec]:
    """Coin name (as clearinghouseState names it) -> spec, from ccxt's swap markets."""
    specs: dict[str, ContractSpec] = {}
    for market in (markets or {}).values():
        if not market.get("swap"):
            continue
        coin = (
            (market.get("info") or {}).get("name") or market.get("baseName") or market.get("base")
        )
        if coin:
            specs[str(coin)] = ContractSpec(symbol=str(market["symbol"]))
    return specs


# --- the adapter -----------------------------------------------------------------------------

SPECS_TTL = 3600.0


@register
class HyperliquidAdapter(VenueAdapter):
    info = VenueInfo(
        venue="hyperliquid",
        ccxt_id="hyperliquid",
        label="Hyperliquid",
        needs_secret=False,
        needs_wallet_address=True,
    )
    read_methods: ClassVar[frozenset[str]] = frozenset({"public_post_info"})
    # Every read is POST /info; orders, transfers and withdrawals are POST /exchange (signed),
    # which is not on the list.
    read_endpoints = endpoints("public POST info")
    # Perpetual markets only; ccxt would also list spot and every HIP-3 dex. The two helper
    # tables exist from the start because ccxt's set_markets_from_exchange copies them and
    # raises KeyError when the master never filled them (they are filled by the HIP-3 fetch).
    ccxt_options: ClassVar[Mapping[str, Any]] = {
        "fetchMarkets": {"types": ["swap"]},
        "hip3TokensByName": {},
        "cachedCurrenciesById": {},
    }

    def ccxt_credentials(self, creds: Credentials) -> dict[str, Any]:
        try:
            address = check_wallet_address(creds.wallet_address)
        except ValueError as exc:
            raise ExchangeReadError("auth_failed", str(exc)) from None
        # Never hand ccxt a secret for this venue, even if one was stored by mistake.
        return {"walletAddress": address}

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        address = check_wallet_address(ctx.wallet_address)
        state = await client.public_post_info({"type": "clearinghouseState", "user": address})
        specs = await ctx.shared.cached(
            "coin_specs", SPECS_TTL, partial(_load_specs, client.markets)
        )
        snapshot, notes = snapshot_from_state(state, specs)
        return finish(snapshot, notes)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        check_wallet_address(ctx.wallet_address)
        return KeyCheck(
            ok=True,
            can_report_rights=True,
            rights=frozenset({RIGHT_READ}),
            message=texts.HYPERLIQUID_PUBLIC_ADDRESS,
        )


async def _load_specs(markets: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ContractSpec]:
    return hyperliquid_specs(markets)
