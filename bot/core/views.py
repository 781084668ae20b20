"""Health into messages: the status card and the liquidation-price summary, shared by commands,
buttons and digests so an account reads the same wherever it is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import format as fmt
from bot.core import texts
from bot.core.messages import Action, ActionId, Field, Message, Severity, account_ref, message
from bot.core.refs import fill
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
            unhealthy = texts.POOL_ISOLATED_STATE.format(state=state)
            common = {
                "symbol": position.symbol,
                "side": side(position.size),
                "state": "" if pool.state == "ok" else unhealthy,
                "ratio_name": name[:1].lower() + name[1:],
                "ratio": ratio,
            }
            if position.liquidation_price is None:
                lines.append(texts.POOL_ISOLATED_NO_LIQ.format(**common))
            else:
                lines.append(
                    texts.POOL_ISOLATED.format(
                        liquidation=fmt.price(position.liquidation_price),
                        distance=fmt.distance(position.distance),
                        **common,
                    )
                )
            continue
        if not coins:
            continue
        lines.append(
            texts.POOL_COIN.format(
                coin=pool.settle,
                state=state,
                ratio_name=ratio_name(pool),
                ratio=ratio,
                equity=fmt.money(pool.equity, pool.settle),
                move=_move_or_none(pool.move_to_liquidation),
            )
        )
    return lines


def coin_pools(health: Health) -> list[Health]:
    """The other coins' pools of an account kept in several (its isolated pools left out)."""
    return [pool for pool in health.pools if pool.margin_mode == "cross"]


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
    venue = view.venue
    ratio = health.ratio
    settle = health.settle
    lines = [headline(health, level)]
    fields = [
        Field(ratio_name(health), fmt.ratio(ratio.value, venue)),
        Field(texts.STATUS_MOVE_LIQUIDATION, _move_or_none(health.move_to_liquidation)),
        Field(texts.STATUS_MOVE_CALL, _move_or_none(health.move_to_margin_call)),
        Field(texts.STATUS_EQUITY, fmt.money(health.equity, settle)),
        Field(texts.STATUS_MAINTENANCE, fmt.money(health.maintenance_margin, settle)),
        Field(texts.STATUS_LEVERAGE, fmt.leverage(health.effective_leverage)),
    ]
    lines.append(
        fill(
            texts.STATUS_RATIO_LEVELS,
            call=fmt.ratio(ratio.margin_call, venue),
            liquidation=fmt.ratio(ratio.liquidation, venue),
        )
    )
    lines.extend(pool_lines(health, venue))
    if not health.positions and not coin_pools(health):
        lines.append(texts.STATUS_NO_POSITIONS)
    if approximate or health.approximate:
        lines.append(fill(texts.STATUS_APPROXIMATE, venue=view.venue_label))
    lines.extend(fill(texts.STATUS_NOTE, note=note) for note in notes)
    if view.snoozed_until is not None and view.snoozed_until > now:
        lines.append(fill(texts.STATUS_SNOOZED, until=fmt.utc_time(view.snoozed_until)))
    return message(
        fill(texts.STATUS_TITLE, label=view.label, venue=view.venue_label),
        severity_of(health, level),
        lines=lines,
        fields=fields,
        actions=_buttons(view, refresh=ActionId.REFRESH_STATUS, now=now),
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
            texts.POOL_COIN_TITLE.format(
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
    lines = position_lines(view, health, marks) or [texts.STATUS_NO_POSITIONS]
    lines.append(account_move_line(health))
    lines.extend(coin_pool_lines(view, health))
    if approximate or health.approximate:
        lines.append(fill(texts.STATUS_APPROXIMATE, venue=view.venue_label))
    lines.extend(fill(texts.STATUS_NOTE, note=note) for note in notes)
    return message(
        fill(texts.POSITIONS_TITLE, label=view.label),
        severity_of(health, level),
        lines=lines,
        fields=(Field(ratio_name(health), fmt.ratio(health.ratio.value, view.venue)),),
        actions=_buttons(view, refresh=ActionId.REFRESH_POSITIONS, now=now),
        private=True,
        footer=fill(texts.STATUS_AS_OF, time=fmt.utc_time(now)),
    )


def _move_or_none(value: float | None) -> str:
    if value is None:
        return texts.STATUS_NO_MOVE
    return texts.STATUS_MOVE_REACHED if value == 0.0 else fmt.move(value)
