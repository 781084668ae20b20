"""The values that cross the risk boundary: an account snapshot in, its health out.

All amounts are floats. Prices are in the account's ``settle`` currency, except for inverse
contracts, whose prices are quote per base (USD per BTC) as the venues quote them. The classes are
frozen and slotted: they are built once per poll and read many times, and the risk engine's speed
budget (tens of thousands of accounts a second) leaves no room for dict look-ups.

Nothing here validates: build snapshots from untrusted input with :func:`risk.parse.parse_snapshot`,
or check a hand-built one with :func:`risk.parse.validate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, NamedTuple

Kind = Literal["linear", "inverse", "spot_margin"]
MarginMode = Literal["cross", "isolated"]
State = Literal["ok", "warning", "margin_call", "liquidation"]
Safer = Literal["higher", "lower"]
# What a position's maintenance margin is valued at (risk/profiles.py says which, per venue and
# contract kind): "mark" re-values it at every price (Binance, OKX, Kraken, Hyperliquid, Bybit
# inverse), "entry" holds it at quantity x average entry price (Bybit USDT/USDC contracts).
Basis = Literal["mark", "entry"]

EMPTY: Mapping[str, float | None] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Tier:
    """One maintenance bracket: applies while ``floor <= notional < cap``."""

    floor: float
    cap: float  # math.inf for the last bracket
    rate: float
    amount: float = 0.0  # Binance "maintenance amount" (cum), Bybit "MM deduction"


@dataclass(frozen=True, slots=True)
class Asset:
    """Collateral held in another asset (spot margin), valued at ``price * (1 - haircut)``."""

    asset: str
    amount: float
    price: float
    haircut: float = 0.0


@dataclass(frozen=True, slots=True)
class Liability:
    """A borrowed amount (spot margin); ``interest`` is accrued, in the same asset."""

    asset: str
    amount: float
    price: float
    interest: float = 0.0


@dataclass(frozen=True, slots=True)
class Position:
    """One open position. ``size`` is signed contracts: long > 0, short < 0."""

    symbol: str
    kind: Kind
    size: float
    entry_price: float
    mark_price: float
    contract_size: float = 1.0
    margin_mode: MarginMode = "cross"
    maintenance_rate: float | None = None
    maintenance_amount: float = 0.0
    tiers: tuple[Tier, ...] = ()
    # Kraken spot margin: margin used by the position; "quote" is fixed (longs borrow quote),
    # "base" is an amount of base revalued at mark (shorts borrow base).
    used_margin: float | None = None
    used_margin_in: Literal["quote", "base"] = "quote"
    isolated_margin: float | None = None
    leverage: float | None = None
    # When the position was opened (seconds since the epoch): Kraken closes oldest first.
    opened_at: float | None = None
    reported: Mapping[str, float | None] = field(default_factory=lambda: EMPTY)
    # None: the venue profile's basis for this contract kind (risk.profiles).
    maintenance_basis: Basis | None = None
    # The taker fee rate the venue charges to close the position, where it counts that fee in
    # the maintenance margin (Bybit's "estimated fee to close"): charged at the bankruptcy price
    # that follows from ``leverage``, so the amount is fixed while the mark moves.
    close_fee_rate: float = 0.0
    # What ``isolated_margin`` is counted in: "settle" (a fixed amount of the settle currency)
    # or "base", an amount of the position's base asset valued at its own mark: the coin margin
    # of an inverse contract judged in dollars as a linear leg (OKX, Bybit), which loses value
    # as the price it backs falls.
    isolated_margin_in: Literal["settle", "base"] = "settle"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Levels in the venue's own ratio; ``None`` means "use the venue profile's level"."""

    margin_call: float | None = None
    liquidation: float | None = None
    warning: float | None = None


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    venue: str
    settle: str
    wallet_balance: float
    positions: tuple[Position, ...] = ()
    assets: tuple[Asset, ...] = ()
    liabilities: tuple[Liability, ...] = ()
    thresholds: Thresholds | None = None
    reported: Mapping[str, float | None] = field(default_factory=lambda: EMPTY)
    # Maintenance the venue charges outside any position (OKX/Bybit spot borrowings, open
    # orders), in settle currency; held fixed under price moves.
    other_maintenance: float = 0.0


class Ratio(NamedTuple):
    """The venue's own health ratio and the levels it is judged against (a NamedTuple for the
    same reason as PositionHealth: built once per assessment, as immutable as a dataclass)."""

    name: str
    value: float | None  # None when undefined (no requirement and no equity)
    safer: Safer
    margin_call: float
    liquidation: float
    warning: float
    margin_call_source: str  # "venue", "product_default" or "user"


class PositionHealth(NamedTuple):
    """One position's figures. A NamedTuple rather than a frozen dataclass: just as immutable,
    and four times cheaper to build, which matters at one per position per assessment. Build it
    with keywords: the field order is not part of the contract."""

    symbol: str
    liquidation_price: float | None
    distance: float | None
    unrealized_pnl: float
    maintenance_margin: float
    close_rank: int
    reported_liquidation_price: float | None
    margin_call_price: float | None = None
    margin_mode: MarginMode = "cross"
    notional: float = 0.0
    # The snapshot's own figures, so a view of the health needs no snapshot beside it.
    size: float = 0.0
    mark_price: float = 0.0


@dataclass(frozen=True, slots=True)
class Health:
    venue: str
    settle: str
    equity: float
    maintenance_margin: float
    initial_margin: float | None
    effective_leverage: float | None
    ratio: Ratio
    state: State
    move_to_margin_call: float | None
    move_to_liquidation: float | None
    positions: tuple[PositionHealth, ...]
    reported: Mapping[str, float | None] = field(default_factory=lambda: EMPTY)
    approximate: bool = False
    # "cross" for an account's shared pool; "isolated" for one isolated position's own pool.
    margin_mode: MarginMode = "cross"
    # Every other pool the venue judges on its own, each as its own Health: one per isolated
    # position (its margin, its ratio, its move = its own distance to liquidation), and the
    # other coin pools of an account kept in several (Binance COIN-M, see risk.assess_pools).
    # The account's own figures above do not cover them: each can be liquidated alone.
    pools: tuple[Health, ...] = ()
    # Every position's notional, cross and isolated, over the equity backing all of them (the
    # cross equity plus each isolated position's margin and P&L): the leverage of the account
    # as a whole, where ``effective_leverage`` is the cross pool's alone (0 when it holds
    # nothing). Equal to it when nothing is isolated; None without positive equity. Each coin
    # pool of ``assess_pools`` has its own (the coins are not added up).
    account_leverage: float | None = None

    @property
    def worst_state(self) -> State:
        """The worst of ``state`` and every pool's: what the account as a whole is at."""
        return max((self.state, *(pool.state for pool in self.pools)), key=_STATE_ORDER.index)


_STATE_ORDER: tuple[State, ...] = ("ok", "warning", "margin_call", "liquidation")
