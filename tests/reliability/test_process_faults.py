"""SIGKILL at the worst moments (inside a migration, inside a poll's transaction, in the middle
of a delivery round): a restart loses nothing and repeats nothing, and the file stays sound."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.store import Store, Vault, generate_key

REPO = Path(__file__).resolve().parents[2]


async def start(db: Path, deliveries: Path, mode: str, key: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability.crash_child",
        str(db),
        str(deliveries),
        mode,
        cwd=REPO,
        env={**os.environ, "RELIABILITY_KEY": key},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def kill_at(db: Path, deliveries: Path, mode: str, key: str, word: str) -> None:
    child = await start(db, deliveries, mode, key)
    assert child.stdout is not None
    while True:
        line = (await asyncio.wait_for(child.stdout.readline(), timeout=60)).decode()
        if not line:
            _, err = await child.communicate()
            raise AssertionError(f"the child ended before {word}: {err.decode()[-2000:]}")
        if line.startswith(word):
            break
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert child.returncode == -signal.SIGKILL


async def run_to_idle(db: Path, deliveries: Path, key: str) -> None:
    child = await start(db, deliveries, "deliver", key)
    out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip().endswith("IDLE")


def delivered(deliveries: Path) -> list[tuple[str, str]]:
    if not deliveries.exists():
        return []
    return sorted(
        (d["chat"], d["title"]) for d in map(json.loads, deliveries.read_text().splitlines())
    )


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def schema(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(
            conn.execute(
                "select name, sql from sqlite_master where name not like 'sqlite_%'"
            ).fetchall()
        )


BOTH = [("A", "alpha: MARGIN CALL"), ("B", "beta: MARGIN CALL")]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, str]:
    return tmp_path / "crash.db", tmp_path / "deliveries.jsonl", generate_key()


async def test_killed_inside_the_schema_migration_the_next_start_migrates_cleanly(
    files: tuple[Path, Path, str], tmp_path: Path
) -> None:
    db, deliveries, key = files
    await kill_at(db, deliveries, "migrate", key, "MIGRATING")
    assert integrity(db) == "ok"
    await run_to_idle(db, deliveries, key)  # the migration runs again, whole
    fresh = tmp_path / "fresh.db"
    await (await Store.open(fresh, Vault.from_strings([key]))).close()
    assert schema(db) == schema(fresh)
    assert delivered(deliveries) == BOTH
    assert integrity(db) == "ok"


async def test_killed_inside_a_polls_transaction_leaves_no_trace_and_is_judged_again(
    files: tuple[Path, Path, str],
) -> None:
    db2, deliveries, key = files
    await kill_at(db2, deliveries, "judge", key, "WRITING")
    assert integrity(db2) == "ok"
    with sqlite3.connect(db2) as conn:  # the half-done poll left nothing behind
        assert conn.execute("select count(*) from outbox").fetchone()[0] == 0
        assert conn.execute("select count(*) from health_history").fetchone()[0] == 0
    await run_to_idle(db2, deliveries, key)
    assert delivered(deliveries) == BOTH
    await run_to_idle(db2, deliveries, key)
    assert delivered(deliveries) == BOTH  # a later restart repeats nothing
    assert integrity(db2) == "ok"


async def test_killed_mid_delivery_round_the_rest_goes_once_and_the_delivered_never_again(
    files: tuple[Path, Path, str],
) -> None:
    db, deliveries, key = files
    await kill_at(db, deliveries, "send", key, "SENDING B")
    assert delivered(deliveries) == [BOTH[0]]  # A went out; B was on the wire when killed
    await run_to_idle(db, deliveries, key)
    assert delivered(deliveries) == BOTH
    await run_to_idle(db, deliveries, key)
    assert delivered(deliveries) == BOTH
    assert integrity(db) == "ok"
