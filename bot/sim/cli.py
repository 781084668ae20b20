"""`marginwatch sim` (also `python -m bot.sim`): the exchange simulator as its own process.

It serves every venue's REST dialect on one port (``/<venue>/...``) and the control API
(``/_sim/...``), opens the accounts of ``--accounts FILE`` (default: one per venue, from
``bot/sim/accounts.json``), prints one ``account ...`` line per account and then
``ready http://HOST:PORT``. ``marginwatch run`` with ``MARGINWATCH_EXCHANGE_MODE=simulator``
reads it; ``curl`` moves its market. These are simulator credentials: they open nothing anywhere
else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_STEP_SECONDS = 60.0
MAX_SPEED = 3600.0
# A demo scenario file plays here too: its alert settings are the demo's business.
DEMO_ONLY = {"alerts": "the demo trader's /alerts settings (not used by the simulator)"}

log = logging.getLogger("marginwatch.sim")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port, printed when ready)",
    )
    parser.add_argument(
        "--accounts",
        type=Path,
        metavar="FILE",
        help="accounts to open (JSON; format in the README). Default: one per venue, "
        "from bot/sim/accounts.json, unless the scenario opens its own",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="a scenario file (the demo's format, see the README's \"Demo scenarios\": "
        "prices, accounts, and price 'steps' played one per step_seconds of simulated time)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second for the scenario's steps (default 1)",
    )


def _fail(message: str) -> int:
    print(f"marginwatch sim: {message}", file=sys.stderr)
    return 2


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None


def run(args: argparse.Namespace) -> int:
    from bot.sim.accounts import DEFAULT_ACCOUNTS, AccountsError, load_accounts, open_accounts
    from bot.sim.scenario import Scenario
    from bot.sim.scenario_file import ScenarioError, parse_scenario
    from bot.sim.server import Simulator

    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be from 0 to 65535, not {args.port}")
    if not 0 < args.speed <= MAX_SPEED:
        return _fail(f"--speed must be above 0 and at most {MAX_SPEED:g}, not {args.speed:g}")
    try:
        scenario = (
            parse_scenario(
                _read_json(args.scenario), source=str(args.scenario), extra_fields=DEMO_ONLY
            )
            if args.scenario is not None
            else None
        )
    except (ValueError, ScenarioError) as exc:
        return _fail(str(exc))
    if args.speed != 1.0 and not (scenario and scenario.steps):
        print(
            "marginwatch sim: note: --speed paces a scenario's steps; there are none",
            file=sys.stderr,
        )
    scenario_has_accounts = scenario is not None and bool(scenario.accounts.accounts)
    path = args.accounts or (None if scenario_has_accounts else DEFAULT_ACCOUNTS)
    try:
        if scenario is not None:
            sim, opened = scenario.simulator()
        else:
            sim, opened = Simulator(Scenario()), []
            sim.serve_all()
        if path is not None:
            opened += open_accounts(sim, load_accounts(path))
    except (ValueError, AccountsError) as exc:
        return _fail(str(exc))
    if not log.handlers:  # its own handler: the person reads these lines, nobody else's
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    step_seconds = scenario.step_seconds if scenario is not None else DEFAULT_STEP_SECONDS
    return asyncio.run(_serve(args, sim, opened, step_seconds / args.speed))


async def _serve(args: argparse.Namespace, sim: Any, opened: list[Any], step_every: float) -> int:
    try:
        await sim.start(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    stepper = None
    try:
        for account in opened:
            print(account.line())
        if not opened:
            print("no accounts are open: give --accounts FILE to open some")
        print(f"ready {sim.url}", flush=True)
        if sim.scenario.steps:
            stepper = asyncio.create_task(_play(sim, step_every), name="sim-steps")
        await stop.wait()
    finally:
        if stepper is not None:
            stepper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stepper
        await sim.stop()
    print("simulator stopped", flush=True)
    return 0


async def _play(sim: Any, every: float) -> None:
    total = len(sim.scenario.steps)
    while sim.steps_taken < total:
        await asyncio.sleep(every)
        phase = sim.scenario.steps[sim.steps_taken].get("phase")
        sim.step()
        log.info("step %d/%d%s", sim.steps_taken, total, f": {phase}" if phase else "")
    log.info("the scenario's steps are done; prices stay where they are")


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.sim``: the same as ``marginwatch sim``."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.sim", description="serve the exchange simulator"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
