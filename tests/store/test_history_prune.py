"""The history prune thins old samples, caps each account and never holds the thread long."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.core.presenter import CorePresenter
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.transport import Transports
from bot.store import HealthPoint, Store
from tests.monitor.world import RecordingChat, ScriptedExchange, binance_snapshot, link

DAY = 86400.0
NOW = 10 * DAY


def _point(account_id: int, at: float, state: str = "ok") -> HealthPoint:
    return HealthPoint(account_id=account_id, at=at, state=state, equity=1000.0, ratio=0.3)


async def _account(store: Store, name: str) -> int:
    owner = await store.ensure_user("discord", "1", now=0.0)
    return (await store.add_account(owner.id, "okx", name, None, now=0.0)).id


async def _times(store: Store, account_id: int) -> list[float]:
    return [p.at for p in await store.health_series(account_id, limit=100_000)]


async def test_samples_past_a_day_keep_one_per_quarter_hour_and_every_state_change(
    store: Store,
) -> None:
    account = await _account(store, "main")
    # A minute apart for the last 30 hours; one danger minute at 25 h ago.
    start = NOW - 30 * 3600
    danger_at = NOW - 25 * 3600 + 420
    points = [
        _point(account, start + 60 * i, "danger" if start + 60 * i == danger_at else "ok")
        for i in range(30 * 60)
    ]
    await store.run(lambda tx: tx.history.add_many(points))

    removed = await store.prune_history(now=NOW, retention_seconds=30 * DAY)

    times = await _times(store, account)
    assert removed == len(points) - len(times)
    recent = [t for t in times if t >= NOW - DAY]
    assert recent == [p.at for p in points if p.at >= NOW - DAY]  # full resolution kept
    old = [t for t in times if t < NOW - DAY]
    buckets = [int(t // 900) for t in old]
    # One "ok" sample per quarter hour, plus the danger sample in its own bucket.
    assert danger_at in old
    assert len(old) == len(set(buckets)) + 1
    assert sorted(set(buckets)) == sorted({int(p.at // 900) for p in points if p.at < NOW - DAY})
    # A second prune at the same time finds nothing more to do.
    assert await store.prune_history(now=NOW, retention_seconds=30 * DAY) == 0


async def test_thinning_keeps_an_isolated_positions_critical_spell_the_account_never_saw(
    store: Store,
) -> None:
    account = await _account(store, "perps")
    # A minute apart, 30 hours back; the cross pool reads "ok" throughout, but for three
    # minutes 25 h ago an isolated position sat at its liquidation level.
    start = NOW - 30 * 3600
    spell = {NOW - 25 * 3600 + 420 + 60 * k for k in range(3)}
    points = [
        replace(
            _point(account, start + 60 * i),
            worst_state="liquidation" if start + 60 * i in spell else "ok",
            closest_kind="isolated",
            closest_name="ETH/USDC:USDC",
            closest_move=0.0 if start + 60 * i in spell else -0.2,
        )
        for i in range(30 * 60)
    ]
    await store.run(lambda tx: tx.history.add_many(points))
    await store.prune_history(now=NOW, retention_seconds=30 * DAY)
    kept = await store.read(lambda tx: tx.history.series(account, limit=100_000))
    # The spell's first minute survives its quarter hour, as an account's own would.
    assert [p.at for p in kept if p.worst_state == "liquidation"] == [min(spell)]
    assert all(p.state == "ok" for p in kept)


async def test_chunked_prune_removes_the_same_samples_as_one_transaction(store: Store) -> None:
    accounts = [await _account(store, f"a{i}") for i in range(4)]
    points = [
        _point(account, NOW - 40 * 3600 + 97 * i + account, "ok" if i % 50 else "watch")
        for account in accounts
        for i in range(1500)
    ] + [_point(accounts[0], NOW - 40 * DAY)]
    await store.run(lambda tx: tx.history.add_many(points))
    snapshot = await store.read(
        lambda tx: tx.db.execute("select * from health_history order by rowid").fetchall()
    )

    kwargs = {"now": NOW, "retention_seconds": 30 * DAY, "max_points_per_account": 900}
    whole = await store.run(lambda tx: tx.history.prune(**kwargs))
    expected = {a: await _times(store, a) for a in accounts}

    await store.run(lambda tx: tx.db.execute("delete from health_history"))
    await store.run(
        lambda tx: tx.db.conn.executemany(
            f"insert into health_history values ({', '.join('?' * len(snapshot[0]))})",
            snapshot,
        )
    )
    assert await store.prune_history(**kwargs, chunk=7) == whole
    assert {a: await _times(store, a) for a in accounts} == expected
    assert all(len(times) == 900 for times in expected.values())


async def test_other_work_runs_between_prune_chunks(store: Store) -> None:
    account = await _account(store, "main")
    await store.run(lambda tx: tx.history.add_many(_point(account, float(t)) for t in range(50)))

    prune = asyncio.create_task(store.prune_history(now=NOW, retention_seconds=DAY, chunk=10))
    await asyncio.sleep(0)  # the prune's first chunk is queued on the database thread
    seen = await store.read(lambda tx: tx.history.count(account))
    assert await prune == 50
    # The read waited for one chunk, not for the whole prune.
    assert seen == 40


@pytest.mark.parametrize(
    "bad",
    [
        {"max_points_per_account": 0},
        {"bucket_seconds": 0.0},
        {"retention_seconds": -1.0},
        {"chunk": 0},
    ],
)
async def test_nonsense_limits_are_refused_and_nothing_is_deleted(
    store: Store, bad: dict[str, float]
) -> None:
    account = await _account(store, "main")
    await store.add_health(_point(account, 1.0))
    with pytest.raises(ValueError, match="needs"):
        await store.prune_history(now=NOW, **bad)  # type: ignore[arg-type]
    assert await _times(store, account) == [1.0]


async def test_the_monitors_hourly_housekeeping_prunes_in_the_background(store: Store) -> None:
    clock = ManualClock()
    account, _ = await link(store, clock.now())
    expired = [_point(account.id, clock.now() - 40 * DAY + t) for t in range(30)]
    await store.run(lambda tx: tx.history.add_many(expired))
    exchange, chat = ScriptedExchange(), RecordingChat()
    exchange.set(account, binance_snapshot(0.3))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(
        store,
        exchange,  # type: ignore[arg-type]
        transports,
        presenter=CorePresenter(),
        clock=clock,
        tick_seconds=0.02,
    )
    await monitor.start()
    try:
        for _ in range(250):  # up to 5 s for the first tick's prune to finish
            if min(await _times(store, account.id)) >= clock.now() - 30 * DAY:
                break
            await asyncio.sleep(0.02)
    finally:
        await monitor.stop()
    times = await _times(store, account.id)
    assert times and all(t >= clock.now() - 30 * DAY for t in times)  # expired samples went
    assert exchange.reads == [account.id]  # the poll ran alongside
