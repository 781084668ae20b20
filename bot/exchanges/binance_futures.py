"""Binance USDⓈ-M futures: account, positionRisk and leverage brackets (with cum) into a snapshot.

ccxt's unified position is used for symbols and sides, but its ``maintenanceMargin`` ignores the
bracket's maintenance amount and its ``marginRatio`` is per position, not the account's: the
maintenance figures come from the raw brackets instead.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import risk.model as rm

from . import texts
from .base import ReadContext, VenueAdapter, finish, num, opt_num, positive, reported
from .binance import BINANCE_OPTIONS
from .binance_keys import key_check_from_restrictions
from .errors import bad_response
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import AccountRead, KeyCheck, VenueInfo

SETTLE = "USDT"
# Brackets are the same for (almost) every account: one private call per hour per exchange.
BRACKETS_TTL = 3600.0


def tiers_from_brackets(brackets: Any, what: str) -> tuple[rm.Tier, ...]:
    """Binance leverage brackets (notional or qty floors/caps, rate, cum) as risk tiers."""
    if not isinstance(brackets, list) or not brackets:
        raise bad_response(f"{what}: no brackets")
    tiers = []
    for bracket in brackets:
        floor = num(
            bracket.get("notionalFloor", bracket.get("qtyFloor", bracket.get("qtylFloor"))),
            f"{what} floor",
        )
        cap = num(bracket.get("notionalCap", bracket.get("qtyCap")), f"{what} cap")
        tiers.append(
            rm.Tier(
                floor=floor,
                cap=cap,
                rate=num(bracket.get("maintMarginRatio"), f"{what} rate"),
                amount=num(bracket.get("cum", 0), f"{what} cum"),
            )
        )
    tiers.sort(key=lambda tier: tier.floor)
    # The last bracket is open-ended in practice: nothing is refused above its cap.
    tiers[-1] = rm.Tier(
        floor=tiers[-1].floor, cap=math.inf, rate=tiers[-1].rate, amount=tiers[-1].amount
    )
    return tuple(tiers)


def brackets_by_id(raw: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(raw, list):
        raise bad_response("leverageBracket: not a list")
    out = {}
    for entry in raw:
        if isinstance(entry, dict):
            key = entry.get("symbol") or entry.get("pair")
            if key:
                out[str(key)] = entry.get("brackets") or []
    return out


def ccxt_bracket_option(
    client: ReadOnlyClient, brackets: dict[str, list[dict[str, Any]]]
) -> dict[str, list[list[str]]]:
    """ccxt's own ``options['leverageBrackets']`` shape, so fetch_positions does not re-ask."""
    option = {}
    for market_id, rows in brackets.items():
        symbol = client.safe_symbol(market_id, None, None, "contract")
        option[symbol] = [
            [
                str(r.get("notionalFloor", r.get("qtyFloor", r.get("qtylFloor")))),
                str(r.get("maintMarginRatio")),
            ]
            for r in rows
        ]
    return option


async def shared_brackets(
    ctx: ReadContext,
    fetch: Callable[[], Awaitable[Any]],
    to_ccxt: Callable[[dict[str, list[dict[str, Any]]]], dict[str, list[list[str]]]],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[list[str]]]]:
    """The exchange's brackets, parsed and in ccxt's shape, once per TTL for every account.

    Parsed per poll, Binance's ~400 symbols × ~10 brackets cost ~8 ms of CPU: more than the rest
    of the poll. Both results are only read afterwards (ccxt reads its option), so all accounts
    share them.
    """

    async def load() -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[list[str]]]]:
        parsed = brackets_by_id(await fetch())
        return parsed, to_ccxt(parsed)

    shared: tuple[
        dict[str, list[dict[str, Any]]], dict[str, list[list[str]]]
    ] = await ctx.shared.cached("leverage_brackets", BRACKETS_TTL, load)
    return shared


