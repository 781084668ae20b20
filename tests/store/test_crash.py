"""Killed mid-transaction: nothing half-written. Killed after commit: nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bot.store import Store, Subscription, Vault
from tests.store.helpers import subscribed_account

_CHILD = textwrap.dedent(
    """
    import asyncio, sys, threading, time
    from pathlib import Path
    from bot.store import AlertState, NewMessage, Store, Vault

    db_path, sub_id, mode, flag = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])

    def escalate(tx):
        sub = tx.subscriptions.get(sub_id)
        tx.alerts.transition(
            [AlertState(subscription_id=sub_id, level="critical", told_level="critical")],
            [NewMessage(f"{sub_id}:critical:5", sub.destination, {"title": "Critical"})],
            now=5.0,
        )
        if mode == "before-commit":
            flag.write_text("written, not committed")
            threading.Event().wait(60)  # killed here

    async def main():
        store = await Store.open(db_path, Vault())
        await store.run(escalate)
        flag.write_text("committed")
        await asyncio.sleep(60)  # killed here

    asyncio.run(main())
    """
)


def _run_and_kill(db_path: Path, sub_id: int, mode: str, tmp_path: Path) -> None:
    flag = tmp_path / f"flag-{mode}"
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db_path), str(sub_id), mode, str(flag)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        deadline = time.monotonic() + 20
        while not flag.exists():
            assert child.poll() is None, "the child process died before reaching its point"
            assert time.monotonic() < deadline, "the child process never reached its point"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


async def _judged_then_killed(
    db_path: Path, mode: str, tmp_path: Path
) -> tuple[Store, Subscription]:
    """A subscribed account escalated by a child killed at ``mode``; the store reopened after."""
    store = await Store.open(db_path, Vault())
    sub = await subscribed_account(store)
    await store.close()
    _run_and_kill(db_path, sub.id, mode, tmp_path)
    return await Store.open(db_path, Vault()), sub


async def test_killed_before_commit_leaves_neither_state_nor_alert(
    db_path: Path, tmp_path: Path
) -> None:
    store, sub = await _judged_then_killed(db_path, "before-commit", tmp_path)
    assert (await store.alert_state(sub.id)).level == "ok"
    assert await store.outbox_depth() == 0
    await store.close()


async def test_killed_after_commit_keeps_both_state_and_alert(
    db_path: Path, tmp_path: Path
) -> None:
    store, sub = await _judged_then_killed(db_path, "after-commit", tmp_path)
    assert (await store.alert_state(sub.id)).level == "critical"
    (alert,) = await store.claim_outbox(now=6.0)
    assert alert.idempotency_key == f"{sub.id}:critical:5"
    await store.close()
