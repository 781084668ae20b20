"""Alert events become neutral messages, redacted to what the owner shares, and several messages
for one chat become one."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import format as fmt
from bot.core import texts
from bot.core.messages import (
    Action,
    ActionId,
    Message,
    Severity,
    louder,
    message,
    subscription_ref,
)
from bot.core.refs import UserRef, fill
from bot.monitor.policy import AlertEvent
from bot.store.records import SHARE_LEVELS

# What a subscription shows is one of the store's SHARE_LEVELS, least to most; the owner's own
# private chat always gets "positions".


def render_event(
    event: AlertEvent, share: str = "positions", *, owner: str = "", owner_id: str = ""
) -> Message:
    """The message for one alert event, showing no more than ``share`` allows.

    ``owner`` names the account's owner in a community channel (empty in the owner's DM), and
    ``owner_id`` is their platform id, so each chat can name them its own way (never the raw
    id); a channel never sees balances, and figures only from ``share="ratio"`` up.
    """
    shared = _share(share)
    label: str = event.account_label
    if owner:
        # A name that is just the id (no display name known) is shown as "a member".
        person = UserRef(owner_id, "" if owner == owner_id else owner)
        label = fill(texts.ALERT_OWNER, owner=person, label=event.account_label)
    shows_figures = SHARE_LEVELS.index(shared) >= SHARE_LEVELS.index("ratio")
    shows_positions = shared == "positions"
    lines: list[str] = []
    severity: Severity
    if event.kind in texts.ALERT_FEED_TITLE:
        title = fill(texts.ALERT_FEED_TITLE[event.kind], label=label, venue=event.venue)
        lines.append(
            fill(
                texts.ALERT_FEED_LINE[event.kind],
                venue=event.venue,
                problem=(event.problem or "unknown").replace("_", " "),
            )
        )
        severity = {"key_invalid": "error", "feed_restored": "info"}.get(  # type: ignore[assignment]
            event.kind, "watch"
        )
    elif event.kind == "position_vanished":
        template = (
            texts.ALERT_VANISHED_TITLE if shows_positions else texts.ALERT_VANISHED_TITLE_HIDDEN
        )
        title = fill(template, label=label, symbol=event.symbol)
        lines.append(texts.ALERT_VANISHED)
        severity = "critical" if event.priority == "critical" else "info"
    else:
        title = fill(texts.ALERT_TITLE[event.level], label=label)
        severity = event.level
        if event.kind == "reminder":
            lines.append(fill(texts.ALERT_REMINDER, at=fmt.utc_time(event.at)))
        elif event.kind == "recovery":
            lines.append(
                fill(texts.ALERT_RECOVERY, previous=texts.ALERT_LEVEL_NAMES[event.previous_level])
            )
        elif event.previous_level != "ok":
            lines.append(
                fill(
                    texts.ALERT_ESCALATION_FROM,
                    previous=texts.ALERT_LEVEL_NAMES[event.previous_level],
                )
            )
        if shows_figures:
            if event.ratio_name is not None and event.ratio_value is not None:
                lines.append(
                    fill(
                        texts.ALERT_RATIO,
                        ratio_name=texts.RATIO_NAMES.get(
                            event.ratio_name, event.ratio_name.replace("_", " ").capitalize()
                        ),
                        ratio=fmt.ratio(event.ratio_value, event.venue),
                    )
                )
            if event.move_to_liquidation is not None:
                lines.append(
                    texts.ALERT_AT_LIQUIDATION
                    if event.move_to_liquidation == 0.0
                    else fill(texts.ALERT_MOVE, move=fmt.move(event.move_to_liquidation))
                )
            if event.pool_label is not None:
                lines.append(_pool_line(event, shows_positions))
        if event.approximate:
            lines.append(texts.ALERT_APPROXIMATE)
    actions: tuple[Action, ...] = ()
    # Only the owner can snooze, so buttons go to the owner's private chat, never to a channel.
    if not owner and event.kind in ("escalation", "reminder") and event.level != "critical":
        ref = subscription_ref(event.subscription_id)
        actions = tuple(
            Action(ActionId.SNOOZE, fill(texts.BUTTON_SNOOZE, duration=d), (ref, d))
            for d in ("1h", "4h", "24h")
        )
    return message(
        title,
        severity,
        lines=lines,
        actions=actions,
        private=not owner,
        mention=bool(owner) and severity == "critical",
    )


def _pool_line(event: AlertEvent, shows_positions: bool) -> str:
    """The pool judged on its own that the alert is about (policy ``worst_pool``)."""
    at_liquidation = event.pool_move == 0.0
    move = fmt.move(event.pool_move) if event.pool_move is not None else texts.STATUS_NO_MOVE
    if event.pool_isolated:
        if not shows_positions:  # a channel that sees figures but no positions: no symbol
            template = (
                texts.ALERT_POOL_ISOLATED_HIDDEN_NOW
                if at_liquidation
                else texts.ALERT_POOL_ISOLATED_HIDDEN
            )
            return template.format(move=move)
        template = texts.ALERT_POOL_ISOLATED_NOW if at_liquidation else texts.ALERT_POOL_ISOLATED
        return template.format(symbol=event.pool_label, move=move)
    template = texts.ALERT_POOL_COIN_NOW if at_liquidation else texts.ALERT_POOL_COIN
    return template.format(
        coin=event.pool_label,
        ratio_name=texts.RATIO_NAMES.get(
            event.ratio_name or "", (event.ratio_name or "").replace("_", " ").capitalize()
        ),
        ratio=fmt.ratio(event.pool_ratio, event.venue),
        move=move,
    )


def coalesce(messages: Sequence[Message]) -> Message:
    """Several messages for one chat as one: in the given order (put critical first), the
    loudest severity wins; a single message passes unchanged."""
    if not messages:
        raise ValueError("nothing to coalesce")
    if len(messages) == 1:
        return messages[0]
    first = messages[0]
    severity: Severity = first.severity
    lines: list[str] = []
    actions: list[Action] = []
    for part in messages:
        severity = louder(severity, part.severity)
        # "+" keeps the references a Text carries (an f-string would flatten them).
        lines.append("• " + part.title)
        lines.extend("  " + line for line in part.lines)
        lines.extend(f"  {f.name}: " + f.value for f in part.fields)
        actions.extend(a for a in part.actions if a not in actions)
    return Message(
        title=fill(texts.ALERT_COALESCED_TITLE, first=first.title, more=len(messages) - 1),
        severity=severity,
        lines=tuple(lines),
        actions=tuple(actions),
        private=all(m.private for m in messages),
        silent=all(m.silent for m in messages),
        mention=any(m.mention for m in messages),
    )


def _share(share: str) -> str:
    return share if share in SHARE_LEVELS else "state"
