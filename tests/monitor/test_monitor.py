"""The monitor end to end on a real SQLite file and the real APScheduler: poll, judge, send."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from pathlib import Path

import pytest

from bot.core.presenter import CorePresenter
from bot.exchanges.errors import ExchangeReadError
from bot.monitor.clock import ManualClock
from bot.monitor.due import PollIntervals
from bot.monitor.scheduler import Monitor
from bot.monitor.transport import Transports
from bot.store import Destination, Store, Vault

from .world import RecordingChat, ScriptedExchange, TickCount, binance_snapshot, link, wait_for


def monitor_for(
    store: Store, exchange: ScriptedExchange, chat: RecordingChat, clock: ManualClock, **kw: object
) -> Monitor:
    transports = Transports()
    transports.register("console", chat)
    return Monitor(  # type: ignore[arg-type]
        store,
        exchange,
        transports,
        presenter=CorePresenter(),
        clock=clock,
        tick_seconds=0.02,
        **kw,
    )


async def test_margin_call_reaches_the_owner_once_through_the_real_scheduler(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85))
    monitor = monitor_for(store, exchange, chat, clock)
    ticks = TickCount(monitor)
    await monitor.start()
    try:
        await wait_for(lambda: len(chat.sent) >= 1)
        await ticks.wait_for(ticks.done + 10)  # ten more beats: nothing is due, nothing resent
    finally:
        await monitor.stop()  # and whatever those beats started has finished
    assert chat.titles == ["main: MARGIN CALL"]
    assert exchange.reads == [account.id]
    assert await store.outbox_depth() == 0


async def test_calm_account_is_polled_on_time_and_stays_silent(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.3))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    first = clock.now()
    (planned,) = await store.all_accounts()
    # The first read of a run is followed within one interval, at a random share of it, so a
    # restart's re-check of every account does not leave the schedule bunched.
    assert first + 0.2 * 60 <= planned.next_poll_at <= first + 60
    clock.advance(planned.next_poll_at - first - 0.5)
    await monitor.run_until_idle()
    assert exchange.reads == [account.id]  # not due yet
    clock.advance(0.5)
    await monitor.run_until_idle()
    assert exchange.reads == [account.id, account.id]
    # From then on one interval after the read was due (never later), less a little jitter.
    (again,) = await store.all_accounts()
    assert planned.next_poll_at + 54 <= again.next_poll_at <= planned.next_poll_at + 60
    assert chat.sent == []
    assert len(await store.health_series(account.id)) == 2


async def test_the_next_read_is_planned_from_the_due_time_not_from_the_end_of_the_poll(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.3))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    (planned,) = await store.all_accounts()
    assert planned.next_poll_at is not None
    clock.advance(planned.next_poll_at - clock.now() + 7)  # the poll starts 7 s late
    await monitor.run_until_idle()
    (again,) = await store.all_accounts()
    assert planned.next_poll_at + 54 <= again.next_poll_at <= planned.next_poll_at + 60


async def test_a_restart_spreads_a_bunched_schedule_over_one_interval(store: Store) -> None:
    clock = ManualClock()
    exchange, chat = ScriptedExchange(), RecordingChat()
    accounts = []
    for index in range(60):
        account, _ = await link(store, clock.now(), label=f"a{index}", chat=str(index))
        exchange.set(account, binance_snapshot(0.3))
        accounts.append(account)
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.recheck_all()  # start-up: every account due at once
    await monitor.run_until_idle()
    now = clock.now()
    offsets = sorted((a.next_poll_at or 0) - now for a in await store.all_accounts())
    assert offsets[0] >= 12 and offsets[-1] <= 60
    # Spread over the interval, not bunched: every sixth of the spread holds some reads.
    spread = offsets[-1] - offsets[0]
    assert spread > 30
    sixths = {int((o - 12) // 8) for o in offsets}
    assert sixths >= {0, 1, 2, 3, 4, 5}


async def test_accounts_near_a_threshold_are_polled_more_often(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    calm, _ = await link(store, clock.now(), label="calm", chat="1")
    drifting, _ = await link(store, clock.now(), label="drifting", chat="2")
    danger, _ = await link(store, clock.now(), label="danger", chat="3")
    exchange.set(calm, binance_snapshot(0.3))
    exchange.set(drifting, binance_snapshot(0.7))
    exchange.set(danger, binance_snapshot(0.95))
    intervals = PollIntervals(calm=60, watch=30, danger=10)
    monitor = monitor_for(store, exchange, chat, clock, intervals=intervals)
    await monitor.run_until_idle()
    # Each is read again within its own interval: the first gap of a run is a random share of it.
    now = clock.now()
    planned = {a.label: (a.next_poll_at or 0) - now for a in await store.all_accounts()}
    assert 12 <= planned["calm"] <= 60
    assert 6 <= planned["drifting"] <= 30
    assert 2 <= planned["danger"] <= 10
    for label, interval in (("danger", 10), ("drifting", 30), ("calm", 60)):
        (account,) = [a for a in await store.all_accounts() if a.label == label]
        clock.advance(max(0.0, (account.next_poll_at or 0) - clock.now()))
        await monitor.run_until_idle()
        (after,) = [a for a in await store.all_accounts() if a.label == label]
        gap = (after.next_poll_at or 0) - (account.next_poll_at or 0)
        assert 0.9 * interval <= gap <= interval, label


async def test_one_account_is_never_polled_twice_at_once(store: Store, clock: ManualClock) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.3))
    exchange.gate = asyncio.Event()  # the exchange hangs
    monitor = monitor_for(store, exchange, chat, clock)
    assert await monitor.queue.launch_due() == 1
    await wait_for(lambda: exchange.reads == [account.id])  # the read started, and hangs
    for _ in range(4):  # ticks keep finding the account due while its read hangs
        clock.advance(120)
        assert await monitor.queue.launch_due() == 0
    assert exchange.reads == [account.id]
    assert monitor.queue.in_flight == {account.id}
    exchange.gate.set()
    await monitor.queue.drain()
    assert monitor.queue.in_flight == frozenset()


async def test_reads_are_bounded_per_exchange_not_across_exchanges(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    for n in range(6):
        binance, _ = await link(store, clock.now(), label=f"b{n}", chat=f"b{n}")
        exchange.set(binance, binance_snapshot(0.3))
    for n in range(3):
        bybit, _ = await link(store, clock.now(), label=f"y{n}", venue="bybit", chat=f"y{n}")
        exchange.set(bybit, binance_snapshot(0.3))
    exchange.gate = asyncio.Event()
    monitor = monitor_for(store, exchange, chat, clock, per_venue=2)
    assert await monitor.queue.launch_due() == 9
    # Two reads per exchange start and hang; the peak below shows no third ever started.
    await wait_for(lambda: exchange.active == {"binanceusdm": 2, "bybit": 2})
    exchange.gate.set()
    await monitor.queue.drain()
    assert exchange.most_active == {"binanceusdm": 2, "bybit": 2}
    assert len(exchange.reads) == 9


async def test_rate_limited_reads_back_off_and_honour_retry_after(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, ExchangeReadError("rate_limited", retry_after=90.0))
    intervals = PollIntervals(danger=10, failure_cap=600)
    monitor = monitor_for(store, exchange, chat, clock, intervals=intervals)
    await monitor.run_until_idle()
    stored = await store.get_account(account.id)
    assert stored is not None and stored.next_poll_at == clock.now() + 90  # asked: 90 > 10
    exchange.set(account, ExchangeReadError("exchange_down"))
    for expected in (20, 40, 80):  # doubling from the second failure on
        clock.advance(600)
        await monitor.run_until_idle()
        stored = await store.get_account(account.id)
        assert stored is not None and stored.next_poll_at == clock.now() + expected
    # Four failures in a row: the owner heard that the exchange is down, once.
    assert chat.titles == ["main: binanceusdm is not answering"]


async def test_revoked_key_is_told_once_and_polling_stops_until_relinked(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, ExchangeReadError("auth_failed"))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    clock.advance(3600)
    await monitor.run_until_idle()
    assert chat.titles == ["main: key invalid or revoked"]
    assert exchange.reads == [account.id]
    stored = await store.get_account(account.id)
    assert stored is not None and stored.status == "key_invalid"


async def test_position_vanished_between_two_polls_is_told(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85, symbols=("BTC/USDT:USDT", "ETH/USDT:USDT")))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    exchange.set(account, binance_snapshot(0.85, symbols=("ETH/USDT:USDT",)))
    clock.advance(10)
    await monitor.run_until_idle()
    assert chat.titles[0] == "main: MARGIN CALL"
    assert chat.titles[1] == "main: BTC/USDT:USDT is gone"


async def test_restart_rechecks_at_once_and_repeats_nothing(
    db_path: Path, vault: Vault, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    store = await Store.open(db_path, vault)
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85))
    await monitor_for(store, exchange, chat, clock).run_until_idle()
    await store.close()
    assert chat.titles == ["main: MARGIN CALL"]

    clock.advance(5)  # the process restarts well before the account's next poll
    store = await Store.open(db_path, vault)
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.start()
    try:
        await wait_for(lambda: len(exchange.reads) == 2)
        await monitor.queue.drain()
        await monitor.deliver()
    finally:
        await monitor.stop()
        await store.close()
    assert chat.titles == ["main: MARGIN CALL"]


async def test_after_a_restart_the_account_at_margin_call_is_read_before_the_calm_ones(
    db_path: Path, vault: Vault, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    store = await Store.open(db_path, vault)
    calm = []
    for index in range(5):
        account, _ = await link(store, clock.now(), label=f"calm{index}", chat=str(index))
        exchange.set(account, binance_snapshot(0.3))
        calm.append(account)
    danger, _ = await link(store, clock.now(), label="danger", chat="danger")
    exchange.set(danger, binance_snapshot(0.85))
    await monitor_for(store, exchange, chat, clock).run_until_idle()
    await store.close()

    # The new process knows nothing in memory: what it knows of the danger is the stored state.
    exchange.reads.clear()
    store = await Store.open(db_path, vault)
    monitor = monitor_for(store, exchange, chat, clock, per_venue=1)
    try:
        await monitor.recheck_all()
        assert monitor.poller.urgent == {danger.id}
        await monitor.queue.launch_due()
        await monitor.queue.drain()
    finally:
        await store.close()
    assert exchange.reads[0] == danger.id  # linked last, due with the rest, read first
    assert sorted(exchange.reads[1:]) == sorted(a.id for a in calm)


async def test_channel_subscription_sees_only_what_is_shared(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now(), chat="dm")
    from bot.store import Destination

    await store.add_subscription(
        account.id, Destination("console", "channel", is_dm=False), now=clock.now(), share="state"
    )
    exchange.set(account, binance_snapshot(0.85))
    await monitor_for(store, exchange, chat, clock).run_until_idle()
    by_chat = {dest.chat_id: message for dest, message in chat.sent}
    assert set(by_chat) == {"dm", "channel"}
    assert "%" in by_chat["dm"].text
    assert "%" not in by_chat["channel"].text


async def test_snoozed_subscription_hears_critical_but_not_margin_call(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    await store.snooze(subscription.id, clock.now() + 4 * 3600)
    exchange.set(account, binance_snapshot(0.85))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    assert chat.sent == []
    exchange.set(account, binance_snapshot(0.95))
    clock.advance(10)
    await monitor.run_until_idle()
    assert chat.titles == ["main: CRITICAL — close to liquidation"]


async def test_owner_thresholds_from_the_store_drive_the_level(
    store: Store, clock: ManualClock
) -> None:
    from bot.store import Thresholds

    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    # The owner wants to hear from a 50 % margin ratio on, before the venue's 60 % warning.
    await store.set_thresholds(subscription.id, Thresholds(watch_ratio=0.5))
    exchange.set(account, binance_snapshot(0.55))
    await monitor_for(store, exchange, chat, clock).run_until_idle()
    assert chat.titles == ["main: watch"]
    state = await store.alert_state(subscription.id)
    assert state.level == "watch"


async def test_shutdown_waits_for_the_tick_and_polls_in_flight(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85))
    exchange.gate = asyncio.Event()
    monitor = monitor_for(store, exchange, chat, clock)
    draining = asyncio.Event()
    drain = monitor.queue.drain

    async def signalled_drain(timeout: float | None = None) -> int:
        draining.set()
        return await drain(timeout=timeout)

    monitor.queue.drain = signalled_drain  # type: ignore[method-assign]
    await monitor.start()
    await wait_for(lambda: bool(exchange.reads))
    stopping = asyncio.create_task(monitor.stop())
    await asyncio.wait_for(draining.wait(), timeout=5)  # the tick is over, the scheduler gone
    assert not stopping.done()  # a read is in flight: its result must not be lost
    exchange.gate.set()
    await asyncio.wait_for(stopping, timeout=5)
    assert (await store.alert_state(subscription.id)).level == "margin_call"


async def test_accelerated_clock_runs_minutes_of_polling_in_a_moment(store: Store) -> None:
    from bot.monitor.clock import AcceleratedClock

    clock = AcceleratedClock(speed=600)  # the demo's fast-forward: 60 s polls every 0.1 s
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.3))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(
        store, exchange, transports, presenter=CorePresenter(), clock=clock, tick_seconds=0.02
    )
    await monitor.start()
    try:
        await wait_for(lambda: len(exchange.reads) >= 5)
    finally:
        await monitor.stop()
    history = await store.health_series(account.id)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(history)]
    # The first gap of a run is a random share of the minute; then one simulated minute apart,
    # planned from the due time (less the jitter): a read the 0.02 s tick (12 simulated s at
    # 600x) started late is followed as much sooner, so the reads never drift later.
    assert 12 - 15 <= gaps[0] <= 75
    assert gaps[1:] and all(54 - 15 <= gap <= 60 + 15 for gap in gaps[1:])
    assert sum(gaps[1:]) / len(gaps[1:]) <= 60 + 15 / len(gaps[1:])


class StretchingPace:
    """A venue whose limits allow a quarter of the reads asked (what the hub's Pace says)."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, bool]] = []

    def interval(self, base: float, *, urgent: bool) -> float:
        self.asked.append((base, urgent))
        return base if urgent else 4 * base


async def test_a_venues_limits_stretch_the_calm_cadence_but_never_the_danger_one(
    store: Store, clock: ManualClock
) -> None:
    exchange, chat = ScriptedExchange(), RecordingChat()
    calm, _ = await link(store, clock.now(), label="calm", chat="1")
    danger, _ = await link(store, clock.now(), label="danger", chat="2")
    pace = StretchingPace()
    exchange.set(calm, lambda: binance_snapshot(0.3))
    exchange.set(danger, lambda: binance_snapshot(0.95))
    original = exchange.read

    async def read_with_pace(account):  # type: ignore[no-untyped-def]
        read = await original(account)
        return dataclasses.replace(read, pace=pace)

    exchange.read = read_with_pace  # type: ignore[method-assign]
    intervals = PollIntervals(calm=60, watch=30, danger=10)
    await monitor_for(store, exchange, chat, clock, intervals=intervals).run_until_idle()
    now = clock.now()
    planned = {a.label: (a.next_poll_at or 0) - now for a in await store.all_accounts()}
    assert sorted(pace.asked) == [(10, True), (60, False)]
    assert 0.2 * 240 <= planned["calm"] <= 240  # four minutes, not one
    assert 2 <= planned["danger"] <= 10


async def test_a_deferred_read_is_rescheduled_and_is_no_failure(
    store: Store, clock: ManualClock
) -> None:
    from bot.exchanges.budget import ReadDeferred

    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, ReadDeferred(12.0, "the venue's limits are spent for now"))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    (after,) = await store.all_accounts()
    assert after.consecutive_failures == 0 and after.last_error is None
    assert clock.now() + 12 <= (after.next_poll_at or 0) <= clock.now() + 12 * 1.1
    assert chat.sent == []


