"""Cross-margin health: snapshot in, health out, pure arithmetic.

Every venue's test is written as one *cushion* at a level λ, positive while the account is on
the safe side of λ and zero exactly at it (see `_coefficients`)::

    C(λ) = u·(wallet + collateral + Σ upnl) − l·liabilities + β·maintenance + γ·used_margin

C is linear in each position's own contribution, so with the rest of the book held at its marks
a position's liquidation price is the root of ``rest + a·P + b/P`` (``b`` only for inverse legs):
one division per position after one pass over the book, O(n) for all of them. Under a uniform
move of every non-settle price by the factor ``x = 1 + s`` the cushion is ``K + A·x + B/x``, a
quadratic after multiplying by ``x``. Maintenance brackets make both piecewise; each answer is
re-checked in the brackets it lands in and re-solved there (Binance's FAQ prescribes this).
"""

from __future__ import annotations

import math

from .brackets import bracket
from .model import AccountSnapshot, Health, Position, PositionHealth, Ratio, State, Tier
from .profiles import STABLE_ASSETS, VenueProfile, profile_for

_MAX_BRACKET_PASSES = 12


def _coefficients(formula: str, level: float) -> tuple[float, float, float, float]:
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
    """One position prepared for solving: its terms as functions of its own price."""

    __slots__ = (
        "cross", "inverse", "q", "qa", "entry", "mark", "rate", "amount", "tiers",
        "um_quote", "um_base", "upnl", "mm", "notional", "pos",
    )

    def __init__(self, pos: Position) -> None:
        self.pos = pos
        self.cross = pos.margin_mode != "isolated"
        self.inverse = pos.kind == "inverse"
        q = pos.size * pos.contract_size
        self.q = q
        self.qa = abs(q)
        self.entry = pos.entry_price
        self.mark = mark = pos.mark_price
        self.tiers = pos.tiers
        if self.inverse:
            self.upnl = q / pos.entry_price - q / mark
            self.notional = self.qa / mark
        else:
            self.upnl = q * (mark - pos.entry_price)
            self.notional = self.qa * mark
        if pos.tiers:
            tier = bracket(pos.tiers, self.notional)
            self.rate, self.amount = tier.rate, tier.amount
        else:
            self.rate = pos.maintenance_rate or 0.0
            self.amount = pos.maintenance_amount
        self.mm = self.notional * self.rate - self.amount
        self.um_quote = self.um_base = 0.0
        if pos.used_margin is not None:
            if pos.used_margin_in == "base":
                self.um_base = pos.used_margin
            else:
                self.um_quote = pos.used_margin
        elif pos.kind == "spot_margin" and pos.leverage:
            # Kraken: used margin is opening cost / leverage, in the borrowed currency.
            if q > 0:
                self.um_quote = self.qa * pos.entry_price / pos.leverage
            else:
                self.um_base = self.qa / pos.leverage

    def used_margin(self, price: float) -> float:
        return self.um_quote + self.um_base * price

    def terms(
        self, c: tuple[float, float, float, float], rate: float, amount: float
    ) -> tuple[float, float, float]:
        """(a, b, k): this leg's cushion is ``a·P + b/P + k`` at its own price P."""
        u, _, beta, gamma = c
        if self.inverse:
            return 0.0, -u * self.q + beta * self.qa * rate, u * self.q / self.entry - beta * amount
        a = u * self.q + beta * self.qa * rate + gamma * self.um_base
        k = -u * self.q * self.entry - beta * amount + gamma * self.um_quote
        return a, 0.0, k

    def notional_at(self, price: float) -> float:
        return self.qa / price if self.inverse else self.qa * price

    def cushion_at_mark(self, c: tuple[float, float, float, float]) -> float:
        a, b, k = self.terms(c, self.rate, self.amount)
        return a * self.mark + b / self.mark + k

    def solve(self, c: tuple[float, float, float, float], rest: float) -> float | None:
        """The own price at which the pool's cushion is zero, others held; None if none > 0."""
        price = _root_one(*self.terms(c, self.rate, self.amount), rest)
        if price is None or not self.tiers:
            return price
        tier = bracket(self.tiers, self.notional_at(price))
        if tier.rate == self.rate and tier.amount == self.amount:
            return price
        # The answer lies in another bracket: try each; the cushion is continuous in price, so
        # exactly one bracket holds its own solution (boundaries aside).
        for tier in self.tiers:
            price = _root_one(*self.terms(c, tier.rate, tier.amount), rest)
            if price is not None and bracket(self.tiers, self.notional_at(price)) is tier:
                return price
        return None


