"""The newcomer's first command: `marginwatch demo`, end to end in fast mode."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DEMO = [sys.executable, "-m", "bot.cli", "demo", "--no-colour"]


def run_demo(
    *args: str, timeout: float = 150, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DEMO, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One run of the built-in demo at the highest speed, shared by the tests that read it.

    No --out, as in the README: its temporary folder is made under this test's own TMPDIR."""
    import os

    tmp = str(tmp_path_factory.mktemp("demo"))
    proc = run_demo("--speed", "3600", env={**os.environ, "TMPDIR": tmp})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_the_demo_shows_a_margin_call_a_recovery_and_a_critical_alert(
    fast_run: subprocess.CompletedProcess[str],
) -> None:
    out = fast_run.stdout
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
    assert "Traceback" not in fast_run.stderr


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
    path.write_text('{"accounts": []}')
    proc = run_demo("--scenario", str(path), timeout=60)
    assert proc.returncode == 2 and "the demo needs at least one to link" in proc.stderr


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


# --- the newcomer's rough edges (issue 13) ----------------------------------------------------

ALERT_LINE = re.compile(r"^\[(ok|WATCH|MARGIN CALL|CRITICAL)\] ([\w-]+): ")


def alerts_of(out: str) -> list[str]:
    """Each alert as delivered: its headline and the figures under it (not the status cards,
    which are titled "label — venue"), in the order they arrived."""
    blocks, current = [], None
    for line in out.splitlines():
        if ALERT_LINE.match(line):
            current = [line]
            blocks.append(current)
        elif current is not None and line.startswith("  ") and not line.startswith("  buttons"):
            current.append(line)
        else:
            current = None
    return ["\n".join(block) for block in blocks]


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_the_story_is_the_same_at_every_speed(
    tmp_path: Path, fast_run: subprocess.CompletedProcess[str]
) -> None:
    # The alert policy's clock and the market's agree: the same alerts, with the same figures,
    # in the same order, however fast the market plays.
    slower = run_demo("--speed", "600", "--out", str(tmp_path))
    assert slower.returncode == 0, slower.stderr[-2000:]
    story = alerts_of(fast_run.stdout)
    assert alerts_of(slower.stdout) == story
    headlines = [alert.splitlines()[0] for alert in story]
    assert any(h.startswith("[MARGIN CALL]") for h in headlines), headlines
    assert sum(h.startswith("[CRITICAL]") for h in headlines) == 2, headlines
    assert not any("Reminder" in alert for alert in story), story

    def totals(out: str) -> str:
        return out.rsplit("Alerts delivered: ", 1)[1].splitlines()[0]

    assert totals(slower.stdout) == totals(fast_run.stdout)


def line_pattern(line: str) -> re.Pattern[str]:
    """A README line as a pattern: "…" stands for anything, "Done in N s" for any N and
    "/tmp/" for wherever the temporary folder is."""
    line = re.sub(r"^Done in \d+ s", "Done in \0 s", line).replace(" /tmp/", " …/")
    pattern = "".join(".*" if c == "…" else r"\d+" if c == "\0" else re.escape(c) for c in line)
    return re.compile(pattern + "$")


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_the_readme_excerpt_is_what_the_default_run_prints(
    fast_run: subprocess.CompletedProcess[str],
) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it, then test it", 1)[1].split("\n## ", 1)[0]
    excerpt = section.split("```text\n", 1)[1].split("```", 1)[0]
    # The story does not depend on the speed (test above), so a fast run prints the same.
    out = fast_run.stdout.splitlines()
    position = 0
    for line in excerpt.splitlines():
        pattern = line_pattern(line)
        found = next((i for i in range(position, len(out)) if pattern.match(out[i])), None)
        assert found is not None, f"README line not printed (in this order): {line!r}"
        position = found + 1
    # "plays a scripted market at 60× speed (about N s)": the default run's pacing.
    from bot.demo.scenario import default_scenario

    scenario = default_scenario()
    claimed = int(re.search(r"at 60× speed \(about (\d+) s\)", section).group(1))
    paced = len(scenario.steps) * scenario.step_seconds / 60
    assert abs(claimed - paced) <= 5, (claimed, paced)
    done = int(re.search(r"^Done in (\d+) s", excerpt, re.M).group(1))
    assert abs(done - paced) <= 5, (done, paced)


