"""The newcomer's first command: `marginwatch demo`, end to end in fast mode."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = [sys.executable, "-m", "bot.cli", "demo", "--no-colour"]


def run_demo(*args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DEMO, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_the_demo_shows_a_margin_call_a_recovery_and_a_critical_alert(tmp_path: Path) -> None:
    proc = run_demo("--speed", "240", "--out", str(tmp_path))
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    alerts = re.findall(r"^\[(MARGIN CALL|CRITICAL|ok|WATCH)\] ([\w-]+): (.*)$", out, re.M)
    kinds = {(level, text.split(" ")[0]) for level, _, text in alerts}
    assert ("MARGIN CALL", "MARGIN") in kinds
    assert ("CRITICAL", "CRITICAL") in kinds
    assert ("ok", "back") in kinds  # "back to safety"
    # Recovery comes after the margin call, and the crash to critical after the recovery.
    order = [level for level, _, _ in alerts]
    first_call = order.index("MARGIN CALL")
    assert "ok" in order[first_call:]
    assert "CRITICAL" in order[first_call + order[first_call:].index("ok") :]
    assert "liquidation-price summary" in out
    charts = re.findall(r"margin health: (\S+\.png)$", out, re.M)
    assert len(charts) == 2
    for chart in charts:
        assert Path(chart).read_bytes().startswith(b"\x89PNG")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args,words",
    [
        (["--speed", "0"], "--speed must be between"),
        (["--seconds", "-1"], "--seconds must be positive"),
        (["--scenario", "/nonexistent/scenario.json"], "cannot read"),
    ],
)
def test_bad_demo_arguments_get_one_clear_line(args: list[str], words: str) -> None:
    proc = run_demo(*args, timeout=60)
    assert proc.returncode == 2
    assert words in proc.stderr and "Traceback" not in proc.stderr


def test_a_scenario_without_accounts_to_link_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text('{"venues": {}}')
    proc = run_demo("--scenario", str(path), timeout=60)
    assert proc.returncode == 2 and "needs a 'demo' section" in proc.stderr


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
async def test_the_demo_serves_metrics_while_it_runs(tmp_path: Path) -> None:
    import asyncio
    import socket

    import aiohttp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        *DEMO,
        "--speed",
        "240",
        "--out",
        str(tmp_path),
        "--metrics-port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    seen: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                        body = await response.text()
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
                    continue
                for line in body.splitlines():
                    if line.startswith(("marginwatch_polls_total ", "marginwatch_alerts_total{")):
                        name, value = line.rsplit(" ", 1)
                        seen[name] = float(value)
                if seen.get("marginwatch_polls_total", 0) > 0 and any(
                    k.startswith("marginwatch_alerts_total") for k in seen
                ):
                    break
                await asyncio.sleep(0.2)
    finally:
        out, err = await asyncio.wait_for(proc.communicate(), 150)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert seen.get("marginwatch_polls_total", 0) > 0
    assert any(k.startswith("marginwatch_alerts_total{level=") for k in seen), seen
    assert f"127.0.0.1:{port}/metrics" in out.decode()


async def test_ctrl_c_stops_the_demo_cleanly(tmp_path: Path) -> None:
    import asyncio
    import signal

    proc = await asyncio.create_subprocess_exec(
        *DEMO,
        "--speed",
        "60",
        "--out",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    seen = b""
    while b"=== market:" not in seen:  # linked and playing the market
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        assert line, "the demo ended before the market started"
        seen += line
    proc.send_signal(signal.SIGINT)
    rest, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 130
    assert b"shut down cleanly" in rest
    assert b"Traceback" not in err
