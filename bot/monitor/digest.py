"""Digests: a liquidation-price summary per subscription at its chosen local time, or on demand.

Schedules are wall-clock times in the subscription's IANA time zone (zoneinfo), so "08:00
Europe/Berlin" stays 08:00 across daylight-saving changes. A digest is queued in the outbox in
the same transaction that records it as sent, with an idempotency key naming its slot, so a
restart neither skips nor repeats it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import format as fmt
from bot.core import texts, views
from bot.core.messages import Message, message, to_payload
from bot.exchanges import SUPPORTED_VENUES
from bot.monitor.clock import Clock
from bot.monitor.poller import LastRead, Poller
from bot.store import PRIORITY_ROUTINE, NewMessage, Store, Subscription, Tx

# A never-sent digest whose slot passed longer ago than this waits for the next slot, so that
# setting "daily 08:00" at 15:00 does not send one at once.
FIRST_DIGEST_GRACE = 3600.0
# A slot whose account has no fresh read yet waits this long for one before saying "no data".
WAIT_FOR_DATA = 600.0
NO_READ_YET = "no successful read yet"  # belongs in bot.core.texts


def last_slot(
    schedule: str, at: str, weekday: int | None, timezone: str, now: float
) -> float | None:
    """The latest scheduled time at or before ``now`` (epoch seconds), or None when off."""
    if schedule not in ("daily", "weekly"):
        return None
    zone = ZoneInfo(timezone)
    hour, minute = (int(part) for part in at.split(":"))
    local_now = datetime.fromtimestamp(now, zone)
    slot = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if schedule == "daily":
        if slot > local_now:
            slot -= timedelta(days=1)
    else:
        slot -= timedelta(days=(local_now.weekday() - (weekday or 0)) % 7)
        if slot > local_now:
            slot -= timedelta(days=7)
    # Aware datetime arithmetic in zoneinfo is wall-clock: the offset is recomputed here.
    return datetime(slot.year, slot.month, slot.day, hour, minute, tzinfo=zone).timestamp()


def due_slot(subscription: Subscription, now: float) -> float | None:
    """The slot a digest is owed for now, or None."""
    slot = last_slot(
        str(subscription.digest),
        subscription.digest_time,
        subscription.digest_weekday,
        subscription.timezone,
        now,
    )
    if slot is None:
        return None
    if subscription.last_digest_at is None:
        return slot if now - slot <= FIRST_DIGEST_GRACE else None
    return slot if subscription.last_digest_at < slot else None


class DigestSender:
    """Queues the digests that are due, from the poller's latest reads."""

    def __init__(self, store: Store, poller: Poller, clock: Clock) -> None:
        self._store = store
        self._poller = poller
        self._clock = clock

    async def send_due(self) -> int:
        """Queue every due digest; returns how many were queued."""
        now = self._clock.now()
        queued = 0
        for subscription in await self._store.digest_subscriptions():
            slot = due_slot(subscription, now)
            if slot is None or (
                not subscription.destination.is_dm and subscription.share == "none"
            ):
                continue
            account = await self._store.get_account(subscription.account_id)
            if account is None:
                continue
            last = self._poller.last_reads.get(account.id)
            if last is not None and last.at >= slot - WAIT_FOR_DATA:
                msg = _digest(account.label, account.venue, last, subscription)
            elif now - slot < WAIT_FOR_DATA:
                continue  # the re-check after start-up will bring fresh figures in a moment
            else:
                msg = no_data_digest(account.label, account.last_error)
            await self._queue(subscription, slot, msg, now)
            queued += 1
        return queued

    def on_demand(self, subscription: Subscription, label: str, venue: str) -> Message | None:
        """The digest as it would be sent now, from the latest read (None before any read)."""
        last: LastRead | None = self._poller.last_reads.get(subscription.account_id)
        if last is None:
            return None
        return _digest(label, venue, last, subscription)

    async def _queue(
        self, subscription: Subscription, slot: float, msg: Message, now: float
    ) -> None:
        row = NewMessage(
            idempotency_key=f"digest:sub{subscription.id}:{int(slot)}",
            destination=subscription.destination,
            payload=to_payload(msg),
            priority=PRIORITY_ROUTINE,
            subscription_id=subscription.id,
        )

        def work(tx: Tx) -> None:
            tx.outbox.enqueue(row, now=now)
            tx.subscriptions.mark_digest_sent(subscription.id, slot)

        await self._store.run(work)


def digest_message(label: str, venue: str, last: LastRead, share: str, *, private: bool) -> Message:
    """The liquidation-price summary (core's positions view), no more than ``share`` allows."""
    info = SUPPORTED_VENUES.get(venue)
    view = views.AccountView(0, label, venue, info.label if info is not None else venue)
    health = last.health
    title = texts.DIGEST_MESSAGE_TITLE.format(label=label)
    lines = [texts.STATUS_STATE.get(health.state, health.state)]
    if share in ("ratio", "positions"):
        name = views.ratio_name(health)
        lines.append(
            texts.ALERT_RATIO.format(ratio_name=name, ratio=fmt.ratio(health.ratio.value, venue))
        )
        lines.append(views.account_move_line(health))
    if share == "positions":
        marks = {p.symbol: (p.size, p.mark_price) for p in last.snapshot.positions}
        lines.extend(views.position_lines(view, health, marks) or [texts.STATUS_NO_POSITIONS])
    if health.approximate:
        lines.append(texts.STATUS_APPROXIMATE.format(venue=view.venue_label))
    return message(
        title,
        views.severity_of(health),
        lines=lines,
        private=private,
        footer=texts.STATUS_AS_OF.format(time=fmt.utc_time(last.at)),
    )


def no_data_digest(label: str, reason: str | None) -> Message:
    """The digest of an account that could not be read lately."""
    return message(
        texts.DIGEST_MESSAGE_TITLE.format(label=label),
        "watch",
        lines=(texts.DIGEST_NO_DATA.format(label=label, reason=reason or NO_READ_YET),),
    )


def _digest(label: str, venue: str, last: LastRead, subscription: Subscription) -> Message:
    dm = subscription.destination.is_dm
    share = "positions" if dm else str(subscription.share)
    return digest_message(label, venue, last, share, private=dm)