@pytest.mark.slow  # a workload of seconds: `pytest -m 'not slow'` skips it
def test_seconds_is_honoured_at_low_speed(tmp_path: Path) -> None:
    import time

    started = time.monotonic()
    proc = run_demo("--speed", "1", "--seconds", "3", "--out", str(tmp_path), timeout=40)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--seconds reached" in proc.stdout
    # Linking takes a moment and the shutdown is clean, but 3 s means a few seconds, not 60.
    assert time.monotonic() - started < 25


def test_print_scenario_starts_a_file_that_plays_the_built_in_story(tmp_path: Path) -> None:
    import json

    from bot.demo.scenario import default_scenario, load_scenario

    proc = run_demo("--print-scenario", timeout=60)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert {a["label"] for a in printed["accounts"]} == {"kraken-margin", "binance-futures"}
    positions = [p for a in printed["accounts"] for p in a["positions"]]
    # One spelling for every venue.
    assert all(set(p) >= {"symbol", "side", "size", "entry"} for p in positions)
    path = tmp_path / "mine.json"
    path.write_text(proc.stdout)
    # Read back, it is the built-in scenario exactly, so it plays the built-in story (the story
    # depends on nothing else: see the test above).
    assert load_scenario(path) == default_scenario()


def test_a_wrong_field_in_a_scenario_is_named_not_a_traceback(tmp_path: Path) -> None:
    import json

    from bot.demo.scenario import scenario_json

    data = json.loads(scenario_json())
    position = data["accounts"][1]["positions"][0]
    position["entry_price"] = position.pop("entry")  # the spelling one venue used to have
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data))
    proc = run_demo("--scenario", str(path), "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "accounts[1]" in line and "positions[0]: unknown field 'entry_price'" in line
    assert line.endswith("did you mean 'entry'?")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "not answering" not in proc.stderr + proc.stdout


def test_the_old_scenario_format_is_refused_with_the_way_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"venues": {"kraken": {"accounts": []}}, "demo": {"accounts": []}}')
    proc = run_demo("--scenario", str(path), timeout=60)
    assert proc.returncode == 2
    assert "old scenario format" in proc.stderr and "--print-scenario" in proc.stderr


@pytest.mark.parametrize(
    "change,words",
    [
        (lambda d: d.update(step_second=5), "unknown field 'step_second': did you mean"),
        (lambda d: d["steps"][0].update(factr=0.9), "steps[0]: unknown field 'factr'"),
        (lambda d: d["steps"].append({"phase": "nothing"}), "moves nothing"),
        (lambda d: d["steps"].append({"prices": {"BTCC": 1}}), "no simulated market trades"),
        (lambda d: d["alerts"].update(wach="20%"), "alerts.wach is not an /alerts setting"),
        (lambda d: d["accounts"][0].update(venue="krakn"), "venue must be one of"),
    ],
)
def test_each_bad_part_of_a_scenario_is_one_sentence(change: Any, words: str) -> None:
    import json

    from bot.demo.scenario import parse_demo_scenario, scenario_json
    from bot.sim.scenario_file import ScenarioError

    data = json.loads(scenario_json())
    change(data)
    with pytest.raises(ScenarioError) as caught:
        parse_demo_scenario(data, source="s.json")
    assert words in str(caught.value) and str(caught.value).startswith("s.json")


def test_an_unusable_out_folder_is_one_sentence() -> None:
    proc = run_demo("--out", "/proc/nope", timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--out /proc/nope" in proc.stderr
