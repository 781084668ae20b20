"""Health into messages: the status card and the liquidation-price summary, shared by commands,
buttons, digests and `marginwatch check`, so an account reads the same wherever it is shown.

:func:`health_view` builds the one view model (:class:`HealthView`): the level, the headline,
the venue's ratio in the venue's own units, the figures, the pools the venue judges on their own,
one line per position and every note, all as display text. :func:`status_message` and
:func:`positions_message` render it for the chats; ``bot/check.py`` renders the same view in the
terminal and as JSON. A new figure or note is added to the view once and every front end shows
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import format as fmt
from bot.core import texts
from bot.core.messages import Action, ActionId, Field, Message, Severity, account_ref, message
from bot.core.refs import fill
from bot.monitor.history import closest_pool
from bot.monitor.policy import AlertRules, rank
from bot.store.records import Thresholds
from risk.model import Health, PositionHealth

# The alert level a health state reads as, when no user threshold applies.
_STATE_SEVERITY: dict[str, Severity] = {
    "ok": "ok",
    "warning": "watch",
    "margin_call": "margin_call",
    "liquidation": "critical",
}
_LEVEL_SEVERITY: dict[str, Severity] = {
    "ok": "ok",
    "watch": "watch",
    "margin_call": "margin_call",
    "critical": "critical",
}


@dataclass(frozen=True, slots=True)
class AccountView:
    """What a card needs to know about the account besides its health."""

    account_id: int
    label: str
    venue: str
    venue_label: str
    snoozed_until: float | None = None
    # Seconds between the monitor's reads when the exchange's limits stretch them (else None).
    limited_every: float | None = None
    exchange: str = ""  # who sets those limits, e.g. "Binance"


def critical_distance(thresholds: Thresholds) -> float | None:
    """The move within which the user is alerted as critical: their own, else the product's
    default, unless they set a critical level of the venue's ratio instead."""
    if thresholds.critical_move is None and thresholds.critical_ratio is None:
        return AlertRules().default_critical_move
    return thresholds.critical_move


def severity_of(health: Health, level: str | None = None) -> Severity:
    """The message severity: the alert level when known, else the venue's own state (the
    worst of the account's and of every pool the venue judges on its own)."""
    if level is not None and level in _LEVEL_SEVERITY:
        return _LEVEL_SEVERITY[level]
    return _STATE_SEVERITY.get(health.worst_state, "info")


def ratio_name(health: Health) -> str:
    return texts.RATIO_NAMES.get(health.ratio.name, health.ratio.name.replace("_", " ").title())


def side(size: float) -> str:
    return texts.SIDE_LONG if size >= 0 else texts.SIDE_SHORT


def _buttons(view: AccountView, *, refresh: ActionId, now: float) -> tuple[Action, ...]:
    account = account_ref(view.account_id)
    buttons = [Action(refresh, texts.BUTTON_REFRESH, (account,))]
    if refresh is ActionId.REFRESH_STATUS:
        buttons.append(Action(ActionId.REFRESH_POSITIONS, texts.BUTTON_POSITIONS, (account,)))
    if view.snoozed_until is not None and view.snoozed_until > now:
        buttons.append(Action(ActionId.UNSNOOZE, texts.BUTTON_UNSNOOZE, (account,)))
    else:
        buttons.extend(
            Action(ActionId.SNOOZE, fill(texts.BUTTON_SNOOZE, duration=d), (account, d))
            for d in ("1h", "4h", "24h")
        )
    return tuple(buttons)


# The venue's states in the order of the alert levels they correspond to (policy.rank).
_STATE_RANK = {"ok": 0, "warning": 1, "margin_call": 2, "liquidation": 3}


def headline(health: Health, level: str | None) -> str:
    """The venue's state in words, unless the user's own levels already say worse: a card
    that reads "Healthy" under a critical badge would contradict the alert it answers. The
    state is the worst of the account's and its own-margin pools' (an isolated position at
    liquidation makes the account's headline "At liquidation")."""
    state = health.worst_state
    if level in texts.STATUS_BY_YOUR_LEVELS and rank(level) > _STATE_RANK.get(state, 0):
        return texts.STATUS_BY_YOUR_LEVELS[level]
    return texts.STATUS_STATE.get(state, state)


