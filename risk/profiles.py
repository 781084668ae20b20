"""The one table of venue rule profiles: which ratio each venue judges, which way is safer, and
at which levels it calls margin and liquidates. Every other module reads levels from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Basis, Kind, Safer

# How the ratio is built from the account's figures (see risk/engine.py):
#   maintenance_over_equity  maintenance margin / margin balance      (liquidate at >= level)
#   equity_over_maintenance  (adjusted) equity / maintenance margin   (liquidate at <= level)
#   equity_over_used_margin  equity / used (initial) margin           (liquidate at <= level)
#   assets_over_liabilities  total assets / (liabilities + interest)  (liquidate at <= level)
Formula = Literal[
    "maintenance_over_equity",
    "equity_over_maintenance",
    "equity_over_used_margin",
    "assets_over_liabilities",
]
CloseOrder = Literal["oldest_first", "largest_loss_first"]

# The product's own levels where a venue publishes no margin call (docs/risk-contract.md): 0.8 for
# "lower is safer" ratios; the mirror 1/0.8 = 1.25 for "higher is safer" ones liquidated at 1.0.
# The warning level sits one band earlier so a trader hears about a drift before the call.
DEFAULT_CALL_LOWER_SAFER = 0.8
DEFAULT_WARNING_LOWER_SAFER = 0.6
DEFAULT_CALL_HIGHER_SAFER = 1.25
DEFAULT_WARNING_HIGHER_SAFER = 1.5

# Assets whose price is held fixed under a "uniform move of every non-settle price": fiat and the
# major dollar stablecoins. Moving them with the crypto book would invent risk that is not there.
STABLE_ASSETS = frozenset(
    {
        "USD",
        "ZUSD",
        "EUR",
        "ZEUR",
        "GBP",
        "ZGBP",
        "USDT",
        "USDC",
        "FDUSD",
        "BUSD",
        "DAI",
        "TUSD",
        "USDE",
        "PYUSD",
    }
)


@dataclass(frozen=True, slots=True)
class VenueProfile:
    venue: str
    ratio_name: str
    formula: Formula
    safer: Safer
    margin_call: float
    liquidation: float
    warning: float
    margin_call_source: Literal["venue", "product_default"]
    close_order: CloseOrder
    source: str
    approximate: bool = False
    # What each contract kind's maintenance margin is valued at, and where the venue says so.
    # "mark" is re-valued at every price; "entry" is quantity x average entry price, fixed
    # while the mark moves (so is its bracket). Spot-margin legs carry no maintenance rate of
    # their own (used margin or liabilities), so only linear and inverse contracts need one.
    linear_basis: Basis = "mark"
    inverse_basis: Basis = "mark"
    basis_source: str = ""

    def basis(self, kind: Kind) -> Basis:
        """The maintenance valuation basis of a ``kind`` contract on this venue."""
        return self.inverse_basis if kind == "inverse" else self.linear_basis


def _lower(venue: str, name: str, source: str, **kw: object) -> VenueProfile:
    return VenueProfile(
        venue=venue,
        ratio_name=name,
        formula="maintenance_over_equity",
        safer="lower",
        margin_call=DEFAULT_CALL_LOWER_SAFER,
        liquidation=1.0,
        warning=DEFAULT_WARNING_LOWER_SAFER,
        margin_call_source="product_default",
        close_order="largest_loss_first",
        source=source,
        **kw,  # type: ignore[arg-type]
    )


PROFILES: dict[str, VenueProfile] = {
    "kraken": VenueProfile(
        venue="kraken",
        ratio_name="margin_level",
        formula="equity_over_used_margin",
        safer="higher",
        margin_call=0.80,
        liquidation=0.40,
        # ml >= 100 % is needed to open new margin positions: the natural "watch" line.
        warning=1.0,
        margin_call_source="venue",
        # Kraken closes positions oldest first (FIFO) regardless of pair or P&L; without opening
        # times the engine falls back to the largest loss first.
        close_order="oldest_first",
        source="Kraken support 203325763 'Margin call level and margin liquidation level'; "
        "AssetPairs margin_call=80, margin_stop=40",
        basis_source="Kraken support 203053156 'Margin trading examples': margin is opening "
        "cost / leverage in the borrowed currency (a long's fixed, a short's re-valued at "
        "mark); there is no maintenance rate",
    ),
    "krakenfutures": _lower(
        "krakenfutures",
        "maintenance_ratio",
        "Kraken support 360022835671 'Equity Protection Process': liquidation once margin "
        "equity falls below maintenance margin",
        basis_source="Kraken support 360022835671 'Equity Protection Process', liquidation "
        "example (1,000 contracts at 8,000, margin 0.01 XBT, maintenance 1 %: liquidated at "
        "7,481): reproduced only with the maintenance valued at the mark, 1,000 / P x 1 %",
    ),
    "binance": VenueProfile(
        venue="binance",
        ratio_name="margin_level",
        formula="assets_over_liabilities",
        safer="higher",
        margin_call=1.3,
        liquidation=1.1,
        # Binance's own 'normalBar' (borrow/transfer allowed) is 1.5 on the 3x Classic account.
        warning=1.5,
        margin_call_source="venue",
        close_order="largest_loss_first",
        source="Binance FAQ 360030493931 'Binance Margin Level and Risk Control' "
        "(Cross Classic 3x)",
        basis_source="Binance FAQ 360030493931: margin level = total assets / (liabilities + "
        "interest), every asset at its current price; there is no maintenance rate",
    ),
    "binanceusdm": _lower(
        "binanceusdm",
        "margin_ratio",
        "Binance FAQ b3c689c1f50a44cabb3a84e663b81d93; margin ratio = maintenance / margin "
        "balance, liquidation at 100 %",
        basis_source="Binance FAQ b3c689c1f50a44cabb3a84e663b81d93 'How to Calculate "
        "Liquidation Price of USDⓈ-M Futures Contracts': maintenance = position notional x "
        "rate - amount, the bracket re-chosen at the notional at the liquidation price",
    ),
    "binancecoinm": _lower(
        "binancecoinm",
        "margin_ratio",
        "Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46; announcement 2021-03-01 (margin ratio "
        "hits 100 %)",
        basis_source="Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46 'How to Calculate "
        "Liquidation Price of COIN-M Futures Contracts': notional = contracts x size / latest "
        "mark price (100 x 100 / 25,000 = 0.4 BTC), maintenance = notional x rate - amount",
    ),
    "bybit": _lower(
        "bybit",
        "account_mm_rate",
        "Bybit 'Trading Rules: Liquidation Process (Unified Trading Account)': account MM rate "
        "reaches 100 %",
        linear_basis="entry",
        inverse_basis="mark",
        basis_source="Bybit help 'Liquidation Price (USDT Contract)' and 'Maintenance Margin "
        "(USDT Contract)': position value = quantity x entry price, maintenance = position "
        "value x rate - deduction (its examples: 1 BTC at 20,000, 50x, 0.5 % -> 19,700); "
        "'Liquidation Price Calculation under Isolated Mode (Unified Trading Account)', "
        "revision of 2026-05-27, inverse contracts: position value = quantity / mark price, "
        "maintenance = position value x rate - deduction + estimated fee to close (the "
        "2024-09-10 revision said / average entry price), as does 'Maintenance Margin (Inverse "
        "Contract)'. Both include the estimated fee to close, quantity x bankruptcy price x "
        "taker fee rate ('Initial Margin Calculation (USDC Perpetual & Futures)': 0.5 BTC at "
        "50,000, 10x, 0.055 % -> 12.375; Position.close_fee_rate). USDC contracts are valued "
        "at the mark (same page: position value = size x mark price; their 8-hour session "
        "settlement resets the entry to the mark): the Bybit reader marks them per position",
    ),
    "okx": VenueProfile(
        venue="okx",
        ratio_name="mgn_ratio",
        formula="equity_over_maintenance",
        safer="higher",
        margin_call=DEFAULT_CALL_HIGHER_SAFER,
        liquidation=1.0,
        warning=DEFAULT_WARNING_HIGHER_SAFER,
        margin_call_source="product_default",
        close_order="largest_loss_first",
        source="OKX help 'Tiered maintenance margin ratio rules': liquidation when the margin "
        "ratio falls to 100 %",
        basis_source="OKX help 6997123251341 'Isolated margin mode' and 'Tiered maintenance "
        "margin ratio rules': maintenance margin and the liquidation fee (position value x "
        "taker fee rate) are valued at the mark price",
    ),
    "hyperliquid": _lower(
        "hyperliquid",
        "maintenance_ratio",
        "Hyperliquid docs: liquidation when account value falls below maintenance margin",
        basis_source="Hyperliquid docs 'Liquidations': liq_price = price - side x "
        "margin_available / position_size / (1 - l x side), l = 1 / maintenance leverage: "
        "the maintenance margin is l x the notional at the mark",
    ),
    # Any other ccxt venue read through unified fetchPositions/fetchBalance: the same physics as
    # a USDⓈ-M cross account, but built from ccxt's derived fields, so flagged as approximate.
    "generic": _lower(
        "generic",
        "maintenance_ratio",
        "ccxt unified positions and balance; not the venue's own figures",
        approximate=True,
        basis_source="ccxt's unified maintenanceMargin is the maintenance rate x the notional "
        "at the mark",
    ),
}


def profile_for(venue: str) -> VenueProfile:
    """The profile for ``venue``; raises ``KeyError`` naming the known venues."""
    try:
        return PROFILES[venue]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown venue {venue!r} (known: {known})") from None