@register
class BinanceUsdmAdapter(VenueAdapter):
    info = VenueInfo(venue="binanceusdm", ccxt_id="binanceusdm", label="Binance USDⓈ-M futures")
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "fetch_balance",
            "fetch_positions",
            "fapiprivate_get_leveragebracket",
            "sapi_get_account_apirestrictions",
        }
    )
    read_endpoints = endpoints(
        "fapiPublic GET exchangeInfo",
        "fapiPublic GET time",
        "fapiPrivateV3 GET account",
        "fapiPrivateV3 GET positionRisk",
        "fapiPrivate GET leverageBracket",
        "sapi GET account/apiRestrictions",
    )
    ccxt_options: ClassVar[dict[str, Any]] = {**BINANCE_OPTIONS}

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        brackets, option = await shared_brackets(
            ctx,
            client.fapiprivate_get_leveragebracket,
            lambda parsed: ccxt_bracket_option(client, parsed),
        )
        client.options["leverageBrackets"] = option
        balance = await client.fetch_balance()
        account = balance.get("info") if isinstance(balance, dict) else None
        if not isinstance(account, dict):
            raise bad_response("Binance fapi account: not an object")
        unified = await client.fetch_positions()
        notes: list[str] = []
        multi_assets = self._multi_assets(account, notes)
        wallet = self._wallet(account, multi_assets, notes)
        positions = []
        for position in unified:
            built = self._position(position, brackets, multi_assets, notes)
            if built is not None:
                positions.append(built)
        margin_balance = num(account.get("totalMarginBalance"), "totalMarginBalance")
        maintenance = num(account.get("totalMaintMargin"), "totalMaintMargin")
        if not unified and maintenance > 0:  # positionRisk lost its rows: never show "no risk"
            raise bad_response("positionRisk lists no position but the account has maintenance")
        snapshot = rm.AccountSnapshot(
            venue="binanceusdm",
            settle=SETTLE,
            wallet_balance=wallet,
            positions=tuple(positions),
            reported=reported(
                margin_ratio=maintenance / margin_balance if margin_balance > 0 else None,
                equity=margin_balance,
                maintenance_margin=maintenance,
                initial_margin=opt_num(account.get("totalInitialMargin"), "totalInitialMargin"),
                wallet_balance=opt_num(account.get("totalWalletBalance"), "totalWalletBalance"),
            ),
        )
        return finish(snapshot, notes, approximate=multi_assets)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        return key_check_from_restrictions(await client.sapi_get_account_apirestrictions())

    def _multi_assets(self, account: dict[str, Any], notes: list[str]) -> bool:
        """Multi-Assets mode: from the flag when the answer has it (v2), else from the totals.

        v3 ``account`` has no flag, but in single-asset mode the totals are "only for the USDT
        asset" (Binance's field docs), so totals above the USDT row mean every asset counts.
        """
        flag = account.get("multiAssetsMargin")
        if isinstance(flag, bool):
            return flag
        usdt = next(
            (
                a
                for a in account.get("assets") or []
                if isinstance(a, dict) and a.get("asset") == SETTLE
            ),
            None,
        )
        total = opt_num(account.get("totalCrossWalletBalance"), "totalCrossWalletBalance")
        if usdt is None or total is None:
            return False
        own = num(usdt.get("crossWalletBalance", 0), "USDT crossWalletBalance")
        inferred = total - own > max(1e-6, 1e-9 * abs(total))
        if inferred:
            notes.append(texts.BINANCE_MULTI_ASSETS_INFERRED.format(settle=SETTLE))
        return inferred

    def _wallet(self, account: dict[str, Any], multi_assets: bool, notes: list[str]) -> float:
        if multi_assets:
            notes.append(texts.BINANCE_MULTI_ASSETS)
            return num(account.get("totalCrossWalletBalance"), "totalCrossWalletBalance")
        for asset in account.get("assets") or []:
            if isinstance(asset, dict) and asset.get("asset") == SETTLE:
                return num(
                    asset.get("crossWalletBalance", asset.get("walletBalance")),
                    "USDT crossWalletBalance",
                )
        return num(account.get("totalCrossWalletBalance", 0), "totalCrossWalletBalance")

    def _position(
        self,
        position: dict[str, Any],
        brackets: dict[str, list[dict[str, Any]]],
        multi_assets: bool,
        notes: list[str],
    ) -> rm.Position | None:
        raw = position.get("info") or {}
        symbol = position.get("symbol") or raw.get("symbol")
        size = num(raw.get("positionAmt"), f"{symbol} positionAmt")
        if size == 0:
            return None
        margin_asset = raw.get("marginAsset", SETTLE)
        if margin_asset != SETTLE and not multi_assets:
            notes.append(texts.BINANCE_SEPARATE_POOL.format(symbol=symbol, asset=margin_asset))
            return None
        if raw.get("positionSide") == "SHORT" and size > 0:
            size = -size  # hedge mode reports the short leg with a positive amount on some apis
        mark = positive(raw.get("markPrice"), f"{symbol} markPrice")
        entry = positive(raw.get("entryPrice"), f"{symbol} entryPrice")
        market_id = str(raw.get("symbol"))
        maintenance: dict[str, Any] = {}
        if market_id in brackets:
            maintenance["tiers"] = tiers_from_brackets(brackets[market_id], f"{symbol} brackets")
        else:
            maint = opt_num(raw.get("maintMargin"), f"{symbol} maintMargin")
            if maint is None:
                raise bad_response(f"{symbol}: no leverage bracket and no maintMargin")
            maintenance["maintenance_rate"] = maint / abs(size * mark)
            notes.append(texts.BINANCE_NO_BRACKET.format(symbol=symbol))
        isolated = (
            raw.get("marginType") == "isolated"
            or (opt_num(raw.get("isolatedMargin"), f"{symbol} isolatedMargin") or 0.0) != 0.0
        )
        liquidation = opt_num(raw.get("liquidationPrice"), f"{symbol} liquidationPrice")
        return rm.Position(
            symbol=str(symbol),
            kind="linear",
            size=size,
            entry_price=entry,
            mark_price=mark,
            contract_size=float(position.get("contractSize") or 1.0),
            margin_mode="isolated" if isolated else "cross",
            isolated_margin=num(raw.get("isolatedWallet"), f"{symbol} isolatedWallet")
            if isolated
            else None,
            reported=reported(
                liquidation_price=liquidation if liquidation else None,
                maintenance_margin=opt_num(raw.get("maintMargin"), f"{symbol} maintMargin"),
                unrealized_pnl=opt_num(raw.get("unRealizedProfit"), f"{symbol} unRealizedProfit"),
            ),
            **maintenance,
        )