def pool_lines(
    health: Health, venue: str, *, symbols: bool = True, coins: bool = True
) -> list[str]:
    """One line per pool the venue judges on its own (risk ``Health.pools``): each isolated
    position with its own liquidation price, distance and ratio; each other coin's pool with
    its state, ratio, equity and move. The account's figures cover none of them. With
    ``symbols=False`` (a channel that may not see positions) isolated positions are left out;
    with ``coins=False`` the coin pools are (a view that lists them in full)."""
    lines = []
    for pool in health.pools:
        ratio = fmt.ratio(pool.ratio.value, venue)
        state = texts.STATUS_STATE.get(pool.state, pool.state)
        if pool.margin_mode == "isolated":
            if not symbols:
                continue
            (position,) = pool.positions
            name = ratio_name(pool)
            unhealthy = fill(texts.POOL_ISOLATED_STATE, state=state)
            common = {
                "symbol": position.symbol,
                "side": side(position.size),
                "state": "" if pool.state == "ok" else unhealthy,
                "ratio_name": name[:1].lower() + name[1:],
                "ratio": ratio,
                "leverage": fmt.leverage(pool.effective_leverage),
            }
            if position.liquidation_price is None:
                lines.append(fill(texts.POOL_ISOLATED_NO_LIQ, **common))
            else:
                lines.append(
                    fill(
                        texts.POOL_ISOLATED,
                        liquidation=fmt.price(position.liquidation_price),
                        distance=fmt.distance(position.distance),
                        **common,
                    )
                )
            continue
        if not coins:
            continue
        lines.append(
            fill(
                texts.POOL_COIN,
                coin=pool.settle,
                state=state,
                ratio_name=ratio_name(pool),
                ratio=ratio,
                equity=fmt.money(pool.equity, pool.settle),
                move=_move_or_none(pool.move_to_liquidation),
            )
        )
    return lines


def pool_name(kind: str, name: str | None, side_word: str | None, *, short: bool = False) -> str:
    """A pool judged on its own, in words: "isolated ETH/USDC:USDC long", "the BTC pool", "the
    cross positions" (``short``: "isolated ETH long", "BTC pool", "cross positions", for a
    chart's title and line).
    ``kind``, ``name`` and ``side_word`` as ``bot.monitor.history.Closest`` has them."""
    if kind == "isolated" and name:
        words = {"long": texts.SIDE_LONG, "short": texts.SIDE_SHORT}.get(side_word or "", "")
        if short:
            return fill(texts.POOL_NAME_SHORT_ISOLATED, base=name.split("/")[0], side=words)
        return fill(texts.POOL_NAME_ISOLATED, symbol=name, side=words)
    if name:
        return fill(texts.POOL_NAME_SHORT_COIN if short else texts.POOL_NAME_COIN, coin=name)
    return texts.POOL_NAME_SHORT_CROSS if short else texts.POOL_NAME_CROSS


def nearest_line(health: Health, venue: str, *, symbols: bool = True) -> str | None:
    """The pool nearest liquidation, when the account keeps pools judged on their own and it
    is not the account's own: "Nearest liquidation: isolated ETH/USDC:USDC long; a 3.70% fall
    of its price liquidates it (its own maintenance ratio 35.6%)". ``symbols=False`` names an
    isolated position only as such (a channel that may not see positions)."""
    if not health.pools:
        return None
    closest = closest_pool(health)
    if closest.own:
        return None
    pool = closest.pool
    name = pool_name(closest.kind, closest.name, closest.side)
    if closest.kind == "isolated" and not symbols:
        name = texts.POOL_NAME_HIDDEN
    move = pool.move_to_liquidation
    if move == 0.0:
        return fill(texts.DIGEST_NEAREST_AT_LIQUIDATION, pool=name)
    words = ratio_name(pool)
    return fill(
        texts.DIGEST_NEAREST_ISOLATED if closest.kind == "isolated" else texts.DIGEST_NEAREST_POOL,
        pool=name,
        move=fmt.move(move),
        ratio_name=words[:1].lower() + words[1:],
        ratio=fmt.ratio(pool.ratio.value, venue),
    )


def coin_pools(health: Health) -> list[Health]:
    """The other coins' pools of an account kept in several (its isolated pools left out)."""
    return [pool for pool in health.pools if pool.margin_mode == "cross"]