def test_danger_is_never_slower_than_calm_whatever_the_poll_interval() -> None:
    for calm in (4.0, 10.0, 20.0, 29.0, 30.0, 60.0, 600.0):
        intervals = PollIntervals.from_calm(calm)
        assert intervals.danger <= intervals.watch <= intervals.calm, calm
    assert PollIntervals.from_calm(60.0).danger == 10.0
    assert PollIntervals.from_calm(600.0).danger == 100.0
    assert PollIntervals.from_calm(20.0).danger == 5.0
    assert PollIntervals.from_calm(4.0).danger == 2.0  # the 5 s floor gives way to watch
    with pytest.raises(ValueError, match="never slower closer to liquidation"):
        PollIntervals(calm=20.0, watch=10.0, danger=15.0)


async def test_shutdown_cuts_a_read_that_outlasts_the_grace_and_loses_nothing(
    store: Store, clock: ManualClock
) -> None:
    # SIGTERM must end in bounded time: a hung read is cancelled after the grace, and the poll
    # it belonged to (never committed) is simply judged again at the next start.
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85))
    exchange.gate = asyncio.Event()  # never opened
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.start()
    await wait_for(lambda: bool(exchange.reads))
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(monitor.stop(grace=0.3), timeout=5)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert (await store.alert_state(subscription.id)).level == "ok"  # nothing half-written
    exchange.gate.set()
    again = monitor_for(store, exchange, chat, clock)
    await again.start()
    try:
        await wait_for(lambda: len(chat.sent) >= 1)
    finally:
        await again.stop()
    assert chat.titles == ["main: MARGIN CALL"]


