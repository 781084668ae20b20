"""The kill test of the real `marginwatch run` (bench/kill_test.py) in its quick form, as CI runs
it: every kind of kill happens, nothing is lost, Discord repeats nothing, Telegram repeats at
most what was killed inside a send, the file stays sound and SIGTERM exits 0 within 10 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a workload of a minute: `pytest -m 'not slow'` skips it
@pytest.mark.timeout(600)
def test_the_quick_kill_test_loses_nothing_and_repeats_only_what_telegram_must() -> None:
    done = subprocess.run(
        [sys.executable, "bench/kill_test.py", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["kills"]) == {
        "random",
        "read",
        "send-tg",
        "send-dc",
        "startup",
        "sigterm",
        "migrate",
    }
    telegram, discord = result["chats"]["telegram"], result["chats"]["discord"]
    assert telegram["expected"] == discord["expected"] > 0
    assert telegram["lost"] == discord["lost"] == 0
    assert discord["duplicates"] == 0
    assert discord["kills_inside_a_send"] >= 1  # the case the nonce exists for did happen
    # Telegram repeats only what a death caught inside a send (accepted, not yet recorded).
    assert telegram["duplicates"] <= telegram["caught_inside_a_send"]
    assert telegram["kills_inside_a_send"] >= 1
    assert result["integrity_failures"] == 0
    assert result["sigterm_bad_exits"] == 0 and result["sigterm_max_seconds"] < 10
    assert result["migration"]["migrated_correctly"] and result["migration"]["kills_inside"] >= 1
    assert result["outbox_pending_at_end"] == 0
    assert result["ok"] and done.returncode == 0
