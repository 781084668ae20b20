"""The stored-state gauges, read from a real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import metrics as metrics_module
from bot.ops import start_ops_server
from bot.ops.collect import refresh_from_store
from bot.ops.metrics import Metrics
from bot.store import AccountSecrets, Destination, NewMessage, Store, Vault, generate_key


def gauges(m: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(s.labels.items())): s.value
        for f in text_string_to_metric_families(m.exposition().decode())
        for s in f.samples
    }


async def test_outbox_depth_and_accounts_per_state_come_from_the_database(tmp_path: Path) -> None:
    m = Metrics()
    vault = Vault.from_strings([generate_key()])
    async with await Store.open(tmp_path / "mw.db", vault) as store:
        await refresh_from_store(m, store)
        assert gauges(m)[("marginwatch_outbox_depth", ())] == 0
        user = await store.ensure_user("telegram", "42", now=1.0)
        for label in ("main", "hedge"):
            await store.add_account(
                user.id,
                "kraken",
                label,
                AccountSecrets(api_key="k-123456", secret="s-123456"),
                now=1.0,
            )
        for n in range(3):
            await store.enqueue(
                NewMessage(
                    f"alert-{n}", Destination("telegram", "42", is_dm=True), {"text": "margin call"}
                ),
                now=2.0,
            )
        await refresh_from_store(m, store)
    got = gauges(m)
    assert got[("marginwatch_outbox_depth", ())] == 3
    assert sum(v for (name, _), v in got.items() if name == "marginwatch_accounts") == 2
    assert m.health(stale_after=60).accounts == 2


async def test_start_ops_server_installs_samples_and_serves(tmp_path: Path) -> None:
    before = metrics_module.current()
    vault = Vault.from_strings([generate_key()])
    async with await Store.open(tmp_path / "mw.db", vault) as store:
        ops = await start_ops_server(port=0, store=store, sample_every=0.05)
        try:
            assert metrics_module.current() is ops.metrics
            metrics_module.record_poll(failure="exchange_down")  # as the monitor does
            user = await store.ensure_user("discord", "7", now=1.0)
            await store.add_account(
                user.id,
                "binanceusdm",
                "main",
                AccountSecrets(api_key="k-123456", secret="s-123456"),
                now=1.0,
            )
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # the sampler picks the new account up within a few rounds
                    async with session.get(f"{ops.url}/healthz") as response:
                        health = await response.json()
                    if health["accounts"] == 1:
                        break
                    await asyncio.sleep(0.02)
                async with session.get(f"{ops.url}/metrics") as response:
                    body = await response.text()
        finally:
            await ops.stop()
    assert health["accounts"] == 1
    assert 'marginwatch_poll_failures_total{reason="exchange_down"} 1.0' in body
    assert metrics_module.current() is before
    assert ops.port is None
