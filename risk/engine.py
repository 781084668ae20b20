"""Cross-margin health: snapshot in, health out, pure arithmetic.

Every venue's test is written as one *cushion* at a level λ, positive while the account is on
the safe side of λ and zero exactly at it (see `_coefficients`)::

    C(λ) = u·(wallet + collateral + Σ upnl) − l·liabilities + β·maintenance + γ·used_margin

Each position enters C through terms linear in its own price P (``a·P + k``) or, for inverse
contracts, in 1/P (``b/P + k``). So with the rest of the book held at its marks a position's
liquidation price is one division after one pass over the book: O(n) for all of them. Under a
uniform move of every non-settle price by the factor ``x = 1 + s`` the cushion is
``K + A·x + B/x``, whose coefficients are a handful of sums over the book: a quadratic after
multiplying by ``x``. Maintenance brackets make both piecewise; every answer is re-checked in the
brackets it lands in and re-solved there (Binance's FAQ prescribes this for liquidation prices).

The speed budget (tens of thousands of ten-position accounts a second on one core) is why the
sums are kept by hand instead of re-walking positions for every level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from .brackets import bracket
from .model import (
    AccountSnapshot,
    Basis,
    Health,
    Position,
    PositionHealth,
    Ratio,
    State,
    Tier,
)
from .parse import SnapshotError
from .profiles import STABLE_ASSETS, VenueProfile, profile_for

_MAX_BRACKET_PASSES = 4

Coefficients = tuple[float, float, float, float]


def _coefficients(formula: str, level: float) -> Coefficients:
    """(u, l, β, γ) of the cushion at ``level`` for a profile's ratio formula.

    maintenance_over_equity  MM/E <= λ  ⇔  λ·E − MM >= 0
    equity_over_maintenance  E/MM >= λ  ⇔  E − λ·MM >= 0
    equity_over_used_margin  E/U  >= λ  ⇔  E − λ·U  >= 0
    assets_over_liabilities  A/L  >= λ  ⇔  A − λ·L  >= 0   (A = wallet + collateral + upnl)
    """
    if formula == "maintenance_over_equity":
        return level, level, -1.0, 0.0
    if formula == "equity_over_maintenance":
        return 1.0, 1.0, -level, 0.0
    if formula == "equity_over_used_margin":
        return 1.0, 1.0, 0.0, -level
    return 1.0, level, 0.0, 0.0  # assets_over_liabilities


class _Leg:
    """One position prepared for solving: its figures at mark and its bracket."""

    __slots__ = (
        "pos",
        "cross",
        "inverse",
        "q",
        "qa",
        "entry",
        "mark",
        "tiers",
        "rate",
        "amount",
        "upnl",
        "mm",
        "notional",
        "um_quote",
        "um_base",
        "margin_base",
        "liquidation_price",
        "margin_call_price",
        "rank",
    )

    def __init__(self, pos: Position, basis: Basis = "mark") -> None:
        self.pos = pos
        self.cross = pos.margin_mode != "isolated"
        self.inverse = inverse = pos.kind == "inverse"
        self.q = q = pos.size * pos.contract_size
        self.qa = qa = q if q >= 0.0 else -q
        self.entry = entry = pos.entry_price
        self.mark = mark = pos.mark_price
        tiers = pos.tiers
        if inverse:
            self.upnl = q / entry - q / mark
            self.notional = notional = qa / mark
        else:
            self.upnl = q * (mark - entry)
            self.notional = notional = qa * mark
        # Maintenance is ``notional(P)·rate − amount``; every constant part of it (the fee to
        # close, an entry-valued maintenance) is carried in ``amount``, so the solvers below
        # need no case of their own for them.
        fee = _close_fee(pos, q, qa, entry, inverse) if pos.close_fee_rate else 0.0
        if basis == "entry":
            # Valued at quantity × entry: fixed in price, and so is its bracket.
            value = qa / entry if inverse else qa * entry
            if tiers:
                tier = bracket(tiers, value)
                fixed = value * tier.rate - tier.amount
            else:
                fixed = value * (pos.maintenance_rate or 0.0) - pos.maintenance_amount
            tiers = ()
            self.rate = rate = 0.0
            self.amount = amount = -fixed - fee
        elif tiers:
            if fee:
                tiers = tuple(Tier(t.floor, t.cap, t.rate, t.amount - fee) for t in tiers)
            tier = bracket(tiers, notional)
            self.rate = rate = tier.rate
            self.amount = amount = tier.amount
        else:
            self.rate = rate = pos.maintenance_rate or 0.0
            self.amount = amount = pos.maintenance_amount - fee
        self.tiers = tiers
        self.mm = notional * rate - amount
        self.um_quote = self.um_base = 0.0
        # Isolated margin held in the base asset (Position.isolated_margin_in): its value moves
        # with the leg's own price, so it enters the solve like a long of that many units.
        self.margin_base = 0.0
        if not self.cross and pos.isolated_margin_in == "base" and not inverse:
            self.margin_base = pos.isolated_margin or 0.0
        self.liquidation_price = self.margin_call_price = None
        self.rank = 0
        if pos.used_margin is not None:
            if pos.used_margin_in == "base":
                self.um_base = pos.used_margin
            else:
                self.um_quote = pos.used_margin
        elif pos.kind == "spot_margin" and pos.leverage:
            # Kraken: used margin is opening cost / leverage, in the borrowed currency.
            if q > 0:
                self.um_quote = qa * entry / pos.leverage
            else:
                self.um_base = qa / pos.leverage

    def own(self, c: Coefficients) -> float:
        """This leg's share of the cushion at its mark."""
        return c[0] * self.upnl + c[2] * self.mm + c[3] * (self.um_quote + self.um_base * self.mark)

    def solve(self, c: Coefficients, rest: float) -> float | None:
        """The own price at which the pool's cushion is zero, others held; None if none > 0."""
        price = self._root(c, rest, self.rate, self.amount)
        tiers = self.tiers
        if price is None or not tiers:
            return price
        tier = bracket(tiers, self.qa / price if self.inverse else self.qa * price)
        if tier.rate == self.rate and tier.amount == self.amount:
            return price
        # The answer lies in another bracket: re-solve in the bracket it landed in (Binance's
        # FAQ); one step usually settles it.
        for _ in range(3):
            price = self._root(c, rest, tier.rate, tier.amount)
            if price is None:
                break
            landed = bracket(tiers, self.qa / price if self.inverse else self.qa * price)
            if landed is tier:
                return price
            tier = landed
        # Still moving (an answer on a bracket edge): the cushion is continuous in price, so
        # exactly one bracket holds its own solution; find it.
        for tier in tiers:
            price = self._root(c, rest, tier.rate, tier.amount)
            if (
                price is not None
                and bracket(tiers, self.qa / price if self.inverse else self.qa * price) is tier
            ):
                return price
        return None

    def _root(self, c: Coefficients, rest: float, rate: float, amount: float) -> float | None:
        u, _, beta, gamma = c
        q = self.q
        if self.inverse:
            b = beta * self.qa * rate - u * q
            const = rest + u * q / self.entry - beta * amount
            if const == 0.0:
                return None
            price = -b / const
        else:
            a = u * (q + self.margin_base) + beta * self.qa * rate + gamma * self.um_base
            if a == 0.0:
                return None
            price = (u * q * self.entry + beta * amount - gamma * self.um_quote - rest) / a
        return price if 0.0 < price < math.inf else None


