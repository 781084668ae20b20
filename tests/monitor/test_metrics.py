"""What the monitor records in the metrics: polls, failures, alerts, lag, outbox depth, accounts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.messages import Message
from bot.core.presenter import CorePresenter
from bot.exchanges.errors import ExchangeReadError
from bot.monitor import scheduler
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.transport import DeliveryRetry, Destination, Transports
from bot.ops.metrics import Metrics, installed
from bot.store import Store
from risk.model import AccountSnapshot

from .world import RecordingChat, ScriptedExchange, binance_snapshot, link, wait_for


@dataclass
class SlowedChat(RecordingChat):
    """Chat ``slow_chat`` asks to wait 30 s once (a 429), whenever its first send comes."""

    slow_chat: str = ""

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        if destination.chat_id == self.slow_chat:
            self.slow_chat = ""
            raise DeliveryRetry(30.0)
        await super().send(destination, message)


def value(metrics: Metrics, name: str, **labels: str) -> float:
    """A sample of ``metrics``' own registry; 0 when the series was never recorded."""
    found = metrics.registry.get_sample_value(f"marginwatch_{name}", labels)
    return 0.0 if found is None else found


def broken_adapter() -> AccountSnapshot:
    raise RuntimeError("an adapter bug")


async def test_a_monitor_run_records_polls_failures_alerts_lag_depth_and_accounts(
    store: Store, clock: ManualClock
) -> None:
    exchange = ScriptedExchange()
    # The margin-call chat is rate-limited once: its alert waits 30 s, which is its delivery lag.
    chat = SlowedChat(slow_chat="1")
    calling, _ = await link(store, clock.now(), label="calling", chat="1")
    calm, _ = await link(store, clock.now(), label="calm", chat="2")
    revoked, _ = await link(store, clock.now(), label="revoked", chat="3")
    slowed, _ = await link(store, clock.now(), label="slowed", chat="4")
    buggy, _ = await link(store, clock.now(), label="buggy", chat="5")
    exchange.set(calling, binance_snapshot(0.85))
    exchange.set(calm, binance_snapshot(0.3))
    exchange.set(revoked, ExchangeReadError("auth_failed"))
    exchange.set(slowed, ExchangeReadError("rate_limited", retry_after=3600.0))
    exchange.set(buggy, broken_adapter)
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(store, exchange, transports, presenter=CorePresenter(), clock=clock)

    with installed(Metrics()) as metrics:
        await monitor.run_until_idle()
        assert value(metrics, "polls_total") == 5
        assert value(metrics, "poll_failures_total", reason="auth_failed") == 1
        assert value(metrics, "poll_failures_total", reason="rate_limited") == 1
        assert value(metrics, "poll_failures_total", reason="unexpected_error") == 1
        assert value(metrics, "alerts_total", level="margin_call") == 1
        assert value(metrics, "alerts_total", level="key_invalid") == 1
        # The key-invalid alert went out at once; the margin call waits for its retry.
        assert chat.titles == ["revoked: key invalid or revoked"]
        assert value(metrics, "delivery_lag_seconds_count") == 1
        assert value(metrics, "delivery_lag_seconds_sum") == 0
        assert value(metrics, "outbox_depth") == 1
        assert value(metrics, "accounts", state="active") == 4
        assert value(metrics, "accounts", state="key_invalid") == 1

        # Due within the next 30 s: the margin call (every 10 s) and the broken adapter
        # (backing off 10 s) for certain, the calm account if its first gap fell there; the
        # revoked key is no longer polled and the rate limit asked for an hour.
        due = {
            a.label
            for a in await store.all_accounts("active")
            if (a.next_poll_at or 0) <= clock.now() + 30
        }
        assert {"calling", "buggy"} <= due <= {"calling", "buggy", "calm"}
        clock.advance(30)
        await monitor.run_until_idle()
        assert chat.titles[1:] == ["calling: MARGIN CALL"]
        assert value(metrics, "delivery_lag_seconds_count") == 2
        assert value(metrics, "delivery_lag_seconds_sum") == 30
        assert value(metrics, "outbox_depth") == 0
        # Polled again: exactly the accounts that were due.
        assert value(metrics, "polls_total") == 5 + len(due)
        assert value(metrics, "poll_failures_total", reason="unexpected_error") == 2
        assert value(metrics, "alerts_total", level="margin_call") == 1  # no reminder yet


async def test_the_scheduler_tick_keeps_the_accounts_gauge_current(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "ACCOUNTS_SAMPLE_EVERY", 0.0)  # every tick, not every 5 s
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, _ = await link(store, clock.now())
    exchange.set(account, ExchangeReadError("permission_denied"))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(
        store, exchange, transports, presenter=CorePresenter(), clock=clock, tick_seconds=0.02
    )
    with installed(Metrics()) as metrics:
        await monitor.start()
        try:
            assert value(metrics, "accounts", state="active") == 1  # sampled at start-up
            # The key is refused: the account stops being active, and a tick notices.
            await wait_for(lambda: value(metrics, "accounts", state="key_invalid") == 1)
        finally:
            await monitor.stop()
        assert value(metrics, "accounts", state="active") == 0
        assert value(metrics, "poll_failures_total", reason="permission_denied") == 1
        assert value(metrics, "alerts_total", level="key_invalid") == 1
