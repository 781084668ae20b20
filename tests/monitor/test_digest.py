"""Digests: at the subscriber's local time (daylight saving included), once per slot, on demand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.messages import from_payload
from bot.core.presenter import CorePresenter
from bot.exchanges.errors import ExchangeReadError
from bot.monitor.clock import ManualClock
from bot.monitor.digest import last_slot
from bot.monitor.presenter import DigestFacts
from bot.monitor.scheduler import Monitor
from bot.monitor.transport import Transports
from bot.store import Store

from .world import RecordingChat, ScriptedExchange, binance_snapshot, link

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone: ZoneInfo = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def test_daily_digest_slot_is_the_last_local_time_passed() -> None:
    assert last_slot("daily", "08:00", None, "Europe/Berlin", at("2026-11-25 09:30")) == at(
        "2026-11-25 08:00"
    )
    assert last_slot("daily", "08:00", None, "Europe/Berlin", at("2026-11-25 07:59")) == at(
        "2026-11-24 08:00"
    )
    assert last_slot("off", "08:00", None, "Europe/Berlin", at("2026-11-25 09:30")) is None


def test_daily_digest_keeps_its_local_time_across_daylight_saving() -> None:
    # Clocks go forward on 2026-03-29 in Berlin: 08:00 local is 07:00 UTC before, 06:00 after.
    before = last_slot("daily", "08:00", None, "Europe/Berlin", at("2026-03-28 12:00"))
    after = last_slot("daily", "08:00", None, "Europe/Berlin", at("2026-03-29 12:00"))
    assert datetime.fromtimestamp(before, ZoneInfo("UTC")).hour == 7  # type: ignore[arg-type]
    assert datetime.fromtimestamp(after, ZoneInfo("UTC")).hour == 6  # type: ignore[arg-type]
    assert after - before == 23 * 3600  # type: ignore[operator]


def test_weekly_digest_slot_falls_on_the_chosen_weekday() -> None:
    # 2026-11-25 is a Wednesday; Monday (0) 08:00 was 2026-11-23.
    slot = last_slot("weekly", "08:00", 0, "Europe/Berlin", at("2026-11-25 09:30"))
    assert slot == at("2026-11-23 08:00")
    same_day_later = last_slot("weekly", "10:00", 2, "Europe/Berlin", at("2026-11-25 09:30"))
    assert same_day_later == at("2026-11-18 10:00")


async def test_daily_digest_is_sent_once_at_local_time_with_liquidation_prices(
    store: Store,
) -> None:
    clock = ManualClock(start=at("2026-11-25 07:58"))
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    await store.set_digest(subscription.id, "daily", digest_time="08:00", timezone="Europe/Berlin")
    exchange.set(account, binance_snapshot(0.3))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(store, exchange, transports, presenter=CorePresenter(), clock=clock)
    await monitor.run_until_idle()
    assert chat.sent == []  # 07:58: not yet
    for _ in range(5):  # 08:00 to 08:04, polling every minute
        clock.advance(60)
        await monitor.run_until_idle()
    assert chat.titles == ["Digest — main"]
    text = chat.sent[0][1].text
    assert "BTC/USDT:USDT long: liquidation 11,111.11" in text
    stored = await store.get_subscription(subscription.id)
    assert stored is not None and stored.last_digest_at == at("2026-11-25 08:00")
    clock.advance(23 * 3600)  # the next morning, 07:04: still only one
    await monitor.run_until_idle()
    assert chat.titles == ["Digest — main"]


async def test_digest_on_demand_uses_the_latest_read(store: Store, clock: ManualClock) -> None:
    exchange = ScriptedExchange()
    account, subscription = await link(store, clock.now())
    exchange.set(account, binance_snapshot(0.85))
    monitor = Monitor(store, exchange, Transports(), presenter=CorePresenter(), clock=clock)
    assert monitor.digests.on_demand(subscription, "main", "binanceusdm") is None
    await monitor.run_until_idle()
    payload = monitor.digests.on_demand(subscription, "main", "binanceusdm")
    assert payload is not None
    digest = from_payload(payload)
    assert digest.severity == "margin_call"
    assert any("liquidation" in line for line in digest.lines)


async def test_digest_of_an_account_that_cannot_be_read_says_why(store: Store) -> None:
    clock = ManualClock(start=at("2026-11-25 07:58"))
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    await store.set_digest(subscription.id, "daily", digest_time="08:00", timezone="Europe/Berlin")
    exchange.set(account, ExchangeReadError("exchange_down"))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(store, exchange, transports, presenter=CorePresenter(), clock=clock)
    for _ in range(14):  # to 08:12: the slot waits ten minutes for a read that never comes
        await monitor.run_until_idle()
        clock.advance(60)
    digests = [message for _, message in chat.sent if message.title == "Digest — main"]
    assert len(digests) == 1
    assert digests[0].lines == (
        f"No fresh figures for main: {ExchangeReadError('exchange_down').user_message}",
    )
    assert digests[0].private  # the owner's private chat


def test_digest_before_any_successful_read_says_so_and_shows_no_figures() -> None:
    facts = DigestFacts("main", "binanceusdm", "ratio", private=False, read=None, reason=None)
    digest = from_payload(CorePresenter().render_digest(facts))
    assert digest.lines == ("No fresh figures for main: no successful read yet",)
    assert not digest.private


async def test_a_digest_says_how_close_the_account_came_since_the_last_one(store: Store) -> None:
    # Polled every minute from 07:50; at a margin ratio of 0.9 until 07:55 (a 3.70 % fall
    # from liquidation), then back to 0.3 (a 25.9 % fall) by 08:00.
    clock = ManualClock(start=at("2026-11-25 07:50"))
    exchange, chat = ScriptedExchange(), RecordingChat()
    account, subscription = await link(store, clock.now())
    await store.run(
        lambda tx: tx.subscriptions.set_digest(
            subscription.id, "daily", digest_time="08:00", timezone="Europe/Berlin"
        )
    )
    exchange.set(account, binance_snapshot(0.9))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(store, exchange, transports, presenter=CorePresenter(), clock=clock)
    closest_at = None
    for minute in range(14):  # 07:50 to 08:03
        if minute == 6:
            exchange.set(account, binance_snapshot(0.3))
        await monitor.run_until_idle()
        if minute == 0:
            closest_at = clock.now()
        clock.advance(60)
    [digest] = [message for _, message in chat.sent if message.title == "Digest — main"]
    when = datetime.fromtimestamp(closest_at, BERLIN).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]
    assert (
        "Closest to liquidation since 2026-11-24 08:00: 3.70%, at " + when + " (Europe/Berlin)."
    ) in digest.lines
    # The account is one pool: no pool is named, and none is called the nearest.
    assert not any(line.startswith("Nearest liquidation") for line in digest.lines)