def _root_one(a: float, b: float, k: float, rest: float) -> float | None:
    const = k + rest
    if b == 0.0:
        if a == 0.0:
            return None
        price = -const / a
    else:
        if const == 0.0:
            return None
        price = -b / const
    return price if price > 0.0 and math.isfinite(price) else None


class _Pool:
    """The legs and balances judged together: the cross pool, or one isolated position."""

    __slots__ = ("legs", "fixed_equity", "shocked_equity", "shocked_liab", "fixed_liab")

    def __init__(self, legs: list[_Leg], fixed_equity: float, shocked_equity: float,
                 fixed_liab: float, shocked_liab: float) -> None:
        self.legs = legs
        self.fixed_equity = fixed_equity  # wallet and settle/stable collateral: never move
        self.shocked_equity = shocked_equity  # collateral priced in a moving asset
        self.fixed_liab = fixed_liab
        self.shocked_liab = shocked_liab

    def totals(self) -> tuple[float, float, float, float]:
        """(upnl, maintenance, used margin, liabilities) at current marks."""
        upnl = mm = um = 0.0
        for leg in self.legs:
            upnl += leg.upnl
            mm += leg.mm
            um += leg.used_margin(leg.mark)
        return upnl, mm, um, self.fixed_liab + self.shocked_liab

    def cushion(self, c: tuple[float, float, float, float]) -> float:
        u, lv, beta, gamma = c
        upnl, mm, um, liab = self.totals()
        equity_side = self.fixed_equity + self.shocked_equity + upnl
        return u * equity_side - lv * liab + beta * mm + gamma * um

    def cushion_at_move(self, c: tuple[float, float, float, float], x: float) -> float:
        """The cushion with every non-settle price scaled by ``x`` (brackets re-looked-up)."""
        u, lv = c[0], c[1]
        total = u * (self.fixed_equity + self.shocked_equity * x) - lv * (
            self.fixed_liab + self.shocked_liab * x)
        for leg in self.legs:
            price = leg.mark * x
            rate, amount = leg.rate, leg.amount
            if leg.tiers:
                tier = bracket(leg.tiers, leg.notional_at(price))
                rate, amount = tier.rate, tier.amount
            a, b, k = leg.terms(c, rate, amount)
            total += a * price + b / price + k
        return total

    def move_to(self, c: tuple[float, float, float, float]) -> float | None:
        """The uniform relative move s of all non-settle prices that zeroes the cushion."""
        if self.cushion(c) <= 0.0:
            return 0.0
        u, lv = c[0], c[1]
        brackets: list[tuple[float, float]] = [(leg.rate, leg.amount) for leg in self.legs]
        x: float | None = None
        for _ in range(_MAX_BRACKET_PASSES):
            big_a = u * self.shocked_equity - lv * self.shocked_liab
            big_b = 0.0
            big_k = u * self.fixed_equity - lv * self.fixed_liab
            for leg, (rate, amount) in zip(self.legs, brackets, strict=True):
                a, b, k = leg.terms(c, rate, amount)
                big_a += a * leg.mark
                big_b += b / leg.mark
                big_k += k
            x = _nearest_positive_root(big_a, big_k, big_b)
            if x is None:
                return None
            moved = [
                (leg.rate, leg.amount) if not leg.tiers else _rate_amount(
                    bracket(leg.tiers, leg.notional_at(leg.mark * x)))
                for leg in self.legs
            ]
            if moved == brackets:
                return x - 1.0
            brackets = moved
        return _bisect_move(self, c, x)