async def test_a_shared_alert_its_channel_never_accepts_is_dropped_and_the_owner_told(
    store: Store, clock: ManualClock
) -> None:
    from bot.ops.metrics import Metrics, installed

    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())  # the owner's private chat, 1001
    channel = await store.add_subscription(
        account.id, Destination("console", "-500", is_dm=False), now=clock.now(), share="state"
    )
    exchange.set(account, binance_snapshot(0.3))
    monitor = monitor_for(store, exchange, chat, clock, outbox_max_age=3600.0)
    # The channel answers errors only: its margin-call alert is retried, never accepted.
    refusing = RecordingChat(failures=[RuntimeError("500 from the chat")] * 100)
    monitor.transports.register("console", _Split(chat, refusing, refused_chat="-500"))
    with installed(Metrics()) as metrics:
        await monitor.run_until_idle()
        exchange.set(account, binance_snapshot(0.85))
        clock.advance(61)
        await monitor.run_until_idle()
        assert chat.titles == ["main: MARGIN CALL"]  # the DM got it; the channel did not
        clock.advance(3601)
        assert await monitor.expire_outbox() == 1
        await monitor.run_until_idle()
        expired = metrics.outbox_expired._value.get()
    assert expired == 1
    [notice] = [m for dest, m in chat.sent if m.title == "main"]  # in the owner's private chat
    assert (
        "1 alert(s) for main could not be delivered to a console chat within 1 h"
        in (notice.lines[0])
    )
    rows = await store.read(
        lambda tx: tx.db.execute(
            "select status from outbox where subscription_id = ? order by id", [channel.id]
        ).fetchall()
    )
    assert rows == [("dropped",), ("pending",)]  # the expired alert; the later reminder waits


