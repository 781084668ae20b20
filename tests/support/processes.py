"""The real `marginwatch sim` process, as a test starts it: port 0, the `ready` line read back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SimProcess:
    proc: asyncio.subprocess.Process
    url: str
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)  # label -> fields
    lines: list[str] = field(default_factory=list)

    def account(self, label: str) -> dict[str, str]:
        return self.accounts[label]

    async def stop(self, timeout: float = 20.0) -> tuple[int, str]:
        """SIGTERM, then what it printed after `ready` (stdout and stderr) and its exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        except TimeoutError:
            self.proc.kill()
            out, err = await self.proc.communicate()
        return self.proc.returncode or 0, (out + err).decode()


def parse_account_line(line: str) -> tuple[str, dict[str, str]]:
    """``account <venue> <label> key=... secret=...`` -> (label, {"venue", "key", ...})."""
    word, venue, label, *pairs = line.split()
    assert word == "account", line
    fields = {"venue": venue}
    for pair in pairs:
        name, _, value = pair.partition("=")
        fields[name] = value
    return label, fields


def sim_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", "sim", *args]


async def start_sim(*args: str, cwd: Path | None = None, timeout: float = 30.0) -> SimProcess:
    """`marginwatch sim --port 0 ARGS`, running, once it printed `ready http://HOST:PORT`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINWATCH_")}
    proc = await asyncio.create_subprocess_exec(
        *sim_command("--port", "0", *args),
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(proc.stdout.readline(), timeout)
            if not raw:
                _, err = await proc.communicate()
                raise AssertionError(f"marginwatch sim ended before ready: {err.decode()}")
            line = raw.decode().rstrip("\n")
            lines.append(line)
            if line.startswith("ready "):
                break
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    accounts = dict(parse_account_line(line) for line in lines if line.startswith("account "))
    return SimProcess(proc, lines[-1].split(" ", 1)[1], accounts, lines)
