"""Alert events and digests become neutral messages; outbox payloads are those messages as JSON.

The texts below extend ``bot.core.texts`` (whose ``ALERT_TITLE`` they use); they belong in that
catalogue and live here only until core takes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core import format as fmt
from bot.core import texts
from bot.core.messages import Action, ActionId, Field, Message, Severity, louder, message
from bot.monitor.policy import AlertEvent
from risk.model import AccountSnapshot, Health

# What a subscription shows, from least to most (the store's `share` vocabulary). A private chat
# with the owner always gets "positions".
SHARE_ORDER = ("none", "state", "ratio", "positions")

REMINDER_LINE = "Still at this level since {since} UTC."
ESCALATION_FROM = "Was {previous} before."
RECOVERY_LINE = "Improved from {previous}."
RATIO_LINE = "{ratio_name}: {ratio}"
MOVE_LINE = "A {move} of every price would liquidate the account."
APPROXIMATE_LINE = "Estimated: the exchange does not publish every figure."
FEED_TITLE = {
    "data_stale": "{label}: data stale",
    "key_invalid": "{label}: key invalid or revoked",
    "exchange_down": "{label}: {venue} is not answering",
    "feed_restored": "{label}: reading again",
}
FEED_LINE = {
    "data_stale": "The last checks of {venue} failed ({problem}); alerts resume when it answers.",
    "key_invalid": (
        "{venue} refused the read-only key ({problem}). I cannot watch this account until you "
        "link a working key with /link."
    ),
    "exchange_down": "The last checks of {venue} failed; alerts resume when it answers.",
    "feed_restored": "{venue} answers again; the alerts above this line are current.",
}
VANISHED_TITLE = "{label}: {symbol} is gone"
VANISHED_TITLE_HIDDEN = "{label}: a position is gone"
VANISHED_LINE = "It was open at the last check and is not now: closed by you, or liquidated."
LEVEL_NAMES = {"ok": "safe", "watch": "watch", "margin_call": "margin call", "critical": "critical"}
COALESCED_TITLE = "{first} (+{more} more)"
SNOOZE_LABEL = "Snooze 4h"


def render_event(event: AlertEvent, share: str = "positions") -> Message:
    """The message for one alert event, showing no more than ``share`` allows."""
    label = event.account_label
    shows_figures = SHARE_ORDER.index(_share(share)) >= SHARE_ORDER.index("ratio")
    shows_positions = _share(share) == "positions"
    lines: list[str] = []
    severity: Severity
    if event.kind in FEED_TITLE:
        title = FEED_TITLE[event.kind].format(label=label, venue=event.venue)
        lines.append(
            FEED_LINE[event.kind].format(venue=event.venue, problem=_problem(event.problem))
        )
        severity = {"key_invalid": "error", "feed_restored": "info"}.get(event.kind, "watch")  # type: ignore[assignment]
    elif event.kind == "position_vanished":
        template = VANISHED_TITLE if shows_positions else VANISHED_TITLE_HIDDEN
        title = template.format(label=label, symbol=event.symbol)
        lines.append(VANISHED_LINE)
        severity = "critical" if event.priority == "critical" else "info"
    else:
        title = texts.ALERT_TITLE[event.level].format(label=label)
        severity = event.level
        if event.kind == "reminder":
            lines.append(REMINDER_LINE.format(since=fmt.utc_time(event.at)))
        elif event.kind == "recovery":
            lines.append(RECOVERY_LINE.format(previous=LEVEL_NAMES[event.previous_level]))
            severity = "ok" if event.level == "ok" else event.level
        elif event.previous_level != "ok":
            lines.append(ESCALATION_FROM.format(previous=LEVEL_NAMES[event.previous_level]))
        if shows_figures:
            if event.ratio_name is not None and event.ratio_value is not None:
                lines.append(
                    RATIO_LINE.format(
                        ratio_name=event.ratio_name.replace("_", " ").capitalize(),
                        ratio=fmt.ratio(event.ratio_value, event.venue),
                    )
                )
            if event.move_to_liquidation is not None:
                lines.append(MOVE_LINE.format(move=fmt.move(event.move_to_liquidation)))
        if event.approximate:
            lines.append(APPROXIMATE_LINE)
    actions: tuple[Action, ...] = ()
    if event.kind in ("escalation", "reminder") and event.level != "critical":
        actions = (Action(ActionId.SNOOZE, SNOOZE_LABEL, (str(event.subscription_id), "4h")),)
    return message(
        title,
        severity,
        lines=lines,
        actions=actions,
        mention=severity == "critical",
    )


def coalesce(messages: Sequence[Message]) -> Message:
    """Several messages for one chat as one: the most urgent first, loudest severity wins.

    The caller orders ``messages`` (critical first); a single message passes unchanged.
    """
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
        lines.append(f"• {part.title}")
        lines.extend(f"  {line}" for line in part.lines)
        lines.extend(f"  {f.name}: {f.value}" for f in part.fields)
        actions.extend(a for a in part.actions if a not in actions)
    return Message(
        title=COALESCED_TITLE.format(first=first.title, more=len(messages) - 1),
        severity=severity,
        lines=tuple(lines),
        actions=tuple(actions),
        private=all(m.private for m in messages),
        silent=all(m.silent for m in messages),
        mention=any(m.mention for m in messages),
    )


def message_to_json(msg: Message) -> dict[str, Any]:
    """A message as a JSON-able dict for the outbox (images are not queued: they are re-drawn)."""
    return {
        "title": msg.title,
        "severity": msg.severity,
        "lines": list(msg.lines),
        "fields": [[f.name, f.value, f.inline] for f in msg.fields],
        "actions": [[a.id.value, a.label, list(a.args)] for a in msg.actions],
        "private": msg.private,
        "silent": msg.silent,
        "footer": msg.footer,
        "mention": msg.mention,
    }


def message_from_json(data: Mapping[str, Any]) -> Message:
    return Message(
        title=str(data["title"]),
        severity=data.get("severity", "info"),
        lines=tuple(str(line) for line in data.get("lines", ())),
        fields=tuple(Field(str(n), str(v), bool(i)) for n, v, i in data.get("fields", ())),
        actions=tuple(
            Action(ActionId(a), str(label), tuple(str(x) for x in args))
            for a, label, args in data.get("actions", ())
        ),
        private=bool(data.get("private", False)),
        silent=bool(data.get("silent", True)),
        footer=str(data.get("footer", "")),
        mention=bool(data.get("mention", False)),
    )


def _share(share: str) -> str:
    return share if share in SHARE_ORDER else "state"


def _problem(problem: str | None) -> str:
    return (problem or "unknown").replace("_", " ")


DIGEST_TITLE = "Digest — {label}"
DIGEST_NO_DATA = "No fresh figures for {label}: {reason}"
DIGEST_NO_READ = "no successful read yet"
DIGEST_POSITION = "#{rank} {symbol} {side}: liquidation {liquidation} ({distance} from mark {mark})"
DIGEST_POSITION_NO_LIQ = "#{rank} {symbol} {side}: no liquidation price (mark {mark})"
DIGEST_MOVE = "Whole account: a {call} move reaches margin call, a {liquidation} move liquidates."
DIGEST_AS_OF = "As of {time} UTC"


def digest_message(
    label: str, venue: str, snapshot: AccountSnapshot, health: Health, at: float, share: str
) -> Message:
    """The liquidation-price summary, showing no more than ``share`` allows."""
    shared = SHARE_ORDER.index(_share(share))
    lines = [texts.STATUS_STATE.get(health.state, health.state)]
    if shared >= SHARE_ORDER.index("ratio"):
        name = texts.RATIO_NAMES.get(health.ratio.name, health.ratio.name)
        lines.append(RATIO_LINE.format(ratio_name=name, ratio=fmt.ratio(health.ratio.value, venue)))
        lines.append(
            DIGEST_MOVE.format(
                call=fmt.move(health.move_to_margin_call),
                liquidation=fmt.move(health.move_to_liquidation),
            )
        )
    if shared >= SHARE_ORDER.index("positions"):
        held = {p.symbol: p for p in snapshot.positions}
        for pos in sorted(health.positions, key=lambda p: p.close_rank):
            source = held.get(pos.symbol)
            side = texts.SIDE_SHORT if source is not None and source.size < 0 else texts.SIDE_LONG
            mark = fmt.price(source.mark_price if source is not None else None)
            template = (
                DIGEST_POSITION if pos.liquidation_price is not None else DIGEST_POSITION_NO_LIQ
            )
            lines.append(
                template.format(
                    rank=pos.close_rank,
                    symbol=pos.symbol,
                    side=side,
                    liquidation=fmt.price(pos.liquidation_price),
                    distance=fmt.distance(pos.distance),
                    mark=mark,
                )
            )
        if not health.positions:
            lines.append(texts.STATUS_NO_POSITIONS)
    if health.approximate:
        lines.append(APPROXIMATE_LINE)
    return message(
        DIGEST_TITLE.format(label=label),
        "info",
        lines=lines,
        footer=DIGEST_AS_OF.format(time=fmt.utc_time(at)),
    )


def no_data_digest(label: str, reason: str | None) -> Message:
    """The digest of an account that could not be read lately."""
    return message(
        DIGEST_TITLE.format(label=label),
        "watch",
        lines=(DIGEST_NO_DATA.format(label=label, reason=reason or DIGEST_NO_READ),),
    )
