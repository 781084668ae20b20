"""`marginwatch demo`: the whole product against a local exchange simulator, in the terminal.

No chat token, no exchange key, nothing configured: a temporary database and a throwaway master
key are made, the simulator serves a Kraken spot-margin and a Binance USDⓈ-M account, both are
linked through the real link path (key check, encryption, first read), the console is their
alert chat, and a scripted market plays through the real monitor. The market's clock is the
monitor's (bot/demo/runner.py), so ``--speed`` changes how fast the story is told, never what
happens in it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

MIN_SPEED, MAX_SPEED = 1.0, 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="stop after this many real seconds (default: when the script ends)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (default 60: a minute a second); the story "
        "is the same at every speed",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help='a scenario JSON file (format: the README\'s "Demo scenarios"; start from '
        "--print-scenario)",
    )
    parser.add_argument(
        "--print-scenario",
        action="store_true",
        help="print the built-in scenario as JSON (a file to edit for --scenario) and exit",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the chart PNGs (default: a new temporary folder)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve /metrics and /healthz on 127.0.0.1:PORT while it runs",
    )
    parser.add_argument("--no-colour", action="store_true", help="plain text output")


def _fail(message: str) -> int:
    print(f"marginwatch demo: {message}", file=sys.stderr)
    return 2


def _out_dir(path: Path | None) -> Path:
    """The folder for charts and the demo database, made now; ValueError with a sentence."""
    if path is None:
        return Path(tempfile.mkdtemp(prefix="marginwatch-demo-"))
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A folder that exists but cannot be written fails here, not after the market played.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ValueError(
            f"cannot use --out {path}: {exc.strerror or exc}; give a folder you can write to"
        ) from None
    return path


def run(args: argparse.Namespace) -> int:
    from bot.demo.scenario import load_scenario, scenario_json
    from bot.sim.scenario_file import ScenarioError

    if args.print_scenario:
        sys.stdout.write(scenario_json())
        return 0
    if not MIN_SPEED <= args.speed <= MAX_SPEED:
        return _fail(f"--speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}, got {args.speed:g}")
    if args.seconds is not None and args.seconds <= 0:
        return _fail(f"--seconds must be positive, got {args.seconds:g}")
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return _fail(str(exc))
    try:
        out_dir = _out_dir(args.out)
    except ValueError as exc:
        return _fail(str(exc))
    from bot.demo.runner import DemoRunner  # heavy imports only once the arguments are good

    # The terminal is the demo's chat: only real problems may interrupt it.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)

    runner = DemoRunner(
        scenario,
        speed=args.speed,
        seconds=args.seconds,
        out_dir=out_dir,
        colour=not args.no_colour and sys.stdout.isatty(),
        metrics_port=args.metrics_port,
        stream=sys.stdout,
    )
    return asyncio.run(_main(runner))


async def _main(runner: Any) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    stopping = False

    def interrupt() -> None:
        nonlocal stopping
        if not stopping and task is not None:
            stopping = True
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, interrupt)
    started = time.monotonic()
    try:
        return await runner.run()
    except asyncio.CancelledError:
        await runner.close()
        _say(
            runner.stream,
            f"\nstopped after {time.monotonic() - started:.0f} s; "
            "everything was shut down cleanly.",
        )
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def _say(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()
