"""The monitor benchmarks run end to end in their quick form and print the documented JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.venue_limits import VENUE_KEYS

ROOT = Path(__file__).resolve().parents[2]

CAPACITY_KEYS = {
    "variant",
    "accounts",
    "interval_s",
    "intervals",
    "window_s",
    "polls",
    "polls_per_second",
    "polls_demanded_per_second",
    "read_failures",
    "lag_p50_s",
    "lag_p99_s",
    "lag_max_s",
    "cpu_ms_per_poll",
    "db_ms_per_poll",
    "db_cpu_ms_per_poll",
    "db_transactions_per_poll",
    "rss_baseline_mb",
    "peak_rss_mb",
    "memory_per_account_mb",
    "alerts_queued",
    "alerts_delivered",
    "seed_seconds",
    "load_average_before",
    "load_average_after",
}
LATENCY_KEYS = {
    "accounts",
    "venues",
    "moves",
    "latency_s",
    "poll_interval_s",
    "background_accounts",
    "background_polls_demanded_per_second",
    "polls_per_second",
    "per_venue",
    "alerts",
    "missing",
    "missing_reasons",
    "after_poll_p50_s",
    "after_poll_p99_s",
    "after_poll_max_s",
    "escalation_after_poll_p99_s",
    "from_step_p50_s",
    "from_step_p99_s",
    "load_average_before",
    "load_average_after",
}


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
    )


def run_json(script: str, *args: str) -> dict[str, Any]:
    done = run(script, *args, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_monitor_capacity_polls_every_account_shared_and_naive_side_by_side() -> None:
    # 50 accounts: account 49 starts near margin call, so its first poll queues an alert.
    report = run_json(
        "monitor_capacity.py",
        "--quick",
        "--accounts",
        "50",
        "--naive",
        "--naive-accounts",
        "8",
        "--intervals",
        "2",
        "--interval",
        "1",
    )
    assert report["clock"] == "system"
    # Under the venues' real limits by default; the shared hub keeps to them.
    assert report["limits"] == "on"
    assert sum(report["rate_limited_responses"].values()) == 0
    assert sum(report["bans"].values()) == 0
    for variant, accounts in (("shared", 50), ("naive", 8)):
        figures = report[variant]
        assert set(figures) >= CAPACITY_KEYS, CAPACITY_KEYS - set(figures)
        assert figures["variant"] == variant
        assert figures["accounts"] == accounts
        assert figures["read_failures"] == 0, (variant, figures["read_failure_states"])
        assert figures["polls"] >= accounts
        assert 0 <= figures["lag_p50_s"] <= figures["lag_p99_s"] <= figures["lag_max_s"]
        assert figures["cpu_ms_per_poll"] > 0 and figures["db_ms_per_poll"] > 0
        assert figures["peak_rss_mb"] >= figures["rss_baseline_mb"] > 0
        assert figures["alerts_delivered"] <= figures["alerts_queued"]
        assert len(figures["load_average_before"]) == 3
    shared = report["shared"]
    assert shared["alerts_queued"] >= 1
    assert shared["alerts_delivered"] == shared["alerts_queued"]
    assert report["naive"]["scheduler_jobs"] == 8  # one job per account, as the naive bot has
    assert report["simulator_requests_per_poll"] >= 1
    assert report["memory_ratio_naive_over_shared"] > 0


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_alert_latency_measures_every_alert_from_the_poll_that_saw_the_move() -> None:
    report = run_json(
        "alert_latency.py",
        "--quick",
        "--accounts",
        "3",
        "--moves",
        "2",
        "--interval",
        "1",
        "--background",
        "8",
    )
    assert set(report) >= LATENCY_KEYS, LATENCY_KEYS - set(report)
    assert report["missing"] == 0, report["missing_reasons"]
    assert report["alerts"] == 3 * 2  # every account escalates, then recovers
    assert report["background_accounts"] == 8  # calm ETH accounts: no alert of their own
    assert report["polls_per_second"] > 0
    assert (
        0 < report["after_poll_p50_s"] <= report["after_poll_p99_s"] <= report["after_poll_max_s"]
    )
    # The poll that saw the move started after the step, or at most just before it.
    assert report["from_step_p99_s"] >= report["after_poll_p50_s"] - 1.0


def test_venue_limits_keeps_one_ip_within_binances_limit_and_says_it_is_degraded() -> None:
    # 300 accounts want 3,000 weight a minute of an IP allowed 2,400: reads are stretched.
    report = run_json(
        "venue_limits.py",
        "--venues",
        "binanceusdm",
        "--accounts",
        "300",
        "--minutes",
        "4",
        "--speed",
        "30",
        "--danger-every",
        "100",
    )
    assert report["limits"] == "on"
    figures = report["venues"]["binanceusdm"]
    assert set(figures) == set(VENUE_KEYS)
    assert figures["accounts"] == 300
    assert figures["rate_limited_responses"] == 0 and figures["bans"] == 0
    assert 0 < figures["max_cost_per_window"] <= figures["cost_limit_per_window"] == 2400
    assert figures["calm_cadence_p50_s"] > 60  # stretched past the minute asked
    assert figures["healthz"]["status"] == "degraded"
    assert any(
        "Binance allows 2,400 weight per minute per IP" in p for p in figures["healthz"]["problems"]
    )
    details = report["details"]["binanceusdm"]
    assert details["reads_granted_per_minute"] < details["reads_demanded_per_minute"]


def test_monitor_capacity_says_when_the_limits_are_off() -> None:
    done = run(
        "monitor_capacity.py", "--quick", "--accounts", "8", "--intervals", "1", "--no-limits"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "venue limits OFF (--no-limits" in done.stdout


def test_bad_arguments_get_one_sentence_and_no_run() -> None:
    done = run("monitor_capacity.py", "--accounts", "0")
    assert done.returncode == 2
    assert "--accounts must be positive" in done.stderr
    assert done.stdout == ""
    done = run("alert_latency.py", "--drop", "1.5")
    assert done.returncode == 2
    assert "0 < --drop < 1" in done.stderr
    done = run("venue_limits.py", "--venues", "mtgox")
    assert done.returncode == 2
    assert "no bench accounts for venue 'mtgox'" in done.stderr


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_chart_render_reports_judge_and_draw_time_per_size() -> None:
    result = run_json("chart_render.py", "--quick")
    assert [row["points"] for row in result["sizes"]] == [200, 2000]
    for row in result["sizes"]:
        assert set(row) == {"points", "judge_s", "draw_s", "png_kib"}
        assert row["draw_s"] > 0 and row["png_kib"] > 10
    assert len(result["load_average_before"]) == 3
    assert result["pools"] is False
    # An account whose nearest pool keeps changing: named stretches, the same rows.
    pools = run_json("chart_render.py", "--quick", "--pools")
    assert pools["pools"] is True
    assert [row["points"] for row in pools["sizes"]] == [200, 2000]