class _Split:
    """Sends to ``refused_chat`` go to ``refusing``, the rest to ``chat``."""

    def __init__(self, chat: RecordingChat, refusing: RecordingChat, *, refused_chat: str):
        self.chat, self.refusing, self.refused_chat = chat, refusing, refused_chat

    async def send(self, destination, message, key=""):  # type: ignore[no-untyped-def]
        target = self.refusing if destination.chat_id == self.refused_chat else self.chat
        await target.send(destination, message, key)


async def test_a_new_subscription_that_reuses_a_removed_ones_id_is_alerted(
    store: Store, clock: ManualClock
) -> None:
    # SQLite reuses the highest row id once it is deleted; the removed subscription's keys
    # (sub{id}:1:escalation, ...) must not make the newcomer's first alert look "already queued".
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.run_until_idle()
    assert chat.titles == ["main: MARGIN CALL"]
    await store.remove_subscription(subscription.id)
    again = await store.add_subscription(
        account.id, Destination("console", "1001", is_dm=True), now=clock.now()
    )
    assert again.id == subscription.id
    clock.advance(61)
    await monitor.run_until_idle()
    assert chat.titles == ["main: MARGIN CALL", "main: MARGIN CALL"]


async def test_a_drain_cancelled_before_its_polls_started_leaves_none_behind(
    store: Store, clock: ManualClock
) -> None:
    # Ctrl-C in the demo cancels run_until_idle() inside drain(): the gather cancels poll tasks
    # that never ran, whose own clean-up therefore never ran either. The next drain (shutdown)
    # must still finish instead of spinning on their done tasks.
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.3))
    monitor = monitor_for(store, exchange, chat, clock)
    await monitor.recheck_all()
    assert await monitor.queue.launch_due() == 1
    # What a cancelled gather does to its children, before the poll ran a single step.
    (poll,) = [t for t in asyncio.all_tasks() if t.get_name().startswith("poll-account-")]
    poll.cancel()
    await asyncio.wait_for(monitor.queue.drain(), 5)
    assert monitor.queue.in_flight == frozenset()
