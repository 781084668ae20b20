"""SIGKILL between queueing an alert and delivering it: delivered once after restart, then never."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from bot.store import generate_key

REPO = Path(__file__).resolve().parents[2]


async def start_child(
    db: Path, deliveries: Path, mode: str, key: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.monitor.crash_child",
        str(db),
        str(deliveries),
        mode,
        cwd=REPO,
        env={**os.environ, "CRASH_TEST_KEY": key},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_to_end(db: Path, deliveries: Path, key: str) -> None:
    child = await start_child(db, deliveries, "deliver", key)
    out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 0, err.decode()
    assert out.decode().strip().endswith("IDLE")


def delivered(deliveries: Path) -> list[dict[str, str]]:
    if not deliveries.exists():
        return []
    return [json.loads(line) for line in deliveries.read_text().splitlines()]


async def test_alert_killed_before_delivery_is_delivered_exactly_once_after_restart(
    tmp_path: Path,
) -> None:
    db, deliveries, key = tmp_path / "crash.db", tmp_path / "deliveries.jsonl", generate_key()

    child = await start_child(db, deliveries, "hang", key)
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
    # The alert is committed to the outbox and the transport is mid-send: kill without warning.
    assert line.decode().strip() == "SENDING main: MARGIN CALL"
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert child.returncode == -signal.SIGKILL
    assert delivered(deliveries) == []

    await run_to_end(db, deliveries, key)  # restart: re-check, and the queued alert goes out
    assert delivered(deliveries) == [{"chat": "1001", "title": "main: MARGIN CALL"}]

    await run_to_end(db, deliveries, key)  # restart after delivery: nothing new is sent
    assert delivered(deliveries) == [{"chat": "1001", "title": "main: MARGIN CALL"}]
