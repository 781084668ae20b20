"""`marginwatch demo`: the whole product against a local exchange simulator, in the terminal.

No chat token, no exchange key, nothing configured: a temporary database and a throwaway master
key are made, the simulator serves a Kraken spot-margin and a Binance USDⓈ-M account, both are
linked through the real link path (key check, encryption, first read), the console is their
alert chat, and a scripted market plays at accelerated time through the real monitor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from bot.demo.scenario import default_scenario

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
        help="simulated seconds per real second (default 60: a minute a second)",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help="a scenario JSON file (the built-in one: see bot/demo/scenario.py)",
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


def load_scenario(path: Path | None) -> dict[str, Any]:
    """The built-in scenario, or one from a file; ValueError with a sentence if unusable."""
    if path is None:
        return default_scenario()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    demo = data.get("demo") if isinstance(data, dict) else None
    if not isinstance(demo, dict) or not demo.get("accounts"):
        raise ValueError(f"{path}: a demo scenario needs a 'demo' section with 'accounts' to link")
    return data


def run(args: argparse.Namespace) -> int:
    if not MIN_SPEED <= args.speed <= MAX_SPEED:
        return _fail(f"--speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}, got {args.speed:g}")
    if args.seconds is not None and args.seconds <= 0:
        return _fail(f"--seconds must be positive, got {args.seconds:g}")
    try:
        scenario = load_scenario(args.scenario)
    except ValueError as exc:
        return _fail(str(exc))
    from bot.demo.runner import DemoRunner  # heavy imports only once the arguments are good

    # The terminal is the demo's chat: only real problems may interrupt it.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)

    out_dir = args.out or Path(tempfile.mkdtemp(prefix="marginwatch-demo-"))
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