class _Book:
    """The sums over a pool of legs from which every level's cushion and move follow."""

    __slots__ = (
        "legs",
        "fixed_equity",
        "shocked_equity",
        "fixed_liab",
        "shocked_liab",
        "upnl",
        "mm",
        "um",
        "d",
        "m",
        "qe",
        "amount",
        "um_q",
        "um_b",
        "inv_q",
        "inv_m",
        "inv_qe",
        "notional",
    )

    def __init__(
        self,
        legs: list[_Leg],
        fixed_equity: float,
        shocked_equity: float,
        fixed_liab: float,
        shocked_liab: float,
        fixed_mm: float = 0.0,
    ) -> None:
        self.legs = legs
        self.fixed_equity = fixed_equity  # wallet and settle/stable collateral: never move
        self.shocked_equity = shocked_equity  # collateral priced in a moving asset
        self.fixed_liab = fixed_liab
        self.shocked_liab = shocked_liab
        upnl = d = m = qe = amount = um_q = um_b = 0.0
        mm = fixed_mm
        inv_q = inv_m = inv_qe = notional = 0.0
        for leg in legs:
            upnl += leg.upnl
            mm += leg.mm
            notional += leg.notional
            amount += leg.amount
            mark = leg.mark
            if leg.inverse:
                inv_q -= leg.q / mark
                inv_m += leg.qa * leg.rate / mark
                inv_qe += leg.q / leg.entry
            else:
                d += leg.q * mark
                m += leg.qa * leg.rate * mark
                qe += leg.q * leg.entry
                um_q += leg.um_quote
                um_b += leg.um_base * mark
        self.upnl, self.mm, self.um = upnl, mm, um_q + um_b
        # Fixed maintenance enters like a negative maintenance amount: constant in price.
        self.d, self.m, self.qe, self.amount = d, m, qe, amount - fixed_mm
        self.um_q, self.um_b = um_q, um_b
        self.inv_q, self.inv_m, self.inv_qe = inv_q, inv_m, inv_qe
        self.notional = notional

    @property
    def liabilities(self) -> float:
        return self.fixed_liab + self.shocked_liab

    def cushion(self, c: Coefficients) -> float:
        u, lv, beta, gamma = c
        return (
            u * (self.fixed_equity + self.shocked_equity + self.upnl)
            - lv * (self.fixed_liab + self.shocked_liab)
            + beta * self.mm
            + gamma * self.um
        )

    def cushion_at_move(self, c: Coefficients, x: float) -> float:
        """The exact cushion with every non-settle price scaled by ``x``, brackets looked up."""
        u, lv, beta, gamma = c
        total = u * (self.fixed_equity + self.shocked_equity * x) - lv * (
            self.fixed_liab + self.shocked_liab * x
        )
        total += c[2] * (self.mm - sum(leg.mm for leg in self.legs))  # the fixed maintenance
        for leg in self.legs:
            price = leg.mark * x
            notional = leg.qa / price if leg.inverse else leg.qa * price
            rate, amount = leg.rate, leg.amount
            if leg.tiers:
                tier = bracket(leg.tiers, notional)
                rate, amount = tier.rate, tier.amount
            upnl = leg.q / leg.entry - leg.q / price if leg.inverse else leg.q * (price - leg.entry)
            total += (
                u * upnl
                + beta * (notional * rate - amount)
                + gamma * (leg.um_quote + leg.um_base * price)
            )
        return total

    def move_to(self, c: Coefficients) -> float | None:
        """The uniform relative move s of all non-settle prices that zeroes the cushion."""
        if self.cushion(c) <= 0.0:
            return 0.0
        u, lv, beta, gamma = c
        m, inv_m, amount = self.m, self.inv_m, self.amount
        tiered = [[leg, leg.rate, leg.amount] for leg in self.legs if leg.tiers]
        x: float | None = None
        for _ in range(_MAX_BRACKET_PASSES):
            big_a = (
                u * (self.shocked_equity + self.d)
                - lv * self.shocked_liab
                + beta * m
                + gamma * self.um_b
            )
            big_k = (
                u * (self.fixed_equity - self.qe + self.inv_qe)
                - lv * self.fixed_liab
                - beta * amount
                + gamma * self.um_q
            )
            big_b = u * self.inv_q + beta * inv_m
            x = _nearest_positive_root(big_a, big_k, big_b)
            if x is None:
                return None
            changed = False
            for entry in tiered:
                leg, rate, old_amount = entry
                price = leg.mark * x
                tier = bracket(leg.tiers, leg.qa / price if leg.inverse else leg.qa * price)
                if tier.rate != rate or tier.amount != old_amount:
                    changed = True
                    if leg.inverse:
                        inv_m += leg.qa * (tier.rate - rate) / leg.mark
                    else:
                        m += leg.qa * (tier.rate - rate) * leg.mark
                    amount += tier.amount - old_amount
                    entry[1], entry[2] = tier.rate, tier.amount
            if not changed:
                return x - 1.0
        return _refine_move(self, c, x)