@register
class BinanceCoinmAdapter(VenueAdapter):
    """Binance COIN-M: one cross pool per margin coin, each a snapshot of its own.

    A snapshot has one settle currency, so an account margined in BTC and ETH is read as one
    snapshot per coin (``AccountRead.pools``); the riskiest (highest maintenance / margin
    balance, Binance's own figures) is the read's ``snapshot``, and every pool is judged and
    shown (``AccountRead.health``: the others in ``Health.pools``).
    """

    info = VenueInfo(venue="binancecoinm", ccxt_id="binancecoinm", label="Binance COIN-M futures")
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "fetch_balance",
            "fetch_positions",
            "dapiprivatev2_get_leveragebracket",
            "sapi_get_account_apirestrictions",
        }
    )
    read_endpoints = endpoints(
        "dapiPublic GET exchangeInfo",
        "dapiPublic GET time",
        "dapiPrivate GET account",
        "dapiPrivate GET positionRisk",
        "dapiPrivateV2 GET leverageBracket",
        "sapi GET account/apiRestrictions",
    )
    ccxt_options: ClassVar[dict[str, Any]] = {**BINANCE_OPTIONS}

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        brackets, option = await shared_brackets(
            ctx,
            client.dapiprivatev2_get_leveragebracket,
            lambda parsed: self._ccxt_brackets(client, parsed),
        )
        client.options["leverageBrackets"] = option
        balance = await client.fetch_balance()
        account = balance.get("info") if isinstance(balance, dict) else None
        if not isinstance(account, dict) or not isinstance(account.get("assets"), list):
            raise bad_response("Binance dapi account: no assets")
        unified = await client.fetch_positions()
        pools: dict[str, list[rm.Position]] = {}
        for position in unified:
            built = self._position(client, position, brackets)
            if built is not None:
                settle = client.markets[built.symbol]["settle"]
                pools.setdefault(settle, []).append(built)
        snapshots = []
        for asset in account["assets"]:
            code = str(asset.get("asset"))
            wallet = num(
                asset.get("crossWalletBalance", asset.get("walletBalance")),
                f"{code} crossWalletBalance",
            )
            if wallet == 0 and code not in pools:
                continue
            margin_balance = num(asset.get("marginBalance"), f"{code} marginBalance")
            maintenance = num(asset.get("maintMargin"), f"{code} maintMargin")
            ratio = maintenance / margin_balance if margin_balance > 0 else None
            snapshots.append(
                (
                    ratio if ratio is not None else math.inf,
                    code,
                    rm.AccountSnapshot(
                        venue="binancecoinm",
                        settle=code,
                        wallet_balance=wallet,
                        positions=tuple(pools.get(code, ())),
                        reported=reported(
                            margin_ratio=ratio,
                            equity=margin_balance,
                            maintenance_margin=maintenance,
                        ),
                    ),
                )
            )
        if not snapshots:
            raise bad_response("Binance COIN-M: no margin asset with a balance or position")
        # Binance's own ratio orders the pools: the riskiest is the read's snapshot.
        snapshots.sort(key=lambda item: (-item[0], item[1]))
        pools = tuple(snapshot for _, _, snapshot in snapshots)
        return finish(pools[0], pools=pools if len(pools) > 1 else ())

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        return key_check_from_restrictions(await client.sapi_get_account_apirestrictions())

    def _ccxt_brackets(
        self, client: ReadOnlyClient, brackets: dict[str, list[dict[str, Any]]]
    ) -> dict[str, Any]:
        # v2 COIN-M brackets are per pair (BTCUSD): every contract of the pair shares them.
        option = {}
        for market in client.markets.values():
            rows = brackets.get(str((market.get("info") or {}).get("pair")))
            if rows:
                option[market["symbol"]] = [
                    [str(r.get("qtyFloor", r.get("qtylFloor"))), str(r.get("maintMarginRatio"))]
                    for r in rows
                ]
        return option

    def _position(
        self,
        client: ReadOnlyClient,
        position: dict[str, Any],
        brackets: dict[str, list[dict[str, Any]]],
    ) -> rm.Position | None:
        raw = position.get("info") or {}
        symbol = str(position.get("symbol"))
        size = num(raw.get("positionAmt"), f"{symbol} positionAmt")
        if size == 0:
            return None
        market = client.markets[symbol]
        pair = str((market.get("info") or {}).get("pair") or raw.get("symbol", "").split("_")[0])
        if pair not in brackets:
            raise bad_response(f"{symbol}: no leverage bracket for {pair}")
        isolated = raw.get("marginType") == "isolated"
        liquidation = opt_num(raw.get("liquidationPrice"), f"{symbol} liquidationPrice")
        return rm.Position(
            symbol=symbol,
            kind="inverse",
            size=size,
            entry_price=positive(raw.get("entryPrice"), f"{symbol} entryPrice"),
            mark_price=positive(raw.get("markPrice"), f"{symbol} markPrice"),
            contract_size=positive(market.get("contractSize"), f"{symbol} contractSize"),
            margin_mode="isolated" if isolated else "cross",
            isolated_margin=num(raw.get("isolatedWallet"), f"{symbol} isolatedWallet")
            if isolated
            else None,
            tiers=tiers_from_brackets(brackets[pair], f"{symbol} brackets"),
            reported=reported(liquidation_price=liquidation if liquidation else None),
        )
