"""Core's words for the monitor: alerts, digests and notices as neutral messages, one per chat.

:class:`CorePresenter` implements ``bot.monitor.presenter.Presenter``; the composition root
passes it to ``Monitor(..., presenter=CorePresenter())``. Payloads are ``to_payload`` dicts of
:class:`~bot.core.messages.Message`, and every transport receives a ``Message``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import format as fmt
from bot.core import texts, views
from bot.core.alerts import coalesce, render_event
from bot.core.messages import Message, Severity, from_payload, message, to_payload
from bot.core.refs import fill
from bot.exchanges import SUPPORTED_VENUES
from bot.monitor.policy import AlertEvent
from bot.monitor.presenter import ClosestApproach, DigestFacts, LastRead, Payload

# The payload key marking an outbox row as an alert (not a digest or a notice), with its level.
ALERT_KEY = "alert"


class CorePresenter:
    """The monitor's Presenter, worded with core's texts, views and message model."""

    def render_alert(
        self, event: AlertEvent, share: str, *, owner: str, owner_id: str = ""
    ) -> Payload:
        payload = to_payload(render_event(event, share, owner=owner, owner_id=owner_id))
        # What the chart marks as "an alert went out here"; Message readers ignore the key.
        return {**payload, ALERT_KEY: {"kind": event.kind, "level": event.level}}

    def render_digest(self, facts: DigestFacts) -> Payload:
        if facts.read is None:
            return to_payload(no_data_digest(facts.label, facts.reason, private=facts.private))
        return to_payload(
            digest_message(
                facts.label,
                facts.venue,
                facts.read,
                facts.share,
                private=facts.private,
                closest=facts.closest,
                timezone=facts.timezone,
                level=facts.level,
            )
        )

    def render_destination_gone(self, label: str, platform: str, reason: str) -> Payload:
        return to_payload(
            message(
                label,
                "watch",
                lines=(
                    fill(
                        texts.ALERT_SUBSCRIPTION_DISABLED,
                        label=label,
                        where=_where(platform),
                        reason=reason,
                    ),
                ),
                private=True,
            )
        )

    def render_undelivered(self, label: str, platform: str, count: int, max_age: float) -> Payload:
        line = texts.ALERTS_UNDELIVERED.format(
            count=count, label=label, where=_where(platform), hours=f"{max_age / 3600:g}"
        )
        return to_payload(message(label, "watch", lines=(line,), private=True))

    def render_refused(self, label: str, platform: str, refused: Payload) -> Payload:
        alert = refused.get(ALERT_KEY)
        level = alert.get("level") if isinstance(alert, dict) else None
        if level in texts.ALERT_LEVEL_NAMES:
            title = fill(texts.ALERT_REFUSED_TITLE, label=label)
            line = fill(
                texts.ALERT_REFUSED,
                label=label,
                level=texts.ALERT_LEVEL_NAMES[level],
                where=_where(platform),
            )
        else:
            title = fill(texts.MESSAGE_REFUSED_TITLE, label=label)
            line = fill(texts.MESSAGE_REFUSED, label=label, where=_where(platform))
        # As loud as the alert it stands for: a critical one lost must still ring.
        severity: Severity = "watch"
        if level == "critical" or level == "margin_call":
            severity = level
        return to_payload(message(title, severity, lines=(line,), private=True))

    def deliverable(self, payloads: Sequence[Payload]) -> Message:
        return coalesce([from_payload(payload) for payload in payloads])


def _where(platform: str) -> str:
    """ "a Telegram chat": where a notice says something happened."""
    return fill(texts.GONE_WHERE, platform=texts.PLATFORM_NAMES.get(platform, platform))


def digest_message(
    label: str,
    venue: str,
    last: LastRead,
    share: str,
    *,
    private: bool,
    closest: ClosestApproach | None = None,
    timezone: str = "UTC",
    level: str | None = None,
) -> Message:
    """The liquidation-price summary (core's positions view), no more than ``share`` allows:
    with the pool nearest liquidation when it is not the account's own, and the closest the
    account came since the previous digest (``closest``, from its history; times in
    ``timezone``). ``level`` is the alert level by the subscriber's thresholds: the headline
    and colour follow it where it is worse than the venue's state."""
    info = SUPPORTED_VENUES.get(venue)
    view = views.AccountView(0, label, venue, info.label if info is not None else venue)
    health = last.health
    title = fill(texts.DIGEST_MESSAGE_TITLE, label=label)
    lines = [views.headline(health, level)]
    if share in ("ratio", "positions"):
        name = views.ratio_name(health)
        lines.append(
            fill(texts.ALERT_RATIO, ratio_name=name, ratio=fmt.ratio(health.ratio.value, venue))
        )
        lines.append(views.account_move_line(health))
        # Every pool the venue judges on its own; isolated ones name a position, so only where
        # positions are shared; coin pools are listed in full there.
        positions = share == "positions"
        nearest = views.nearest_line(health, venue, symbols=positions)
        if nearest:
            lines.append(nearest)
        lines.extend(views.pool_lines(health, venue, symbols=positions, coins=not positions))
        if closest is not None:
            lines.append(_closest_line(closest, timezone, symbols=positions))
    if share == "positions":
        marks = {p.symbol: (p.size, p.mark_price) for p in last.snapshot.positions}
        lines.extend(views.position_lines(view, health, marks) or [texts.STATUS_NO_POSITIONS])
        lines.extend(views.coin_pool_lines(view, health))
    if health.approximate:
        lines.append(fill(texts.STATUS_APPROXIMATE, venue=view.venue_label))
    return message(
        title,
        views.severity_of(health, level),
        lines=lines,
        private=private,
        footer=fill(texts.STATUS_AS_OF, time=fmt.utc_time(last.at)),
    )


def _closest_line(closest: ClosestApproach, timezone: str, *, symbols: bool) -> str:
    """The history's line: "Closest to liquidation since 2026-11-24 08:00: 3.10% (isolated
    ETH/USDC:USDC long), at 2026-11-24 14:05 (Europe/Berlin)."."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        timezone, zone = "UTC", ZoneInfo("UTC")

    def when(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M")

    pool = ""
    if closest.kind:
        name = views.pool_name(closest.kind, closest.name, closest.side)
        if closest.kind == "isolated" and not symbols:
            name = texts.POOL_NAME_HIDDEN
        pool = fill(texts.DIGEST_CLOSEST_POOL, pool=name)
    return fill(
        texts.DIGEST_CLOSEST_SINCE,
        since=when(closest.since),
        closest=fmt.percent(abs(closest.move)),
        pool=pool,
        at=when(closest.at),
        timezone=timezone,
    )


def no_data_digest(label: str, reason: str | None, *, private: bool = False) -> Message:
    """The digest of an account that could not be read lately (``reason``: its last error)."""
    return message(
        fill(texts.DIGEST_MESSAGE_TITLE, label=label),
        "watch",
        lines=(fill(texts.DIGEST_NO_DATA, label=label, reason=reason or texts.NO_READ_YET),),
        private=private,
    )