def _solve_cross(
    legs: list[_Leg],
    c_liq: Coefficients,
    cushion_liq: float,
    c_call: Coefficients,
    cushion_call: float,
) -> None:
    """Every cross leg's liquidation and margin-call price, others held at their marks.

    The common case (a linear leg with one flat rate) is ``_Leg._root`` written out inline:
    this loop is most of an account's cost, and method calls are most of the loop's.
    """
    u1, _, b1, g1 = c_liq
    u2, _, b2, g2 = c_call
    for leg in legs:
        if leg.tiers or leg.inverse:
            leg.liquidation_price = leg.solve(c_liq, cushion_liq - leg.own(c_liq))
            leg.margin_call_price = leg.solve(c_call, cushion_call - leg.own(c_call))
            continue
        q, qa, entry, mark = leg.q, leg.qa, leg.entry, leg.mark
        rate, amount, upnl, mm = leg.rate, leg.amount, leg.upnl, leg.mm
        umq, umb = leg.um_quote, leg.um_base
        um = umq + umb * mark
        a = u1 * q + b1 * qa * rate + g1 * umb
        price = None
        if a != 0.0:
            rest = cushion_liq - (u1 * upnl + b1 * mm + g1 * um)
            price = (u1 * q * entry + b1 * amount - g1 * umq - rest) / a
            if not 0.0 < price < math.inf:
                price = None
        leg.liquidation_price = price
        a = u2 * q + b2 * qa * rate + g2 * umb
        price = None
        if a != 0.0:
            rest = cushion_call - (u2 * upnl + b2 * mm + g2 * um)
            price = (u2 * q * entry + b2 * amount - g2 * umq - rest) / a
            if not 0.0 < price < math.inf:
                price = None
        leg.margin_call_price = price


