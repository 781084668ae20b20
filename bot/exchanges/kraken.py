"""Kraken spot margin: TradeBalance, OpenPositions (docalcs) and BalanceEx into a snapshot."""

from __future__ import annotations

from typing import Any, ClassVar

import risk.model as rm
from risk.profiles import profile_for

from . import texts
from .base import (
    ReadContext,
    VenueAdapter,
    finish,
    num,
    opt_num,
    positive,
    reported,
)
from .errors import bad_response
from .guard import ReadOnlyClient, endpoints
from .registry import register
from .types import AccountRead, KeyCheck, VenueInfo

SETTLE = "USD"
SETTLE_ASSET = "ZUSD"
# Staked / earning / opt-in rewards balances: Kraken does not count them as margin collateral.
EARN_SUFFIXES = (".S", ".M", ".F", ".B", ".P")
TICKER_TTL = 5.0
# Relative gap between Kraken's trade balance and our priced collateral worth telling the user.
TB_TOLERANCE = 0.02


def _result(response: Any, what: str) -> Any:
    if not isinstance(response, dict) or "result" not in response:
        raise bad_response(f"Kraken {what}: no 'result' in the answer")
    return response["result"]


@register
class KrakenAdapter(VenueAdapter):
    info = VenueInfo(venue="kraken", ccxt_id="kraken", label="Kraken (spot margin)")
    read_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "private_post_tradebalance",
            "private_post_openpositions",
            "private_post_balanceex",
            "fetch_tickers",
        }
    )
    read_endpoints = endpoints(
        "public GET AssetPairs",
        "public GET Assets",
        "public GET Ticker",
        "public GET Time",
        "private POST TradeBalance",
        "private POST OpenPositions",
        "private POST BalanceEx",
    )

    async def read(self, client: ReadOnlyClient, ctx: ReadContext) -> AccountRead:
        # Sequential on purpose: the hub holds the key's lock and nonces must arrive in order.
        trade = _result(
            await client.private_post_tradebalance({"asset": SETTLE_ASSET}), "TradeBalance"
        )
        if not isinstance(trade, dict):
            raise bad_response("Kraken TradeBalance: result is not an object")
        raw_positions = _result(
            await client.private_post_openpositions({"docalcs": "true"}), "OpenPositions"
        )
        balances = _result(await client.private_post_balanceex(), "BalanceEx")
        if not isinstance(balances, dict):
            raise bad_response("Kraken BalanceEx: result is not an object")

        notes: list[str] = []
        # `result: {}` (no positions, unconsolidated) and `result: []` (consolidated) are both
        # "nothing open"; ccxt's own parser raises on the first, so we never hand it over.
        rows = raw_positions.values() if isinstance(raw_positions, dict) else raw_positions
        if not isinstance(rows, list | type({}.values())):
            raise bad_response("Kraken OpenPositions: result is neither an object nor a list")
        position_rows = [row for row in rows if isinstance(row, dict)]
        if not position_rows and num(trade.get("m", 0), "TradeBalance.m") > 0:  # lost rows
            raise bad_response("Kraken OpenPositions lists nothing but TradeBalance holds margin")

        prices = await self._usd_prices(client, ctx, balances, position_rows)
        wallet, assets, left_out = self._collateral(client, balances, prices)
        if left_out:
            notes.append(texts.KRAKEN_LEFT_OUT.format(assets=", ".join(sorted(left_out))))
        reported_tb = num(trade.get("tb"), "TradeBalance.tb")
        priced_tb = wallet + sum(a.amount * a.price * (1 - a.haircut) for a in assets)
        if abs(priced_tb - reported_tb) > TB_TOLERANCE * max(abs(reported_tb), 1.0):
            # Kraken's own valuation differs from the prices we read (stale ticker, an asset we
            # cannot price): say so, the user sees both figures.
            notes.append(
                texts.KRAKEN_VALUATION_DIFFERS.format(
                    reported=reported_tb, priced=priced_tb, settle=SETTLE
                )
            )
        positions = [self._position(client, row, prices, notes) for row in position_rows]
        positions = [p for p in positions if p is not None]

        thresholds = self._thresholds(client, positions)
        margin_level = opt_num(trade.get("ml"), "TradeBalance.ml")
        snapshot = rm.AccountSnapshot(
            venue="kraken",
            settle=SETTLE,
            wallet_balance=wallet,
            positions=tuple(positions),
            assets=tuple(assets),
            thresholds=thresholds,
            reported=reported(
                margin_level=None if margin_level is None else margin_level / 100.0,
                equity=num(trade.get("e"), "TradeBalance.e"),
                used_margin=num(trade.get("m"), "TradeBalance.m"),
                trade_balance=reported_tb,
                unrealized_pnl=num(trade.get("n"), "TradeBalance.n"),
                free_margin=opt_num(trade.get("mf"), "TradeBalance.mf"),
            ),
        )
        return finish(snapshot, notes)

    async def check_key(self, client: ReadOnlyClient, ctx: ReadContext) -> KeyCheck:
        # A query the bot needs anyway: it proves the key exists and may "Query Funds".
        _result(await client.private_post_tradebalance({"asset": SETTLE_ASSET}), "TradeBalance")
        return KeyCheck(
            ok=True,
            can_report_rights=False,
            rights=frozenset({"read"}),
            message=texts.KRAKEN_QUERY_ONLY_KEY_HELP,
        )

    # --- pieces -------------------------------------------------------------------------------

    def _code(self, client: ReadOnlyClient, asset_id: str) -> str:
        return str(client.safe_currency_code(asset_id))

    async def _usd_prices(
        self,
        client: ReadOnlyClient,
        ctx: ReadContext,
        balances: dict[str, Any],
        rows: list[dict[str, Any]],
    ) -> dict[str, float]:
        """USD price per currency code for every non-USD asset the account holds or trades."""
        codes = {self._code(client, a) for a in balances if not a.endswith(EARN_SUFFIXES)}
        for row in rows:
            market = self._market(client, row.get("pair"))
            codes.add(market["quote"])
        codes.discard(SETTLE)
        symbols = []
        for code in sorted(codes):
            symbol = f"{code}/{SETTLE}"
            if symbol in client.markets:
                symbols.append(symbol)
        prices: dict[str, float] = {SETTLE: 1.0}
        if not symbols:
            return prices
        # One ticker request per exchange per cycle, shared by every Kraken account; the symbol
        # list (a scan of ~1,000 markets) is built only when the cache is refreshed, not per poll.
        tickers = await ctx.shared.cached(
            "tickers",
            TICKER_TTL,
            lambda: client.fetch_tickers(
                sorted(s for s in client.markets if s.endswith("/" + SETTLE))
            ),
        )
        for symbol in symbols:
            ticker = tickers.get(symbol) or {}
            last = ticker.get("last") or ticker.get("close")
            if last is not None:
                prices[symbol.split("/")[0]] = positive(last, f"Ticker {symbol}")
        return prices

    def _collateral(
        self, client: ReadOnlyClient, balances: dict[str, Any], prices: dict[str, float]
    ) -> tuple[float, list[rm.Asset], set[str]]:
        wallet = 0.0
        assets: list[rm.Asset] = []
        left_out: set[str] = set()
        for asset_id, entry in balances.items():
            amount = num(
                entry.get("balance") if isinstance(entry, dict) else entry,
                f"BalanceEx.{asset_id}.balance",
            )
            if amount == 0:
                continue
            if asset_id.endswith(EARN_SUFFIXES):
                left_out.add(asset_id)
                continue
            code = self._code(client, asset_id)
            if code == SETTLE:
                wallet += amount
                continue
            price = prices.get(code)
            if price is None:
                left_out.add(asset_id)
                continue
            currency = (client.currencies or {}).get(code) or {}
            collateral_value = opt_num(
                (currency.get("info") or {}).get("collateral_value"),
                f"Assets.{asset_id}.collateral_value",
            )
            haircut = 0.0 if collateral_value is None else max(0.0, 1.0 - collateral_value)
            assets.append(rm.Asset(asset=code, amount=amount, price=price, haircut=haircut))
        return wallet, assets, left_out

    def _market(self, client: ReadOnlyClient, pair: Any) -> dict[str, Any]:
        found = (client.markets_by_id or {}).get(pair)
        if not found:
            raise bad_response(f"Kraken position on unknown pair {str(pair)[:20]!r}")
        return found[0] if isinstance(found, list) else found

    def _position(
        self,
        client: ReadOnlyClient,
        row: dict[str, Any],
        prices: dict[str, float],
        notes: list[str],
    ) -> rm.Position | None:
        market = self._market(client, row.get("pair"))
        symbol = market["symbol"]
        volume = positive(row.get("vol"), f"OpenPositions {symbol} vol")
        closed = opt_num(row.get("vol_closed"), f"OpenPositions {symbol} vol_closed") or 0.0
        remaining = volume - closed
        if remaining <= 0:
            return None
        cost = positive(row.get("cost"), f"OpenPositions {symbol} cost")
        margin = positive(row.get("margin"), f"OpenPositions {symbol} margin")
        entry = cost / volume
        value = opt_num(row.get("value"), f"OpenPositions {symbol} value")
        if value is None:
            raise bad_response(f"Kraken OpenPositions {symbol}: no value (docalcs ignored)")
        mark = value / remaining
        if mark <= 0:
            raise bad_response(f"Kraken OpenPositions {symbol}: non-positive mark")
        # net may carry a leading '+': float() accepts it.
        net = opt_num(row.get("net"), f"OpenPositions {symbol} net")
        side = row.get("type")
        if side not in ("buy", "sell"):
            raise bad_response(f"Kraken OpenPositions {symbol}: type {side!r}")
        long = side == "buy"
        quote_rate = 1.0
        if market["quote"] != SETTLE:
            rate = prices.get(market["quote"])
            if rate is None:
                raise bad_response(f"Kraken: no {market['quote']}/{SETTLE} price for {symbol}")
            quote_rate = rate
            notes.append(
                texts.KRAKEN_QUOTE_CONVERTED.format(
                    symbol=symbol, settle=SETTLE, quote=market["quote"]
                )
            )
        return rm.Position(
            symbol=symbol,
            kind="spot_margin",
            size=remaining if long else -remaining,
            entry_price=entry * quote_rate,
            mark_price=mark * quote_rate,
            # Longs borrow quote: margin fixed in quote. Shorts borrow base: revalued at mark.
            used_margin=margin * quote_rate if long else margin / entry,
            used_margin_in="quote" if long else "base",
            leverage=cost / margin,
            opened_at=opt_num(row.get("time"), f"{symbol} time"),
            reported=reported(unrealized_pnl=None if net is None else net * quote_rate),
        )

    def _thresholds(
        self, client: ReadOnlyClient, positions: list[rm.Position]
    ) -> rm.Thresholds | None:
        """AssetPairs' own margin_call/margin_stop, only where they differ from the profile."""
        profile = profile_for("kraken")
        calls, stops = set(), set()
        for position in positions:
            info = client.markets[position.symbol].get("info") or {}
            call = opt_num(info.get("margin_call"), f"AssetPairs {position.symbol} margin_call")
            stop = opt_num(info.get("margin_stop"), f"AssetPairs {position.symbol} margin_stop")
            if call is not None:
                calls.add(call / 100.0)
            if stop is not None:
                stops.add(stop / 100.0)
        # Pairs could disagree; the account is called at the most cautious (highest) level.
        call = max(calls) if calls else None
        stop = max(stops) if stops else None
        if (call is None or abs(call - profile.margin_call) < 1e-9) and (
            stop is None or abs(stop - profile.liquidation) < 1e-9
        ):
            return None
        return rm.Thresholds(margin_call=call, liquidation=stop)
