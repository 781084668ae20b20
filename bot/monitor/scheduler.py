"""The monitor service: one APScheduler tick in the running loop drives polls, delivery and digests.

One periodic job (coalesced, one instance at a time) rather than a job per account: the tick
asks the due-account queue what to poll, delivers the outbox and sends due digests. Polls run as
tasks, so a slow exchange never delays the tick, another exchange or delivery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.monitor.clock import Clock, SystemClock
from bot.monitor.digest import DigestSender
from bot.monitor.due import POLLS_IN_FLIGHT_PER_VENUE, DueQueue, PollIntervals
from bot.monitor.outbox import DeliveryReport, OutboxDispatcher, expire_and_tell_owners
from bot.monitor.policy import LEVELS, AlertRules
from bot.monitor.poller import Poller, PollResult
from bot.monitor.presenter import Presenter
from bot.monitor.source import SnapshotSource
from bot.monitor.transport import Transports

# bot.ops.metrics is a leaf (stdlib and prometheus-client only): recording from here adds no
# dependency on the rest of the service.
from bot.ops import metrics
from bot.store import Account, Store, Tx
from bot.store.outbox import DEFAULT_MAX_AGE_SECONDS

log = logging.getLogger(__name__)

TICK_JOB_ID = "marginwatch-monitor-tick"
HOUSEKEEPING_EVERY = 3600.0
HISTORY_RETENTION = 30 * 86400.0
OUTBOX_RETENTION = 7 * 86400.0
# Accounts per state are counted (one GROUP BY) at most this often, in real seconds: the gauge
# changes slowly, and an accelerated clock must not turn it into a query per tick.
ACCOUNTS_SAMPLE_EVERY = 5.0
# Outbox rows older than this that their chat never accepted are dropped (their owners told).
OUTBOX_MAX_AGE = DEFAULT_MAX_AGE_SECONDS
EXPIRE_OUTBOX_EVERY = 60.0
# How long stop() lets polls and deliveries in flight finish before it cancels them: a cut-off
# poll committed nothing (the next start re-checks every account) and a cut-off delivery stays
# in the outbox. The service's whole shutdown must fit systemd's TimeoutStopSec.
STOP_GRACE_SECONDS = 3.0


class Monitor:
    """Polls every active account on time, judges it, queues alerts and delivers them.

    Build it with the store, a snapshot source, the transports and the presenter that words its
    alerts and digests (``bot.core.presenter.CorePresenter``); ``await start()`` inside the
    running loop; ``await stop()`` on shutdown.
    """

    def __init__(
        self,
        store: Store,
        source: SnapshotSource,
        transports: Transports,
        *,
        presenter: Presenter,
        clock: Clock | None = None,
        rules: AlertRules | None = None,
        intervals: PollIntervals | None = None,
        tick_seconds: float = 1.0,
        per_venue: int = POLLS_IN_FLIGHT_PER_VENUE,
        outbox_max_age: float = OUTBOX_MAX_AGE,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.transports = transports
        self.tick_seconds = tick_seconds
        self.presenter = presenter
        self.poller = Poller(
            store, source, self.clock, presenter=presenter, rules=rules, intervals=intervals
        )
        self.queue = DueQueue(
            store, self._poll, self.clock, per_venue=per_venue, urgent=lambda: self.poller.urgent
        )
        self.outbox = OutboxDispatcher(store, transports, self.clock, presenter)
        self.digests = DigestSender(store, self.poller, self.clock, presenter)
        self._delivering = asyncio.Lock()
        self._ticking = asyncio.Lock()
        self._next_housekeeping = 0.0
        self._next_expiry = 0.0
        self.outbox_max_age = outbox_max_age
        self._scheduler: AsyncIOScheduler | None = None
        self._kicker: asyncio.Task[None] | None = None
        self._delivery_wanted = False
        self._accounts_sampled_at: float | None = None
        self._housekeeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Re-check every account now, free stale outbox claims, and start ticking."""
        await self.recheck_all()
        # Nothing else is sending yet: claims left by a crashed run are void.
        await self.store.release_outbox_claims()
        await self.sample_accounts()
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id=TICK_JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(self.tick_seconds * 5)),
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop ticking; let polls and deliveries in flight finish for up to ``grace`` seconds.

        What is still running then is cancelled: a poll that had not committed left no trace
        (the next start re-checks every account), a delivery cut off stays in the outbox (its
        lease is released at the next start). A send cut off after the platform took it is the
        one case that repeats on Telegram; the grace exists to make that rare.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace

        def left() -> float:
            return max(0.0, deadline - loop.time())

        if self._scheduler is not None:
            self._scheduler.pause()
            try:  # let the running tick end, within the grace
                await asyncio.wait_for(self._ticking.acquire(), left())
                self._ticking.release()
            except TimeoutError:
                log.warning("shutdown: a monitor tick was still running; it was cut short")
            # Cancels a tick still running (APScheduler cancels coroutine jobs on shutdown).
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            await asyncio.sleep(0)  # the shutdown is deferred to the next loop turn
        cut = await self.queue.drain(timeout=left())
        if cut:
            log.warning("shutdown: %d poll(s) in flight were cut short (re-checked at start)", cut)
        for task in (self._kicker, self._housekeeper):
            if task is not None and not await _finish_or_cancel(task, left()):
                log.warning("shutdown: a delivery or housekeeping round was cut short")
        try:
            await asyncio.wait_for(self._delivering.acquire(), left())
            self._delivering.release()
        except TimeoutError:
            log.warning("shutdown: a delivery round was still running")

    async def recheck_all(self) -> int:
        """Make every active account due now (start-up: judge fresh figures before anything).

        Accounts last judged at margin call or worse are read first, on their own poll slots
        and out of the venues' reserve, as they were before the restart: under a venue's limits
        the whole re-check takes minutes (2,000 Binance USDⓈ-M accounts on one IP: about 12),
        and an account near liquidation must not wait its turn behind the calm ones.
        """
        now = self.clock.now()
        accounts = await self.store.all_accounts("active")
        urgent_levels = [level for level in LEVELS if PollIntervals.urgent(level)]

        def work(tx: Tx) -> set[int]:
            for account in accounts:
                tx.accounts.schedule(account.id, now)
            return tx.alerts.accounts_at(urgent_levels)

        self.poller.urgent |= await self.store.run(work)
        return len(accounts)

    async def tick(self) -> None:
        """One beat: launch due polls, deliver what is queued, send due digests, tidy up."""
        async with self._ticking:
            try:
                await self.queue.launch_due()
                await self.deliver()
                if await self.digests.send_due():
                    await self.deliver()
                self._start_housekeeping()
                await self.expire_outbox()
                await self.sample_accounts(at_most_every=ACCOUNTS_SAMPLE_EVERY)
            except Exception:
                # A failing tick must not kill the job; the next tick tries again.
                log.exception("monitor tick failed")

    def _start_housekeeping(self) -> None:
        # A task, not awaited: the prune yields the database thread between its chunks, and
        # the tick must not wait for it either, or polls due meanwhile would launch late.
        if self.clock.now() < self._next_housekeeping:
            return
        if self._housekeeper is None or self._housekeeper.done():
            self._housekeeper = asyncio.create_task(self._housekeeping_logged())

    async def _housekeeping_logged(self) -> None:
        try:
            await self.housekeeping()
        except Exception:
            log.exception("housekeeping failed; it runs again in an hour")

    async def housekeeping(self) -> None:
        """At most hourly: bound the health history and forget old delivered outbox rows."""
        now = self.clock.now()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUSEKEEPING_EVERY
        await self.store.prune_history(now=now, retention_seconds=HISTORY_RETENTION)
        # Delivered keys are kept a week: long past any redelivery of the same alert.
        await self.store.prune_outbox(older_than=now - OUTBOX_RETENTION)

    async def expire_outbox(self) -> int:
        """At most every minute: drop outbox rows their chat never accepted within the age limit.

        Each is counted (``outbox_expired_total``) and logged, and the owner of a shared
        channel's alerts is told in their private chat. Returns how many rows were dropped.
        """
        now = self.clock.now()
        if now < self._next_expiry:
            return 0
        self._next_expiry = now + EXPIRE_OUTBOX_EVERY
        max_age, presenter = self.outbox_max_age, self.presenter
        expired = await self.store.run(
            lambda tx: expire_and_tell_owners(tx, presenter, now=now, max_age=max_age)
        )
        if expired:
            metrics.record_outbox_expired(len(expired))
            log.warning(
                "dropped %d outbox message(s) older than %.0fs that their chat never accepted "
                "(last error: %s)",
                len(expired),
                max_age,
                expired[-1].last_error or "none",
            )
            self._kick_delivery()  # the owners' notices
        return len(expired)

    async def sample_accounts(self, *, at_most_every: float = 0.0) -> None:
        """Set the ``accounts{state}`` gauge from the store, unless sampled in the last moments."""
        now = time.monotonic()
        last = self._accounts_sampled_at
        if last is not None and now - last < at_most_every:
            return
        self._accounts_sampled_at = now
        metrics.set_accounts(await self.store.account_counts())

    async def deliver(self) -> DeliveryReport:
        """Deliver the due outbox rows (one delivery round at a time)."""
        async with self._delivering:
            return await self.outbox.deliver_due()

    async def run_until_idle(self, rounds: int = 20) -> None:
        """Tick, wait for polls, deliver, until nothing is due (tests and the demo's one-shot)."""
        for _ in range(rounds):
            started = await self.queue.launch_due()
            await self.queue.drain()
            await self._kicked_delivery_done()
            report = await self.deliver()
            digests = await self.digests.send_due()
            if not (started or digests or report.delivered or report.retried):
                break
        await self.sample_accounts()

    async def _poll(self, account: Account) -> PollResult | None:
        result = await self.poller.poll(account)
        if result is not None and result.queued:
            self._kick_delivery()
        return result

    def _kick_delivery(self) -> None:
        # Alerts go out now rather than at the next tick: a margin call should not wait. One
        # delivery task serves every poll that queued something meanwhile.
        self._delivery_wanted = True
        if self._kicker is None or self._kicker.done():
            self._kicker = asyncio.create_task(self._deliver_while_wanted())

    async def _deliver_while_wanted(self) -> None:
        while self._delivery_wanted:
            self._delivery_wanted = False
            try:
                await self.deliver()
            except Exception:
                log.exception("alert delivery failed; the next tick retries")

    async def _kicked_delivery_done(self) -> None:
        if self._kicker is not None:
            await self._kicker


async def _finish_or_cancel(task: asyncio.Task[None], timeout: float) -> bool:
    """Wait up to ``timeout`` for ``task``; cancel it after that. Whether it finished."""
    if task.done():
        return True
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if done:
        return True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False