def _nearest_positive_root(a: float, k: float, b: float) -> float | None:
    """The root x > 0 of ``a·x + k + b/x`` nearest to 1, or None."""
    if b == 0.0:
        if a == 0.0:
            return None
        x = -k / a
        return x if 0.0 < x < math.inf else None
    if a == 0.0:
        if k == 0.0:
            return None
        x = -b / k
        return x if 0.0 < x < math.inf else None
    disc = k * k - 4.0 * a * b
    if disc < 0.0:
        return None
    # Numerically stable pair of roots of a·x² + k·x + b = 0.
    qq = -0.5 * (k + math.copysign(math.sqrt(disc), k))
    best = None
    for x in (qq / a, b / qq if qq != 0.0 else -1.0):
        if 0.0 < x < math.inf and (best is None or abs(x - 1.0) < abs(best - 1.0)):
            best = x
    return best


def _refine_move(book: _Book, c: Coefficients, guess: float | None) -> float | None:
    """The move when bracket passes do not settle (legs flip brackets near the answer): the
    root of the exact cushion between 1 and the passes' guess, by the Illinois variant of
    regula falsi, which is exact in one step once both ends lie in the same bracket piece."""
    if guess is None:
        return None
    f = book.cushion_at_move
    lo, f_lo = 1.0, f(c, 1.0)
    hi = guess
    f_hi = f(c, hi)
    for _ in range(64):  # walk out past the guess until the cushion is gone
        if f_hi <= 0.0:
            break
        lo, f_lo = hi, f_hi
        further = 1.0 + 2.0 * (hi - 1.0)
        hi = further if further > 0.0 else hi / 2.0
        f_hi = f(c, hi)
    else:
        return None
    side = 0
    x = hi
    for _ in range(100):
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_x = f(c, x)
        if f_x == 0.0 or abs(hi - lo) <= 1e-15 * abs(x):
            break
        if f_x > 0.0:
            lo, f_lo = x, f_x
            if side == 1:
                f_hi /= 2.0
            side = 1
        else:
            hi, f_hi = x, f_x
            if side == -1:
                f_lo /= 2.0
            side = -1
    return x - 1.0


def _close_fee(pos: Position, q: float, qa: float, entry: float, inverse: bool) -> float:
    """Bybit's "estimated fee to close": quantity × bankruptcy price × taker fee rate.

    The bankruptcy price follows from the position's leverage (Bybit "Bankruptcy Price":
    linear ``entry·(1 ∓ 1/leverage)``, inverse ``entry·leverage/(leverage ± 1)``), so the fee is
    fixed while the mark moves. Without a leverage it is charged at the entry price.
    """
    rate, leverage = pos.close_fee_rate, pos.leverage
    side = 1.0 if q > 0.0 else -1.0
    if inverse:
        if leverage is None:
            return qa / entry * rate
        base = leverage + side
        return qa * base / (entry * leverage) * rate if base > 0.0 else 0.0
    bust = entry if leverage is None else entry * (1.0 - side / leverage)
    return qa * bust * rate if bust > 0.0 else 0.0


class _Levels(NamedTuple):
    margin_call: float
    liquidation: float
    warning: float
    margin_call_source: str


