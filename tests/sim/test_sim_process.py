"""`marginwatch sim` and `python -m bot.sim` as real processes: ready line, control API, stop."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.exchanges import SUPPORTED_VENUES
from tests.support.processes import sim_command, start_sim


async def run_to_end(*argv: str, timeout: float = 30.0) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, (out + err).decode()


async def test_it_prints_every_account_then_ready_with_the_real_port_and_obeys_curl() -> None:
    sim = await start_sim()
    try:
        assert sim.lines[-1] == f"ready {sim.url}"
        port = int(sim.url.rsplit(":", 1)[1])
        assert sim.url.startswith("http://127.0.0.1:") and port not in (0, 8765)
        assert sorted(f["venue"] for f in sim.accounts.values()) == sorted(SUPPORTED_VENUES)
        okx = next(f for f in sim.accounts.values() if f["venue"] == "okx")
        assert {"key", "secret", "passphrase"} <= set(okx)
        wallet = next(f for f in sim.accounts.values() if f["venue"] == "hyperliquid")
        assert set(wallet) == {"venue", "address"}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{sim.url}/_sim/prices", data='{"prices": {"BTC": 41000}}'
            ) as response:
                assert response.status == 200
                answer = await response.json()
            assert answer["markets"]["kraken"]["BTC/USD"] == 41000.0
            async with http.post(f"{sim.url}/_sim/prices", data='{"prices": {"BTC": 0}}') as bad:
                assert bad.status == 400 and "positive" in (await bad.json())["error"]
            async with http.get(f"{sim.url}/_sim/state") as response:
                body = await response.json()
            async with http.get(f"{sim.url}/_sim/nothing") as missing:
                assert (
                    missing.status == 404 and "POST /_sim/prices" in (await missing.json())["error"]
                )
        assert body["prices"]["binanceusdm"]["BTC/USDT"] == 41000.0
        labels = {a["label"] for a in body["accounts"]}
        assert labels == set(sim.accounts)
    finally:
        code, output = await sim.stop()
    assert code == 0, output
    assert "prices set: BTC 41,000" in output and "simulator stopped" in output
    assert "Traceback" not in output


async def test_python_dash_m_bot_sim_is_the_same_simulator(tmp_path: Path) -> None:
    accounts = tmp_path / "mine.json"
    accounts.write_text(
        json.dumps(
            {
                "prices": {"ETH": 2000},
                "accounts": [
                    {
                        "venue": "bybit",
                        "label": "mine",
                        "key": "k",
                        "secret": "s",
                        "balances": {"USDT": 100},
                    }
                ],
            }
        )
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sim",
        "--port",
        "0",
        "--accounts",
        str(accounts),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        ready = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert first == "account bybit mine key=k secret=s"
        assert ready.startswith("ready http://127.0.0.1:")
        async with aiohttp.ClientSession() as http, http.get(ready[6:] + "/_sim/state") as r:
            body = await r.json()
        assert [a["label"] for a in body["accounts"]] == ["mine"]
        assert body["prices"]["okx"]["ETH/USDT:USDT"] == 2000.0  # the file's starting prices
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0


async def test_a_scenario_plays_its_steps_at_the_speed_asked(tmp_path: Path) -> None:
    scenario = tmp_path / "slide.json"
    scenario.write_text(
        json.dumps(
            {
                "prices": {"BTC": 50000},
                "steps": [{"factor": 0.5, "phase": "crash"}, {"factor": 0.5}],
                "step_seconds": 60,
            }
        )
    )
    sim = await start_sim("--scenario", str(scenario), "--speed", "600")  # a step each 0.1 s
    try:
        assert len(sim.accounts) == len(SUPPORTED_VENUES)  # no accounts in it: the defaults
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                async with http.get(f"{sim.url}/_sim/state") as response:
                    body = await response.json()
                if body["steps"]["taken"] == 2:
                    break
                await asyncio.sleep(0.1)
        assert body["steps"] == {"taken": 2, "total": 2}
        assert body["prices"]["kraken"]["BTC/USD"] == 12500.0
    finally:
        code, output = await sim.stop()
    assert code == 0 and "step 1/2: crash" in output


def test_bad_arguments_are_one_sentence_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Refused before anything listens, so the CLI is called in this process.
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"accounts": [{"venue": "okx", "key": "k", "secret": "s"}]}))
    bad_scenario = tmp_path / "scenario.json"
    bad_scenario.write_text(json.dumps({"accounts": [{"venue": "mtgox", "key": "k"}]}))
    cases = [
        (["--accounts", str(tmp_path / "none.json")], "cannot read"),
        (["--accounts", str(broken)], "need a 'passphrase'"),
        (["--scenario", str(bad_scenario)], "venue must be one of"),
        (["--port", "70000"], "--port must be from 0 to 65535"),
        (["--speed", "0"], "--speed must be above 0"),
    ]
    for args, says in cases:
        code = main(["sim", *args])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("marginwatch sim: ") and says in err, (args, err)


async def test_a_port_in_use_is_said_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = await run_to_end(*sim_command("--port", str(port)))
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in output, output
    assert "Traceback" not in output
