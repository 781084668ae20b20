"""bench/risk_bench.py runs and reports its documented keys (figures are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_risk_bench_quick_json_has_every_documented_key() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "risk_bench.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(proc.stdout)
    assert [row["positions"] for row in result["sizes"]] == [1, 10, 100, 1000]
    for row in result["sizes"]:
        assert row["accounts"] > 0 and row["batches"] >= 5
        assert row["accounts_per_second"] >= row["accounts_per_second_median"] > 0
        assert row["us_per_position"] > 0
    assert result["ten_position_accounts_per_second"] == result["sizes"][1]["accounts_per_second"]
    assert result["per_position_cost_ratio_1000_vs_10"] > 0
