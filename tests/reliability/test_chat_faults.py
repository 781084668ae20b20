"""Chat faults on both platforms' fakes, through the real outbox and transports: a 429, a chat
that blocked the bot, a migrated group, and the chat API down for ten simulated minutes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.chat.telegram.transport import TelegramTransport
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
from bot.store import Destination, NewMessage, Store, Vault, generate_key
from tests.monitor.world import binance_snapshot

from .chats import PLATFORMS, Desk, alert_titles, desk

MARGIN_CALL, CRITICAL, SAFE = 0.85, 0.96, 0.3


def delivered_titles(d: Desk) -> list[str]:
    return [
        title for _, message in d.platform.transport.messages for title in alert_titles(message)
    ]


async def row_titles(d: Desk) -> list[str]:
    return [json.loads(row["payload"])["title"] for row in await d.rows()]


@pytest.mark.parametrize("name", sorted(PLATFORMS))
async def test_a_chat_api_down_for_ten_minutes_loses_and_repeats_nothing(
    tmp_path: Path, name: str
) -> None:
    async with PLATFORMS[name]() as (platform, _fake), desk(tmp_path, platform) as d:
        alpha, _ = await d.account("alpha")
        beta, _ = await d.account("beta", owner="2")
        gamma, _ = await d.account("gamma", owner="3")
        await d.tick()
        assert platform.transport.messages == []

        platform.down()
        # Alerts raised at different moments of the outage back off on different schedules.
        script = {
            30: (alpha, MARGIN_CALL),
            120: (beta, MARGIN_CALL),
            240: (alpha, CRITICAL),
            300: (gamma, MARGIN_CALL),
            420: (beta, SAFE),
            480: (gamma, SAFE),
        }
        for second in range(5, 605, 5):  # ten simulated minutes, a tick every five seconds
            if second in script:
                account, ratio = script[second]
                d.exchange.set(account, binance_snapshot(ratio))
            await d.tick(5.0)
        assert platform.transport.messages == []  # nothing got through...
        assert platform.transport.attempts >= 5  # ...though the outbox kept trying
        queued = await row_titles(d)
        assert len(queued) >= 4

        platform.up()
        waited = 0.0
        while any(row["status"] == "pending" for row in await d.rows()):
            await d.tick(5.0)
            waited += 5.0
            # Both transports ask to be retried within seconds of a server error, so a warning
            # held up by an outage goes out promptly once the chat answers again.
            assert waited <= 30, f"alerts still waiting {waited:.0f} s after the chat came back"

        delivered = delivered_titles(d)
        assert Counter(delivered) == Counter(await row_titles(d))  # every alert, exactly once
        assert all(row["status"] == "delivered" for row in await d.rows())
        # In order: each message lists its alerts most urgent first, then oldest first (the
        # outbox's coalescing rule), and messages arrive in the order they were sent.
        batches: dict[float, list[dict]] = {}
        for row in await d.rows():
            batches.setdefault(row["delivered_at"], []).append(row)
        expected = [
            [
                json.loads(r["payload"])["title"]
                for r in sorted(batch, key=lambda r: (-r["priority"], r["created_at"], r["id"]))
            ]
            for _, batch in sorted(batches.items())
        ]
        assert [alert_titles(m) for _, m in platform.transport.messages] == expected
        # Between messages, alerts of one urgency never overtake older ones.
        for priority in {r["priority"] for r in await d.rows()}:
            same = [r for r in await d.rows() if r["priority"] == priority]
            by_creation = sorted(same, key=lambda r: (r["created_at"], r["id"]))
            assert [r["delivered_at"] for r in by_creation] == sorted(
                r["delivered_at"] for r in same
            )
        for _ in range(10):  # and nothing comes twice later
            await d.tick(60.0)
        assert Counter(delivered_titles(d)) == Counter(await row_titles(d))


@pytest.mark.parametrize("name", sorted(PLATFORMS))
async def test_a_429_is_waited_out_then_delivered_once(tmp_path: Path, name: str) -> None:
    async with PLATFORMS[name]() as (platform, _fake), desk(tmp_path, platform) as d:
        account, _ = await d.account("main")
        await d.tick()
        platform.rate_limit(120.0)
        d.exchange.set(account, binance_snapshot(MARGIN_CALL))
        await d.tick(61.0)
        assert platform.transport.attempts == 1 and platform.transport.messages == []
        await d.tick(60.0)  # the platform asked for two minutes: no try before that
        assert platform.transport.attempts == 1
        await d.tick(61.0)
        assert delivered_titles(d) == ["main: MARGIN CALL"]
        for _ in range(3):
            await d.tick(61.0)
        assert delivered_titles(d)[:1] == ["main: MARGIN CALL"]
        assert delivered_titles(d).count("main: MARGIN CALL") == 1


@pytest.mark.parametrize("name", sorted(PLATFORMS))
async def test_a_chat_that_blocked_the_bot_stops_and_its_owner_hears_it_privately(
    tmp_path: Path, name: str
) -> None:
    async with PLATFORMS[name]() as (platform, _fake), desk(tmp_path, platform) as d:
        account, private = await d.account("main")
        shared = await d.store.add_subscription(
            account.id,
            type(private.destination)(platform.name, platform.group, is_dm=False),
            now=d.clock.now(),
            share="state",
        )
        await d.tick()
        platform.blocked(platform.group)
        d.exchange.set(account, binance_snapshot(MARGIN_CALL))
        await d.tick(61.0)
        await d.tick()
        gone = await d.store.get_subscription(shared.id)
        assert gone is not None and not gone.enabled
        kept = await d.store.get_subscription(private.id)
        assert kept is not None and kept.enabled
        to_owner = [m for chat, m in platform.transport.messages if chat == platform.dm]
        titles = [t for m in to_owner for t in alert_titles(m)]
        assert titles.count("main: MARGIN CALL") == 1
        assert sum("no longer post" in line for m in to_owner for line in m.lines) == 1
        attempts = platform.transport.attempts
        d.exchange.set(account, binance_snapshot(CRITICAL))
        await d.tick(61.0)
        # The gone chat is not tried again; the owner still gets the escalation.
        assert not any(chat == platform.group for chat, _ in platform.transport.messages)
        assert platform.transport.attempts == attempts + 1


async def test_a_migrated_telegram_group_gets_every_alert_once_at_its_new_id(
    tmp_path: Path,
) -> None:
    async with PLATFORMS["telegram"]() as (platform, api), desk(tmp_path, platform) as d:
        # Wired as bot/app.py does: the transport reports the move, core records it.
        core = Core(d.store, ExchangeHub(), SUPPORTED_VENUES, clock=d.clock.now)
        platform.transport.inner = TelegramTransport(
            platform.transport.inner.bot, lambda old, new: core.move_chat("telegram", old, new)
        )
        account, private = await d.account("main")
        shared = await d.store.add_subscription(
            account.id,
            type(private.destination)("telegram", platform.group, is_dm=False),
            now=d.clock.now(),
            share="state",
        )
        await d.tick()
        new_id = -1007002
        api.group(new_id, "Desk")
        api.migrated[int(platform.group)] = new_id
        d.exchange.set(account, binance_snapshot(MARGIN_CALL))
        await d.tick(61.0)
        moved = await d.store.get_subscription(shared.id)
        assert moved is not None and moved.destination.chat_id == str(new_id) and moved.enabled
        d.exchange.set(account, binance_snapshot(CRITICAL))
        await d.tick(61.0)
        shared_texts = [m.text for m in api.sent(new_id)]
        assert len(shared_texts) == 2, shared_texts
        assert "MARGIN CALL" in shared_texts[0] and "CRITICAL" in shared_texts[1]
        assert api.sent(int(platform.group)) == []
        to_old = [
            c for c in api.calls_of("sendMessage") if str(c.params.get("chat_id")) == platform.group
        ]
        assert len(to_old) == 1  # only the first alert found the old id; the rest go straight


async def test_a_chats_waiting_messages_go_out_with_its_due_one(tmp_path: Path) -> None:
    """The outbox rule behind "in order": an older message that backed off longer is claimed
    together with a newer due one of the same chat, never after it."""
    store = await Store.open(tmp_path / "claim.db", Vault.from_strings([generate_key()]))
    try:
        chat, other = Destination("telegram", "1", is_dm=True), Destination("telegram", "2")
        for key, where in (("old", chat), ("other", other)):
            await store.enqueue(NewMessage(key, where, {"title": key}), now=0.0)
        [old, waiting] = await store.claim_outbox(now=0.0)
        for row in (old, waiting):
            await store.mark_failed(row.id, now=0.0, error="down", retry_after=600.0)
        await store.enqueue(NewMessage("new", chat, {"title": "new"}), now=10.0)
        claimed = await store.claim_outbox(now=10.0)
        assert [m.idempotency_key for m in claimed] == ["new", "old"]  # not "other": its own chat
    finally:
        await store.close()