@dataclass(frozen=True, slots=True)
class HealthView:
    """An account's health as every front end shows it: the same figures, units and level.

    Text throughout (the catalogue's words, ``format``'s numbers); ``notes`` are the sentences
    the reader must not miss (each shown as "Note: ..."), ``approximate`` the estimate line or
    "". Build it with :func:`health_view`.
    """

    account: AccountView
    health: Health
    level: str | None  # the alert level judged (None: not judged, the venue's state is used)
    severity: Severity
    headline: str
    levels: str  # "margin call at 80.0%, liquidation at 40.0%"
    fields: tuple[Field, ...]  # the status card's figures, in order
    pools: tuple[str, ...]  # one line per pool judged on its own (pool_lines)
    positions: tuple[str, ...]  # one line per position, closest to liquidation first
    account_move: str
    coin_pools: tuple[str, ...]  # every other coin's pool in full (coin_pool_lines)
    approximate: str
    notes: tuple[str, ...]

    @property
    def title(self) -> str:
        return fill(texts.STATUS_TITLE, label=self.account.label, venue=self.account.venue_label)

    @property
    def note_lines(self) -> tuple[str, ...]:
        """The estimate line, then each note as shown: what every card carries below its lines."""
        head = (self.approximate,) if self.approximate else ()
        return head + tuple(fill(texts.STATUS_NOTE, note=note) for note in self.notes)


def health_view(
    view: AccountView,
    health: Health,
    *,
    marks: dict[str, tuple[float, float]] | None = None,
    notes: Sequence[str] = (),
    approximate: bool = False,
    level: str | None = None,
) -> HealthView:
    """The one view model of an account's health (see the module docstring).

    ``marks`` maps a symbol to ``(size, mark_price)`` from the snapshot, for the position lines;
    ``notes`` are the read's own (``AccountRead.notes``); ``level`` the alert level judged by the
    reader's thresholds (``policy.judge_level``).
    """
    venue = view.venue
    ratio = health.ratio
    settle = health.settle
    own = (health.reported or {}).get(ratio.name)
    fields = (
        Field(ratio_name(health), fmt.ratio(ratio.value, venue)),
        *((Field(texts.STATUS_VENUE_REPORTS, fmt.ratio(own, venue)),) if own is not None else ()),
        Field(texts.STATUS_MOVE_LIQUIDATION, _move_or_none(health.move_to_liquidation)),
        Field(texts.STATUS_MOVE_CALL, _move_or_none(health.move_to_margin_call)),
        Field(texts.STATUS_EQUITY, fmt.money(health.equity, settle)),
        Field(texts.STATUS_MAINTENANCE, fmt.money(health.maintenance_margin, settle)),
        # The account as a whole, isolated positions included (risk Health.account_leverage):
        # the cross pool's own figure reads 0x for an account holding only isolated positions.
        Field(texts.STATUS_LEVERAGE, fmt.leverage(health.account_leverage)),
    )
    return HealthView(
        account=view,
        health=health,
        level=level,
        severity=severity_of(health, level),
        headline=headline(health, level),
        levels=fill(
            texts.STATUS_RATIO_LEVELS,
            call=fmt.ratio(ratio.margin_call, venue),
            liquidation=fmt.ratio(ratio.liquidation, venue),
        ),
        fields=fields,
        pools=tuple(pool_lines(health, venue)),
        positions=tuple(position_lines(view, health, marks or {})),
        account_move=account_move_line(health),
        coin_pools=tuple(coin_pool_lines(view, health)),
        approximate=(
            fill(texts.STATUS_APPROXIMATE, venue=view.venue_label)
            if approximate or health.approximate
            else ""
        ),
        notes=tuple(notes),
    )


def status_message(
    view: AccountView,
    health: Health,
    *,
    now: float,
    notes: Sequence[str] = (),
    approximate: bool = False,
    level: str | None = None,
) -> Message:
    """The status card: state, the venue's ratio against its levels, equity, leverage, moves."""
    return status_card(
        health_view(view, health, notes=notes, approximate=approximate, level=level), now=now
    )


def status_card(hv: HealthView, *, now: float, actions: bool = True) -> Message:
    """:func:`status_message` from a built view (``actions=False``: no buttons, for a terminal
    that cannot press them)."""
    view = hv.account
    lines = [hv.headline, hv.levels, *hv.pools]
    if not hv.health.positions and not coin_pools(hv.health):
        lines.append(texts.STATUS_NO_POSITIONS)
    lines.extend(hv.note_lines)
    if view.snoozed_until is not None and view.snoozed_until > now:
        lines.append(fill(texts.STATUS_SNOOZED, until=fmt.utc_time(view.snoozed_until)))
    if view.limited_every is not None:
        lines.append(
            fill(
                texts.STATUS_CADENCE_LIMITED,
                every=fmt.cadence(view.limited_every),
                exchange=view.exchange or view.venue_label,
            )
        )
    return message(
        hv.title,
        hv.severity,
        lines=lines,
        fields=hv.fields,
        actions=_buttons(view, refresh=ActionId.REFRESH_STATUS, now=now) if actions else (),
        private=True,
        footer=fill(texts.STATUS_AS_OF, time=fmt.utc_time(now)),
    )


