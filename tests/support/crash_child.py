"""What both crash-test children run: the real monitor on a store until nothing is left to do."""

from __future__ import annotations

import asyncio

from bot.core.presenter import CorePresenter
from bot.monitor.scheduler import Monitor
from bot.monitor.transport import Transport, Transports
from bot.store import Account, Store
from tests.monitor.world import ScriptedExchange, binance_snapshot


async def run_until_idle(store: Store, accounts: list[Account], chat: Transport) -> None:
    """Watch ``accounts`` (each at margin call) with ``chat`` as the only transport until every
    one is judged and the outbox is empty, then close ``store`` and print ``IDLE``.

    A child the parent kills never gets back from here; that is the point of the crash tests.
    """
    exchange = ScriptedExchange()
    for account in accounts:
        exchange.set(account, binance_snapshot(0.85))
    transports = Transports()
    transports.register("console", chat)
    monitor = Monitor(store, exchange, transports, presenter=CorePresenter(), tick_seconds=0.05)
    await monitor.start()
    try:
        async with asyncio.timeout(20):
            while not (len(exchange.reads) >= len(accounts) and not monitor.queue.in_flight):
                await asyncio.sleep(0.02)
            while await store.outbox_depth():
                await asyncio.sleep(0.02)
    finally:
        await monitor.stop()
        await store.close()
    print("IDLE", flush=True)