def _levels(snapshot: AccountSnapshot, profile: VenueProfile) -> _Levels:
    """The profile's levels, each replaced by the snapshot's own threshold where it sets one."""
    call, liq, warn, source = (
        profile.margin_call,
        profile.liquidation,
        profile.warning,
        profile.margin_call_source,
    )
    t = snapshot.thresholds
    if t is not None:
        if t.liquidation is not None:
            liq = t.liquidation
        if t.margin_call is not None:
            call, source = t.margin_call, "user"
        if t.warning is not None:
            warn = t.warning
    return _Levels(call, liq, warn, source)


def _state(liq: float, call: float, warn: float) -> State:
    if liq <= 0.0:
        return "liquidation"
    if call <= 0.0:
        return "margin_call"
    if warn <= 0.0:
        return "warning"
    return "ok"


class _Collateral(NamedTuple):
    fixed_equity: float  # wallet and settle/stable collateral: never move
    shocked_equity: float  # collateral priced in a moving asset
    fixed_liab: float
    shocked_liab: float


def _collateral(snapshot: AccountSnapshot) -> _Collateral:
    """The wallet, assets and liabilities split into what a uniform move moves and what not."""
    settle = snapshot.settle
    fixed_equity = snapshot.wallet_balance
    shocked_equity = fixed_liab = shocked_liab = 0.0
    for asset in snapshot.assets:
        value = asset.amount * asset.price * (1.0 - asset.haircut)
        if asset.asset == settle or asset.asset in STABLE_ASSETS:
            fixed_equity += value
        else:
            shocked_equity += value
    for debt in snapshot.liabilities:
        value = (debt.amount + debt.interest) * debt.price
        if debt.asset == settle or debt.asset in STABLE_ASSETS:
            fixed_liab += value
        else:
            shocked_liab += value
    return _Collateral(fixed_equity, shocked_equity, fixed_liab, shocked_liab)


class _Figures(NamedTuple):
    equity: float
    requirement: float  # what equity must stay above: the maintenance margin, as the venue has it
    ratio: float | None
    exposed: float  # > 0 when something is at risk (a requirement exists)


def _figures(
    formula: str, liq: float, assets: float, liab: float, mm: float, um: float
) -> _Figures:
    """A pool's equity, requirement and ratio, the venue's way (see ``_coefficients``)."""
    equity = assets - liab
    if formula == "maintenance_over_equity":
        top, bottom, requirement, exposed = mm, equity, mm / liq, mm
    elif formula == "equity_over_maintenance":
        top, bottom, requirement, exposed = equity, mm, liq * mm, mm
    elif formula == "equity_over_used_margin":
        top, bottom, requirement, exposed = equity, um, liq * um, um
    else:
        top, bottom, requirement, exposed = assets, liab, (liq - 1.0) * liab, liab
    ratio = top / bottom if bottom > 0.0 else None
    if not math.isfinite(equity + mm + um + (ratio or 0.0)):  # inf or nan in any
        # Sizes, prices or balances this far beyond any real account overflow the arithmetic:
        # refuse the snapshot rather than judge infinite figures (equity = inf read as "ok").
        raise SnapshotError(
            "positions", "the figures overflow: a size, price or balance is beyond any real account"
        )
    return _Figures(equity, requirement, ratio, exposed)


class _Judgement(NamedTuple):
    state: State
    move_to_margin_call: float | None
    move_to_liquidation: float | None


def _judge_cross(
    book: _Book,
    figures: _Figures,
    c_liq: Coefficients,
    c_call: Coefficients,
    c_warn: Coefficients,
) -> _Judgement:
    """The cross pool's state and uniform moves; every cross leg's own prices on the way."""
    if figures.exposed <= 0.0:
        # Nothing at risk: no requirement, so no level can be reached by any move.
        return _Judgement("ok" if figures.equity >= 0.0 else "liquidation", None, None)
    cushion_liq = book.cushion(c_liq)
    cushion_call = book.cushion(c_call)
    state = _state(cushion_liq, cushion_call, book.cushion(c_warn))
    judgement = _Judgement(state, book.move_to(c_call), book.move_to(c_liq))
    _solve_cross(book.legs, c_liq, cushion_liq, c_call, cushion_call)
    return judgement


