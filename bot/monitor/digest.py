"""Digests: a liquidation-price summary per subscription at its chosen local time, or on demand.

Schedules are wall-clock times in the subscription's IANA time zone (zoneinfo), so "08:00
Europe/Berlin" stays 08:00 across daylight-saving changes. A digest is queued in the outbox in
the same transaction that records it as sent, with an idempotency key naming its slot, so a
restart neither skips nor repeats it. The words are the injected presenter's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.monitor.clock import Clock
from bot.monitor.history import closest_approach
from bot.monitor.policy import AlertRules, judge_level
from bot.monitor.poller import Poller
from bot.monitor.presenter import ClosestApproach, DigestFacts, LastRead, Payload, Presenter
from bot.store import PRIORITY_ROUTINE, NewMessage, Store, Subscription, Tx

# A never-sent digest whose slot passed longer ago than this waits for the next slot, so that
# setting "daily 08:00" at 15:00 does not send one at once.
FIRST_DIGEST_GRACE = 3600.0
# A slot whose account has no fresh read yet waits this long for one before saying "no data".
WAIT_FOR_DATA = 600.0
DAY, WEEK = 86400.0, 7 * 86400.0


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

    def __init__(self, store: Store, poller: Poller, clock: Clock, presenter: Presenter) -> None:
        self._store = store
        self._poller = poller
        self._clock = clock
        self._presenter = presenter

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
                closest = await self._closest_since(subscription, slot)
                facts = digest_facts(
                    subscription, account.label, account.venue, last, closest=closest
                )
            elif now - slot < WAIT_FOR_DATA:
                continue  # the re-check after start-up will bring fresh figures in a moment
            else:
                facts = digest_facts(
                    subscription, account.label, account.venue, None, reason=account.last_error
                )
            await self._queue(subscription, slot, self._presenter.render_digest(facts), now)
            queued += 1
        return queued

    async def _closest_since(
        self, subscription: Subscription, slot: float
    ) -> ClosestApproach | None:
        """The closest the account came to liquidation since the previous digest (a day or a
        week before this slot when none was sent), from its health history."""
        period = WEEK if subscription.digest == "weekly" else DAY
        since = subscription.last_digest_at or slot - period
        points = await self._store.read(
            lambda tx: tx.history.series(subscription.account_id, since=since)
        )
        return closest_approach(points, since)

    def on_demand(self, subscription: Subscription, label: str, venue: str) -> Payload | None:
        """The digest as it would be sent now, from the latest read (None before any read)."""
        last: LastRead | None = self._poller.last_reads.get(subscription.account_id)
        if last is None:
            return None
        return self._presenter.render_digest(digest_facts(subscription, label, venue, last))

    async def _queue(
        self, subscription: Subscription, slot: float, payload: Payload, now: float
    ) -> None:
        row = NewMessage(
            idempotency_key=f"digest:sub{subscription.id}:{int(slot)}",
            destination=subscription.destination,
            payload=payload,
            priority=PRIORITY_ROUTINE,
            subscription_id=subscription.id,
        )

        def work(tx: Tx) -> None:
            tx.outbox.enqueue(row, now=now)
            tx.subscriptions.mark_digest_sent(subscription.id, slot)

        await self._store.run(work)


def digest_facts(
    subscription: Subscription,
    label: str,
    venue: str,
    read: LastRead | None,
    *,
    reason: str | None = None,
    closest: ClosestApproach | None = None,
) -> DigestFacts:
    """What a digest for ``subscription`` may show: everything in a private chat, else its share."""
    private = subscription.destination.is_dm
    share = "positions" if private else str(subscription.share)
    level = None
    if read is not None:
        level = judge_level(read.health, AlertRules(thresholds=subscription.thresholds))
    return DigestFacts(
        label,
        venue,
        share,
        private,
        read,
        reason,
        closest=closest,
        timezone=subscription.timezone,
        level=level,
    )
