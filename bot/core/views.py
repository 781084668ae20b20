"""Health into messages: the status card and the liquidation-price summary, shared by commands,
buttons and digests so an account reads the same wherever it is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import format as fmt
from bot.core import texts
from bot.core.messages import Action, ActionId, Field, Message, Severity, account_ref, message
from bot.monitor.policy import rank
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


def severity_of(health: Health, level: str | None = None) -> Severity:
    """The message severity: the alert level when known, else the venue's own state."""
    if level is not None and level in _LEVEL_SEVERITY:
        return _LEVEL_SEVERITY[level]
    return _STATE_SEVERITY.get(health.state, "info")


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
            Action(ActionId.SNOOZE, texts.BUTTON_SNOOZE.format(duration=d), (account, d))
            for d in ("1h", "4h", "24h")
        )
    return tuple(buttons)


# The venue's states in the order of the alert levels they correspond to (policy.rank).
_STATE_RANK = {"ok": 0, "warning": 1, "margin_call": 2, "liquidation": 3}


def _headline(health: Health, level: str | None) -> str:
    """The venue's state in words, unless the user's own levels already say worse: a card
    that reads "Healthy" under a critical badge would contradict the alert it answers."""
    if level in texts.STATUS_BY_YOUR_LEVELS and rank(level) > _STATE_RANK.get(health.state, 0):
        return texts.STATUS_BY_YOUR_LEVELS[level]
    return texts.STATUS_STATE.get(health.state, health.state)


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
    lines = [_headline(health, level)]
    fields = [
        Field(ratio_name(health), fmt.ratio(ratio.value, venue)),
        Field(texts.STATUS_MOVE_LIQUIDATION, _move_or_none(health.move_to_liquidation)),
        Field(texts.STATUS_MOVE_CALL, _move_or_none(health.move_to_margin_call)),
        Field(texts.STATUS_EQUITY, fmt.money(health.equity, settle)),
        Field(texts.STATUS_MAINTENANCE, fmt.money(health.maintenance_margin, settle)),
        Field(texts.STATUS_LEVERAGE, fmt.leverage(health.effective_leverage)),
    ]
    lines.append(
        texts.STATUS_RATIO_LEVELS.format(
            call=fmt.ratio(ratio.margin_call, venue),
            liquidation=fmt.ratio(ratio.liquidation, venue),
        )
    )
    if not health.positions:
        lines.append(texts.STATUS_NO_POSITIONS)
    if approximate or health.approximate:
        lines.append(texts.STATUS_APPROXIMATE.format(venue=view.venue_label))
    lines.extend(texts.STATUS_NOTE.format(note=note) for note in notes)
    if view.snoozed_until is not None and view.snoozed_until > now:
        lines.append(texts.STATUS_SNOOZED.format(until=fmt.utc_time(view.snoozed_until)))
    if view.limited_every is not None:
        lines.append(
            texts.STATUS_CADENCE_LIMITED.format(
                every=fmt.cadence(view.limited_every), exchange=view.exchange or view.venue_label
            )
        )
    return message(
        texts.STATUS_TITLE.format(label=view.label, venue=view.venue_label),
        severity_of(health, level),
        lines=lines,
        fields=fields,
        actions=_buttons(view, refresh=ActionId.REFRESH_STATUS, now=now),
        private=True,
        footer=texts.STATUS_AS_OF.format(time=fmt.utc_time(now)),
    )


def position_lines(
    view: AccountView,
    health: Health,
    marks: dict[str, tuple[float, float]],
    *,
    show_reported: bool = True,
) -> list[str]:
    """One line per position, closest to liquidation (venue's close order) first.

    ``marks`` maps a symbol to ``(size, mark_price)`` from the snapshot.
    """
    lines = []
    for pos in sorted(health.positions, key=lambda p: p.close_rank):
        size, mark = marks.get(pos.symbol, (0.0, float("nan")))
        lines.append(_position_line(view, pos, size, mark, show_reported=show_reported))
    return lines


def _position_line(
    view: AccountView, pos: PositionHealth, size: float, mark: float, *, show_reported: bool
) -> str:
    if pos.liquidation_price is None:
        line = texts.POSITION_LINE_NO_LIQ.format(
            rank=pos.close_rank, symbol=pos.symbol, side=side(size), mark=fmt.price(mark)
        )
    else:
        line = texts.POSITION_LINE.format(
            rank=pos.close_rank,
            symbol=pos.symbol,
            side=side(size),
            liquidation=fmt.price(pos.liquidation_price),
            distance=fmt.distance(pos.distance),
            mark=fmt.price(mark),
        )
    if show_reported and pos.reported_liquidation_price is not None:
        line += "; " + texts.POSITION_REPORTED.format(
            venue=view.venue_label, price=fmt.price(pos.reported_liquidation_price)
        )
    return line


def account_move_line(health: Health) -> str:
    # risk reports a move of exactly 0 when the level is already reached: say that in words.
    if health.move_to_liquidation == 0.0:
        return texts.POSITIONS_ACCOUNT_AT_LIQUIDATION
    if health.move_to_margin_call == 0.0:
        return texts.POSITIONS_ACCOUNT_PAST_CALL.format(
            liquidation=_move_or_none(health.move_to_liquidation)
        )
    return texts.POSITIONS_ACCOUNT_MOVE.format(
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
    if approximate or health.approximate:
        lines.append(texts.STATUS_APPROXIMATE.format(venue=view.venue_label))
    lines.extend(texts.STATUS_NOTE.format(note=note) for note in notes)
    return message(
        texts.POSITIONS_TITLE.format(label=view.label),
        severity_of(health, level),
        lines=lines,
        fields=(Field(ratio_name(health), fmt.ratio(health.ratio.value, view.venue)),),
        actions=_buttons(view, refresh=ActionId.REFRESH_POSITIONS, now=now),
        private=True,
        footer=texts.STATUS_AS_OF.format(time=fmt.utc_time(now)),
    )


def _move_or_none(value: float | None) -> str:
    if value is None:
        return texts.STATUS_NO_MOVE
    return texts.STATUS_MOVE_REACHED if value == 0.0 else fmt.move(value)