def _rate_amount(tier: Tier) -> tuple[float, float]:
    return tier.rate, tier.amount


def _nearest_positive_root(a: float, k: float, b: float) -> float | None:
    """The root x > 0 of ``a·x + k + b/x`` nearest to 1, or None."""
    if b == 0.0:
        if a == 0.0:
            return None
        roots = [-k / a]
    elif a == 0.0:
        roots = [-b / k] if k != 0.0 else []
    else:
        disc = k * k - 4.0 * a * b
        if disc < 0.0:
            return None
        # Numerically stable pair of roots of a·x² + k·x + b = 0.
        root = math.sqrt(disc)
        qq = -0.5 * (k + math.copysign(root, k))
        roots = [qq / a] + ([b / qq] if qq != 0.0 else [])
    best = None
    for x in roots:
        if x > 0.0 and math.isfinite(x) and (best is None or abs(x - 1.0) < abs(best - 1.0)):
            best = x
    return best


def _bisect_move(pool: _Pool, c: tuple[float, float, float, float], guess: float | None
                 ) -> float | None:
    """Fallback when bracket passes do not settle: bisection on the exact cushion."""
    if guess is None:
        return None
    lo, hi = (1.0, guess) if guess > 1.0 else (guess, 1.0)
    f_lo = pool.cushion_at_move(c, lo)
    if (f_lo > 0.0) == (pool.cushion_at_move(c, hi) > 0.0):
        return None
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f_mid = pool.cushion_at_move(c, mid)
        if (f_mid > 0.0) == (f_lo > 0.0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    return 0.5 * (lo + hi) - 1.0


def _levels(snapshot: AccountSnapshot, profile: VenueProfile) -> tuple[float, float, float, str]:
    call, liq, warn, source = (profile.margin_call, profile.liquidation, profile.warning,
                               profile.margin_call_source)
    t = snapshot.thresholds
    if t is not None:
        if t.liquidation is not None:
            liq = t.liquidation
        if t.margin_call is not None:
            call, source = t.margin_call, "user"
        if t.warning is not None:
            warn = t.warning
    return call, liq, warn, source


def _state(cushions: tuple[float, float, float]) -> State:
    liq, call, warn = cushions
    if liq <= 0.0:
        return "liquidation"
    if call <= 0.0:
        return "margin_call"
    if warn <= 0.0:
        return "warning"
    return "ok"


def _reported_price(pos: Position) -> float | None:
    value = pos.reported.get("liquidation_price")
    # Venues report "no liquidation price" as 0 or empty; neither is a price.
    return value if value is not None and value > 0.0 else None


def assess(snapshot: AccountSnapshot) -> Health:
    """The cross-margin health of one account (see DESIGN.md, "The risk contract")."""
    profile = profile_for(snapshot.venue)
    call, liq, warn, call_source = _levels(snapshot, profile)
    settle = snapshot.settle

    fixed_equity = snapshot.wallet_balance
    shocked_equity = 0.0
    for asset in snapshot.assets:
        value = asset.amount * asset.price * (1.0 - asset.haircut)
        if asset.asset == settle or asset.asset in STABLE_ASSETS:
            fixed_equity += value
        else:
            shocked_equity += value
    fixed_liab = shocked_liab = 0.0
    for debt in snapshot.liabilities:
        value = (debt.amount + debt.interest) * debt.price
        if debt.asset == settle or debt.asset in STABLE_ASSETS:
            fixed_liab += value
        else:
            shocked_liab += value

    legs = [_Leg(p) for p in snapshot.positions]
    cross = [leg for leg in legs if leg.cross]
    pool = _Pool(cross, fixed_equity, shocked_equity, fixed_liab, shocked_liab)

    formula = profile.formula
    c_liq = _coefficients(formula, liq)
    c_call = _coefficients(formula, call)
    c_warn = _coefficients(formula, warn)

    upnl, mm, um, liab = pool.totals()
    equity = fixed_equity + shocked_equity + upnl - liab
    assets_total = fixed_equity + shocked_equity + upnl
    if formula == "maintenance_over_equity":
        top, bottom, requirement = mm, equity, mm / liq
    elif formula == "equity_over_maintenance":
        top, bottom, requirement = equity, mm, liq * mm
    elif formula == "equity_over_used_margin":
        top, bottom, requirement = equity, um, liq * um
    else:
        top, bottom, requirement = assets_total, liab, (liq - 1.0) * liab
    at_risk = (mm if formula in ("maintenance_over_equity", "equity_over_maintenance")
               else um if formula == "equity_over_used_margin" else liab) > 0.0
    ratio_value = top / bottom if bottom > 0.0 else None

    if at_risk:
        cushions = (pool.cushion(c_liq), pool.cushion(c_call), pool.cushion(c_warn))
        state = _state(cushions)
        move_call = pool.move_to(c_call)
        move_liq = pool.move_to(c_liq)
    else:
        cushions = (1.0, 1.0, 1.0)
        state = "ok" if equity >= 0.0 else "liquidation"
        move_call = move_liq = None

    # Per-position prices: one cushion total per pool, then each leg's own root.
    liq_prices: dict[int, float | None] = {}
    call_prices: dict[int, float | None] = {}
    if at_risk:
        for leg in cross:
            own_liq = leg.cushion_at_mark(c_liq)
            own_call = leg.cushion_at_mark(c_call)
            liq_prices[id(leg)] = leg.solve(c_liq, cushions[0] - own_liq)
            call_prices[id(leg)] = leg.solve(c_call, cushions[1] - own_call)
    for leg in legs:
        if leg.cross:
            continue
        iso = _Pool([leg], leg.pos.isolated_margin or 0.0, 0.0, 0.0, 0.0)
        liq_prices[id(leg)] = leg.solve(c_liq, iso.cushion(c_liq) - leg.cushion_at_mark(c_liq))
        call_prices[id(leg)] = leg.solve(
            c_call, iso.cushion(c_call) - leg.cushion_at_mark(c_call))

    ranks = _close_ranks(legs, profile)
    positions = []
    for leg in legs:
        price = liq_prices.get(id(leg))
        pos = leg.pos
        positions.append(PositionHealth(
            symbol=pos.symbol,
            liquidation_price=price,
            distance=(price - leg.mark) / leg.mark if price is not None else None,
            unrealized_pnl=leg.upnl,
            maintenance_margin=leg.mm,
            close_rank=ranks[id(leg)],
            reported_liquidation_price=_reported_price(pos),
            margin_call_price=call_prices.get(id(leg)),
            margin_mode=pos.margin_mode,
            notional=leg.notional,
        ))

    exposure = sum(leg.notional for leg in cross)
    if not cross and liab > 0.0:
        exposure = assets_total  # spot margin: everything held is exposure
    return Health(
        venue=snapshot.venue,
        settle=settle,
        equity=equity,
        maintenance_margin=requirement,
        initial_margin=um if formula == "equity_over_used_margin" else None,
        effective_leverage=exposure / equity if equity > 0.0 else None,
        ratio=Ratio(
            name=profile.ratio_name, value=ratio_value, safer=profile.safer,
            margin_call=call, liquidation=liq, warning=warn, margin_call_source=call_source,
        ),
        state=state,
        move_to_margin_call=move_call,
        move_to_liquidation=move_liq,
        positions=tuple(positions),
        reported=snapshot.reported,
        approximate=profile.approximate,
    )


def _close_ranks(legs: list[_Leg], profile: VenueProfile) -> dict[int, int]:
    """1 = closed first. Cross positions first in the venue's order, then isolated ones."""
    oldest_first = profile.close_order == "oldest_first" and all(
        leg.pos.opened_at is not None for leg in legs if leg.cross)

    def key(leg: _Leg) -> tuple[bool, float, float, str]:
        primary = leg.pos.opened_at if oldest_first and leg.cross else leg.upnl
        return (not leg.cross, primary or 0.0, leg.upnl, leg.pos.symbol)

    return {id(leg): rank for rank, leg in enumerate(sorted(legs, key=key), start=1)}