def _position_healths(legs: list[_Leg]) -> tuple[PositionHealth, ...]:
    # One loop, no call per position: at ten positions an account, calls cost as much as the
    # figures (the speed budget is in the module docstring).
    out = []
    for leg in legs:
        pos = leg.pos
        price, mark = leg.liquidation_price, leg.mark
        reported = pos.reported.get("liquidation_price") if pos.reported else None
        out.append(
            PositionHealth(
                symbol=pos.symbol,
                liquidation_price=price,
                distance=(price - mark) / mark if price is not None else None,
                unrealized_pnl=leg.upnl,
                maintenance_margin=leg.mm,
                close_rank=leg.rank,
                # Venues report "no liquidation price" as 0 or empty; neither is a price.
                reported_liquidation_price=reported
                if reported is not None and reported > 0.0
                else None,
                margin_call_price=leg.margin_call_price,
                margin_mode=pos.margin_mode,
                notional=leg.notional,
                size=pos.size,
                mark_price=mark,
            )
        )
    return tuple(out)


def _isolated_pool(
    leg: _Leg,
    position: PositionHealth,
    snapshot: AccountSnapshot,
    profile: VenueProfile,
    levels: _Levels,
    ratio_levels: tuple[float, float, float],
) -> Health:
    """An isolated position as the pool the venue judges it in: its margin, nothing else."""
    formula = profile.formula
    c_liq, c_call, c_warn = (_coefficients(formula, level) for level in ratio_levels)
    margin = leg.margin_base * leg.mark if leg.margin_base else leg.pos.isolated_margin or 0.0
    um = leg.um_quote + leg.um_base * leg.mark
    figures = _figures(formula, levels.liquidation, margin + leg.upnl, 0.0, leg.mm, um)
    move_call = move_liq = None
    if figures.exposed > 0.0:
        cushions = [c[0] * (margin + leg.upnl) + c[2] * leg.mm + c[3] * um for c in (c_liq, c_call)]
        state = _state(
            *cushions, c_warn[0] * (margin + leg.upnl) + c_warn[2] * leg.mm + c_warn[3] * um
        )
        # One position, one price: its own distance is the pool's uniform move.
        move_liq = 0.0 if cushions[0] <= 0.0 else position.distance
        call = leg.margin_call_price
        move_call = 0.0 if cushions[1] <= 0.0 else (call - leg.mark) / leg.mark if call else None
    else:
        state = "ok" if figures.equity >= 0.0 else "liquidation"
    leverage = leg.notional / figures.equity if figures.equity > 0.0 else None
    return Health(
        venue=snapshot.venue,
        settle=snapshot.settle,
        equity=figures.equity,
        maintenance_margin=figures.requirement,
        initial_margin=um if formula == "equity_over_used_margin" else None,
        effective_leverage=leverage,
        ratio=_ratio(profile, levels, figures.ratio),
        state=state,
        move_to_margin_call=move_call,
        move_to_liquidation=move_liq,
        positions=(position,),
        reported=leg.pos.reported,
        approximate=profile.approximate,
        margin_mode="isolated",
        account_leverage=leverage,
    )


def _ratio(profile: VenueProfile, levels: _Levels, value: float | None) -> Ratio:
    return Ratio(
        name=profile.ratio_name,
        value=value,
        safer=profile.safer,
        margin_call=levels.margin_call,
        liquidation=levels.liquidation,
        warning=levels.warning,
        margin_call_source=levels.margin_call_source,
    )


