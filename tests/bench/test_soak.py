"""bench/soak.py in its quick form: every queued alert delivered, none twice, keys as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "polls",
    "faults",
    "alerts_expected",
    "alerts_delivered",
    "duplicates",
    "rss_growth_mb",
    "faults_by_kind",
    "failed_reads",
    "pending_after_drain",
    "drained",
    "seed",
}


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_quick_soak_delivers_every_alert_once_under_random_faults() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert set(result) >= KEYS
    assert result["polls"] > 0 and result["faults"] > 0  # it really ran, and really broke things
    assert result["alerts_expected"] > 0
    assert result["alerts_expected"] == result["alerts_delivered"]
    assert result["duplicates"] == 0
    assert result["pending_after_drain"] == 0 and result["drained"]
    assert isinstance(result["rss_growth_mb"], float)