def position_lines(
    view: AccountView,
    health: Health,
    marks: dict[str, tuple[float, float]],
    *,
    show_reported: bool = True,
) -> list[str]:
    """One line per position, closest to liquidation (venue's close order) first.

    ``marks`` maps a symbol to ``(size, mark_price)`` from the snapshot; a symbol it lacks
    (another coin's pool) is shown with the size and mark its health carries.
    """
    lines = []
    for pos in sorted(health.positions, key=lambda p: p.close_rank):
        size, mark = marks.get(pos.symbol, (pos.size, pos.mark_price))
        lines.append(_position_line(view, pos, size, mark, show_reported=show_reported))
    return lines


def coin_pool_lines(view: AccountView, health: Health, *, show_reported: bool = True) -> list[str]:
    """Every other coin's pool of the account: a title line, its positions, its move."""
    lines = []
    for pool in coin_pools(health):
        lines.append(
            fill(
                texts.POOL_COIN_TITLE,
                coin=pool.settle,
                state=texts.STATUS_STATE.get(pool.state, pool.state),
                ratio_name=ratio_name(pool),
                ratio=fmt.ratio(pool.ratio.value, view.venue),
            )
        )
        lines.extend(position_lines(view, pool, {}, show_reported=show_reported))
        lines.append(account_move_line(pool))
    return lines


def _position_line(
    view: AccountView, pos: PositionHealth, size: float, mark: float, *, show_reported: bool
) -> str:
    if pos.liquidation_price is None:
        line = fill(
            texts.POSITION_LINE_NO_LIQ,
            rank=pos.close_rank,
            symbol=pos.symbol,
            side=side(size),
            mark=fmt.price(mark),
        )
    else:
        line = fill(
            texts.POSITION_LINE,
            rank=pos.close_rank,
            symbol=pos.symbol,
            side=side(size),
            liquidation=fmt.price(pos.liquidation_price),
            distance=fmt.distance(pos.distance),
            mark=fmt.price(mark),
        )
    if show_reported and pos.reported_liquidation_price is not None:
        line += "; " + fill(
            texts.POSITION_REPORTED,
            venue=view.venue_label,
            price=fmt.price(pos.reported_liquidation_price),
        )
    if pos.margin_mode == "isolated":
        line += "; " + texts.POSITION_ISOLATED
    return line


def account_move_line(health: Health) -> str:
    # risk reports a move of exactly 0 when the level is already reached: say that in words.
    if health.move_to_liquidation is None and health.move_to_margin_call is None:
        return texts.POSITIONS_ACCOUNT_NO_MOVE
    if health.move_to_liquidation == 0.0:
        return texts.POSITIONS_ACCOUNT_AT_LIQUIDATION
    if health.move_to_margin_call == 0.0:
        return fill(
            texts.POSITIONS_ACCOUNT_PAST_CALL, liquidation=_move_or_none(health.move_to_liquidation)
        )
    return fill(
        texts.POSITIONS_ACCOUNT_MOVE,
        call=_move_or_none(health.move_to_margin_call),
        liquidation=_move_or_none(health.move_to_liquidation),
    )


def positions_message(
    view: AccountView,
    health: Health,
    marks: dict[str, tuple[float, float]],
    *,
    now: float,
    notes: Sequence[str] = (),
    approximate: bool = False,
    level: str | None = None,
) -> Message:
    """The liquidation-price summary: per position liquidation price, distance and close rank,
    then the account's move to margin call and to liquidation."""
    hv = health_view(view, health, marks=marks, notes=notes, approximate=approximate, level=level)
    lines = [
        *(hv.positions or (texts.STATUS_NO_POSITIONS,)),
        hv.account_move,
        *hv.coin_pools,
        *hv.note_lines,
    ]
    return message(
        fill(texts.POSITIONS_TITLE, label=view.label),
        hv.severity,
        lines=lines,
        fields=hv.fields[:1],
        actions=_buttons(view, refresh=ActionId.REFRESH_POSITIONS, now=now),
        private=True,
        footer=fill(texts.STATUS_AS_OF, time=fmt.utc_time(now)),
    )


def _move_or_none(value: float | None) -> str:
    if value is None:
        return texts.STATUS_NO_MOVE
    return texts.STATUS_MOVE_REACHED if value == 0.0 else fmt.move(value)