def assess(snapshot: AccountSnapshot) -> Health:
    """The cross-margin health of one account (the contract: docs/risk-contract.md).

    The rules, in order: the venue's levels; collateral split into what moves and what not;
    each position's maintenance on the venue's valuation basis; the cross pool's figures, state
    and uniform moves, with every cross position's liquidation and margin-call price; each
    isolated position on its own margin; the venue's closing order.
    """
    profile = profile_for(snapshot.venue)
    levels = _levels(snapshot, profile)
    formula = profile.formula
    c_liq = _coefficients(formula, levels.liquidation)
    c_call = _coefficients(formula, levels.margin_call)
    c_warn = _coefficients(formula, levels.warning)

    collateral = _collateral(snapshot)
    linear, inverse = profile.linear_basis, profile.inverse_basis
    legs = [
        _Leg(p, p.maintenance_basis or (inverse if p.kind == "inverse" else linear))
        for p in snapshot.positions
    ]
    cross = [leg for leg in legs if leg.cross]
    book = _Book(cross, *collateral, snapshot.other_maintenance)
    liab = book.liabilities
    assets = collateral.fixed_equity + collateral.shocked_equity + book.upnl
    figures = _figures(formula, levels.liquidation, assets, liab, book.mm, book.um)
    judgement = _judge_cross(book, figures, c_liq, c_call, c_warn)

    isolated = [leg for leg in legs if not leg.cross]
    for leg in isolated:
        # The isolated pool holds only this leg: its rest is the margin put aside (a margin in
        # the base asset is part of the leg's own price term instead, see _Leg.margin_base).
        margin = 0.0 if leg.margin_base else leg.pos.isolated_margin or 0.0
        leg.liquidation_price = leg.solve(c_liq, c_liq[0] * margin)
        leg.margin_call_price = leg.solve(c_call, c_call[0] * margin)

    _rank_for_closing(legs, profile)
    positions = _position_healths(legs)
    pools: tuple[Health, ...] = ()
    if isolated:
        ratio_levels = (levels.liquidation, levels.margin_call, levels.warning)
        pools = tuple(
            _isolated_pool(leg, position, snapshot, profile, levels, ratio_levels)
            for leg, position in zip(legs, positions, strict=True)
            if not leg.cross
        )

    exposure = book.notional
    if not cross and liab > 0.0:
        exposure = assets  # spot margin: everything held is exposure
    equity = figures.equity
    leverage = exposure / equity if equity > 0.0 else None
    account_leverage = leverage
    if pools:
        # The account as a whole: every position on the equity behind all of them, so an
        # account holding only isolated positions does not read "0.0x".
        everything = equity + sum(pool.equity for pool in pools)
        held = exposure + sum(leg.notional for leg in isolated)
        account_leverage = held / everything if everything > 0.0 else None
    return Health(
        venue=snapshot.venue,
        settle=snapshot.settle,
        equity=equity,
        maintenance_margin=figures.requirement,
        initial_margin=book.um if formula == "equity_over_used_margin" else None,
        effective_leverage=leverage,
        ratio=_ratio(profile, levels, figures.ratio),
        state=judgement.state,
        move_to_margin_call=judgement.move_to_margin_call,
        move_to_liquidation=judgement.move_to_liquidation,
        positions=positions,
        reported=snapshot.reported,
        approximate=profile.approximate,
        pools=pools,
        account_leverage=account_leverage,
    )


_STATE_RANK = {"ok": 0, "warning": 1, "margin_call": 2, "liquidation": 3}


def _pool_risk(health: Health) -> tuple[int, float]:
    """How close a pool is to liquidation, comparable across coins: its state, then its ratio
    as a fraction of the way to the venue's liquidation level (1 = there)."""
    ratio = health.ratio
    value = ratio.value
    if value is None:
        closeness = 0.0
    elif ratio.safer == "lower":
        closeness = value / ratio.liquidation if ratio.liquidation > 0.0 else math.inf
    else:
        closeness = ratio.liquidation / value if value > 0.0 else math.inf
    return _STATE_RANK[health.state], closeness


def assess_pools(snapshots: Sequence[AccountSnapshot]) -> Health:
    """The health of an account the venue keeps in several pools (Binance COIN-M: one per
    margin coin), each snapshot one pool: the riskiest pool's health, with every other pool
    (and every isolated position of any pool) in ``pools``. One snapshot: ``assess`` it."""
    if not snapshots:
        raise ValueError("assess_pools needs at least one snapshot")
    healths = [assess(snapshot) for snapshot in snapshots]
    if len(healths) == 1:
        return healths[0]
    healths.sort(key=_pool_risk, reverse=True)  # stable: ties keep the venue's order
    main, others = healths[0], healths[1:]
    pools = list(main.pools)
    for other in others:
        pools.append(replace(other, pools=()))
        pools.extend(other.pools)
    return replace(main, pools=tuple(pools))


def _rank_for_closing(legs: list[_Leg], profile: VenueProfile) -> None:
    """1 = closed first. Cross positions first in the venue's order, then isolated ones."""
    oldest_first = profile.close_order == "oldest_first" and all(
        leg.pos.opened_at is not None for leg in legs if leg.cross
    )

    def key(leg: _Leg) -> tuple[bool, float, float, str]:
        primary = leg.pos.opened_at if oldest_first and leg.cross else leg.upnl
        return (not leg.cross, primary or 0.0, leg.upnl, leg.pos.symbol)

    for rank, leg in enumerate(sorted(legs, key=key), start=1):
        leg.rank = rank
