"""Binance spot cross margin: GET /sapi/v1/margin/account and spot prices into a snapshot."""

from __future__ import annotations

from typing import Any, ClassVar

import risk.model as rm

from . import texts
from .base import ReadContext, VenueAdapter, finish, num, reported
from .binance_keys import key_check_from_restrictions
from .errors import bad_response
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import AccountRead, KeyCheck, VenueInfo

SETTLE = "USDT"
PRICE_TTL = 5.0
# ccxt would otherwise ask for private currency and margin-pair lists with each user's key.
BINANCE_OPTIONS: dict[str, Any] = {"fetchCurrencies": False, "fetchMargins": False}


def usdt_prices(raw: Any) -> dict[str, float]:
    """``{market id: price}`` from GET /api/v3/ticker/price (every spot symbol)."""
    if not isinstance(raw, list):
        raise bad_response("Binance ticker/price: not a list")
    prices = {}
    for row in raw:
        if isinstance(row, dict) and row.get("symbol") and row.get("price") not in (None, ""):
            price = num(row["price"], f"ticker {row['symbol']}")
            if price > 0:
                prices[row["symbol"]] = price
    return prices


def asset_price(asset: str, prices: dict[str, float]) -> float | None:
    """The USDT price of ``asset``: direct pair, else through BTC."""
    if asset == SETTLE:
        return 1.0
    direct = prices.get(f"{asset}{SETTLE}")
    if direct:
        return direct
    through_btc = prices.get(f"{asset}BTC")
    btc = prices.get(f"BTC{SETTLE}")
    if through_btc and btc:
        return through_btc * btc
    inverse = prices.get(f"{SETTLE}{asset}")
    return 1.0 / inverse if inverse else None


@register
class BinanceMarginAdapter(VenueAdapter):
    info = VenueInfo(venue="binance", ccxt_id="binance", label="Binance (cross margin)")
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "fetch_balance",
            "public_get_ticker_price",
            "sapi_get_account_apirestrictions",
        }
    )
    read_endpoints = endpoints(
        "public GET exchangeInfo",
        "public GET ticker/price",
        "public GET time",
        "sapi GET margin/account",
        "sapi GET account/apiRestrictions",
    )
    ccxt_options: ClassVar[dict[str, Any]] = {
        **BINANCE_OPTIONS,
        "fetchMarkets": {"types": ["spot"]},
        "defaultType": "spot",
    }

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        balance = await client.fetch_balance({"type": "margin", "marginMode": "cross"})
        account = balance.get("info") if isinstance(balance, dict) else None
        if not isinstance(account, dict) or not isinstance(account.get("userAssets"), list):
            raise bad_response("Binance margin/account: no userAssets")
        # Spot prices once per exchange per cycle for every account.
        prices = usdt_prices(
            await ctx.shared.cached(
                "spot_prices", PRICE_TTL, lambda: client.public_get_ticker_price()
            )
        )
        wallet = 0.0
        assets: list[rm.Asset] = []
        liabilities: list[rm.Liability] = []
        left_out: list[str] = []
        for row in account["userAssets"]:
            name = str(row.get("asset", ""))
            held = num(row.get("free"), f"{name}.free") + num(
                row.get("locked", 0), f"{name}.locked"
            )
            borrowed = num(row.get("borrowed", 0), f"{name}.borrowed")
            interest = num(row.get("interest", 0), f"{name}.interest")
            if held == 0 and borrowed == 0 and interest == 0:
                continue
            price = asset_price(name, prices)
            if price is None:
                if borrowed or interest:
                    # Leaving a debt out would overstate the account's health.
                    raise bad_response(f"Binance: no price for borrowed asset {name}")
                left_out.append(name)
                continue
            if name == SETTLE:
                wallet += held
            elif held:
                assets.append(rm.Asset(asset=name, amount=held, price=price))
            if borrowed or interest:
                liabilities.append(
                    rm.Liability(asset=name, amount=borrowed, price=price, interest=interest)
                )
        notes = [texts.BINANCE_SPOT_PRICES]
        if left_out:
            notes.append(
                texts.BINANCE_NO_PRICE.format(settle=SETTLE, assets=", ".join(sorted(left_out)))
            )
        btc = asset_price("BTC", prices)
        total_asset_btc = num(account.get("totalAssetOfBtc"), "totalAssetOfBtc")
        total_liability_btc = num(account.get("totalLiabilityOfBtc"), "totalLiabilityOfBtc")
        snapshot = rm.AccountSnapshot(
            venue="binance",
            settle=SETTLE,
            wallet_balance=wallet,
            assets=tuple(assets),
            liabilities=tuple(liabilities),
            reported=reported(
                margin_level=num(account.get("marginLevel"), "marginLevel"),
                total_asset_btc=total_asset_btc,
                total_liability_btc=total_liability_btc,
                equity=None if btc is None else (total_asset_btc - total_liability_btc) * btc,
            ),
        )
        return finish(snapshot, notes)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        return key_check_from_restrictions(await client.sapi_get_account_apirestrictions())
