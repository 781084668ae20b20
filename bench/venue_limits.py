"""Accounts on one IP per venue, polled by the real monitor under the venues' enforced limits.

    python bench/venue_limits.py --venues binanceusdm --accounts 2000 --minutes 5 --speed 1
    python bench/venue_limits.py                      # every bench venue, 2,000 accounts each
    python bench/venue_limits.py --quick --json       # 300 accounts, 6 venue-minutes at 20x
    python bench/venue_limits.py --proxies 2          # over two local egress proxies

What runs, per venue, each in a fresh process: the exchange simulator in its own process
enforcing the venue's limits (``bot/exchanges/limits.py``: weights, windows, Retry-After, bans
for not backing off), and the production Monitor, HubSource and ExchangeHub with its request
budget, over SQLite, with ``--accounts`` accounts on that venue alone, one in ``--danger-every``
at margin call or worse. Every account wants a read every 60 s (30 s at watch, 10 s at margin
call and critical, the product's defaults).

Time: ``--speed`` runs the venue's windows, the simulator's and the budget's alike, and the
monitor's clock that many times faster (1: real time). ``--minutes`` are venue minutes; cadences
are measured on reads after the first ``--warmup`` share of them (the start-up spread settles).
``--proxies N`` starts N HTTP proxies (pproxy) on 127.0.0.2 and up, each leaving from its own
address, so the simulator sees N IPs, and hands them to the hub as egress proxies.

Figures per venue: accounts; reads demanded and granted per minute (the budget's plan) and
achieved; cadence p50/p99 of calm accounts and p99 of accounts at margin call or worse; the
simulator's count of "limited" answers and bans; the largest cost any one scope (IP or key)
spent in one window as the venue counts it, against the limit; and what /healthz says.
``--json`` keys per venue (``venues``): exactly ``accounts``, ``rate_limited_responses``,
``bans``, ``max_cost_per_window``, ``cost_limit_per_window``, ``calm_cadence_p50_s``,
``calm_cadence_p99_s``, ``danger_cadence_p99_s``, ``healthz`` (status and problems); the other
figures are under ``details``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    BENCH_VENUES,
    CountingTransport,
    build_monitor,
    load_average,
    percentile,
    population,
    seed_accounts,
)
from bench.monitor_capacity import SimulatorProcess, simulator_stats

CALM_INTERVAL = 60.0


class ReadLog:
    """Wraps the snapshot source: the monitor-clock time of every successful read."""

    def __init__(self, source: Any, clock: Any) -> None:
        self._source = source
        self._clock = clock
        self.reads: dict[int, list[float]] = defaultdict(list)
        self.failures: dict[str, int] = defaultdict(int)

    async def read(self, account: Any) -> Any:
        try:
            result = await self._source.read(account)
        except Exception as exc:
            # A deferral (the venue's limits spent for now) is no failure: count it apart.
            name = "deferred" if type(exc).__name__ == "ReadDeferred" else None
            self.failures[name or str(getattr(exc, "state", type(exc).__name__))] += 1
            raise
        self.reads[account.id].append(self._clock.now())
        return result


async def start_proxies(count: int) -> tuple[list[str], list[Any]]:
    import pproxy

    urls, servers = [], []
    for index in range(count):
        host = f"127.0.0.{2 + index}"
        # "@in": the proxy connects out from the address it listens on (one IP per proxy).
        server = await pproxy.Server(f"http://{host}:0/@in").start_server(
            {"rserver": [], "verbose": lambda *_: None}
        )
        servers.append(server)
        urls.append(f"http://{host}:{server.sockets[0].getsockname()[1]}")
    return urls, servers


async def run_venue(args: argparse.Namespace) -> dict[str, Any]:
    from bot.exchanges import Budget, Credentials, ExchangeHub
    from bot.exchanges.hub import _account_key
    from bot.monitor.clock import AcceleratedClock, SystemClock
    from bot.monitor.due import PollIntervals
    from bot.monitor.source import HubSource
    from bot.monitor.transport import Transports
    from bot.ops.metrics import Metrics
    from bot.store import Store, Vault, generate_key

    venue, speed = args.venue_run, args.speed
    kind = f"venue:{venue}:{args.danger_every}"
    specs = population(kind, args.accounts)
    clock = SystemClock() if speed == 1 else AcceleratedClock(speed)
    proxies, servers = await start_proxies(args.proxies)
    base_urls = {venue: f"http://127.0.0.1:{args.sim_port}/{venue}"}
    hub = ExchangeHub(base_urls=base_urls, budget=Budget(speed=speed), proxies=proxies)
    window = args.minutes * 60.0
    warmup = window * args.warmup
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.db", Vault.from_strings([generate_key()]))
        now = clock.now()
        ids = await store.run(
            lambda tx: seed_accounts(tx, specs, now=now, first_poll=now, spread=CALM_INTERVAL)
        )
        log = ReadLog(HubSource(store, hub), clock)
        transports = Transports()
        transports.register("bench", CountingTransport())
        monitor = build_monitor(
            store,
            log,
            transports,
            clock=clock,
            intervals=PollIntervals.from_calm(CALM_INTERVAL),
            tick_seconds=max(0.05, min(1.0, 2.0 / speed)),
        )
        started = clock.now()
        await monitor.start()
        await asyncio.sleep(window / speed)
        await monitor.stop()
        plan = hub.limits_report().get(venue)
        metrics = Metrics()
        metrics.set_accounts({"active": len(ids)})
        metrics.record_poll()
        metrics.watch_venue_limits(hub.limits_report)
        health = metrics.health(stale_after=3600.0)
        tokens = {
            account_id: _account_key(venue, Credentials(api_key=spec.api_key, secret=spec.secret))
            for account_id, spec in zip(ids, specs, strict=True)
        }
        urgent = {
            account_id
            for account_id, token in tokens.items()
            if (cadence := hub.budget.cadence(token)) is not None and cadence.urgent
        }
        await hub.close()
        await store.close()
    for server in servers:
        server.close()
        await server.wait_closed()
    measured_from = started + warmup
    calm_gaps: list[float] = []
    danger_gaps: list[float] = []
    reads_in_window = 0
    for account_id, times in log.reads.items():
        reads_in_window += sum(1 for t in times if t >= measured_from)
        gaps = [b - a for a, b in itertools.pairwise(times) if a >= measured_from]
        (danger_gaps if account_id in urgent else calm_gaps).extend(gaps)
    measured_minutes = max((window - warmup) / 60.0, 1e-9)
    return {
        "venue": venue,
        "accounts": len(ids),
        "danger_accounts": len(urgent),
        "calm_cadence_p50_s": round(percentile(calm_gaps, 0.5), 1),
        "calm_cadence_p99_s": round(percentile(calm_gaps, 0.99), 1),
        "danger_cadence_p50_s": round(percentile(danger_gaps, 0.5), 1),
        "danger_cadence_p99_s": round(percentile(danger_gaps, 0.99), 1),
        "calm_gaps": len(calm_gaps),
        "danger_gaps": len(danger_gaps),
        "reads_per_minute": round(reads_in_window / measured_minutes, 1),
        "reads_demanded_per_minute": plan.reads_demanded_per_minute if plan else 0.0,
        "reads_granted_per_minute": plan.reads_granted_per_minute if plan else 0.0,
        "stretch": plan.stretch if plan else 1.0,
        "budget_state": plan.state if plan else "ok",
        "read_failures": dict(log.failures),
        "healthz": {"status": health.status, "problems": list(health.problems)},
    }


def run_child(args: argparse.Namespace, venue: str) -> dict[str, Any]:
    sim = SimulatorProcess(
        args.accounts, args.latency, 0, kind=f"venue:{venue}:{args.danger_every}", speed=args.speed
    )
    try:
        command = [
            sys.executable,
            __file__,
            "--venue-run",
            venue,
            "--sim-port",
            str(sim.port),
            "--accounts",
            str(args.accounts),
            "--minutes",
            str(args.minutes),
            "--speed",
            str(args.speed),
            "--warmup",
            str(args.warmup),
            "--danger-every",
            str(args.danger_every),
            "--proxies",
            str(args.proxies),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the {venue} run failed:\n{done.stderr[-3000:]}")
        result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
        seen = asyncio.run(simulator_stats(sim.control, "limits")).get(venue, {})
    finally:
        sim.close()
    peaks = seen.get("max_cost_per_window", {})
    limits = seen.get("cost_limit_per_window", {})
    # The bucket spent nearest to its limit (for Binance USDⓈ-M: the /fapi weight per IP).
    bucket = max(peaks, key=lambda name: peaks[name] / limits[name], default=None)
    result["bucket"] = bucket
    result["max_cost_per_window"] = round(peaks.get(bucket, 0.0), 1) if bucket else 0.0
    result["cost_limit_per_window"] = limits.get(bucket, 0.0) if bucket else 0.0
    result["rate_limited_responses"] = int(seen.get("limited_answers", 0))
    result["bans"] = int(seen.get("bans", 0))
    result["requests_while_refused"] = int(seen.get("requests_while_refused", 0))
    return result


VENUE_KEYS = (
    "accounts",
    "rate_limited_responses",
    "bans",
    "max_cost_per_window",
    "cost_limit_per_window",
    "calm_cadence_p50_s",
    "calm_cadence_p99_s",
    "danger_cadence_p99_s",
    "healthz",
)


def print_table(report: dict[str, Any]) -> None:
    print(
        f"venue limits: ON (enforced by the simulator, kept by the hub's budget); "
        f"{report['speed']:g}x time, {report['minutes']:g} venue-minutes per venue, "
        f"{report['proxies']} egress proxies ({report['proxies'] or 1} IP); "
        f"load average {report['load_average_before']} (shared machine)"
    )
    rows = (
        ("accounts", "accounts"),
        ("danger_accounts", "at margin call or worse"),
        ("reads_demanded_per_minute", "reads demanded / min"),
        ("reads_granted_per_minute", "reads granted / min"),
        ("reads_per_minute", "reads achieved / min"),
        ("calm_cadence_p50_s", "calm cadence p50 (s)"),
        ("calm_cadence_p99_s", "calm cadence p99 (s)"),
        ("danger_cadence_p50_s", "danger cadence p50 (s)"),
        ("danger_cadence_p99_s", "danger cadence p99 (s)"),
        ("rate_limited_responses", "limited answers"),
        ("bans", "bans"),
        ("max_cost_per_window", "max cost in one window"),
        ("cost_limit_per_window", "limit per window"),
    )
    venues = list(report["details"])
    print(f"{'':26}" + "".join(f"{v:>15}" for v in venues))
    for key, label in rows:
        print(f"{label:26}" + "".join(f"{report['details'][v][key]!s:>15}" for v in venues))
    for venue in venues:
        health = report["details"][venue]["healthz"]
        print(f"/healthz with {venue}: {health['status']}: {'; '.join(health['problems'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", default=",".join(BENCH_VENUES), help="comma-separated")
    parser.add_argument("--accounts", type=int, default=None, help="accounts per venue (2000)")
    parser.add_argument("--minutes", type=float, default=None, help="venue minutes (30)")
    parser.add_argument("--speed", type=float, default=None, help="time speed-up (5)")
    parser.add_argument("--warmup", type=float, default=0.3, help="share of the run not measured")
    parser.add_argument("--danger-every", type=int, default=250, help="one in N at margin call")
    parser.add_argument("--latency", type=float, default=0.02, help="simulator latency, s")
    parser.add_argument("--proxies", type=int, default=0, help="local egress proxies (0: direct)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="300 accounts, 6 minutes at 20x")
    parser.add_argument("--venue-run", help=argparse.SUPPRESS)
    parser.add_argument("--sim-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name, (quick, full) in {
        "accounts": (300, 2000),
        "minutes": (6.0, 30.0),
        "speed": (20.0, 5.0),
    }.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    problems = [
        f"--{n} must be positive" for n in ("accounts", "minutes", "speed") if getattr(args, n) <= 0
    ]
    problems += [f"no bench accounts for venue {v!r}" for v in venues if v not in BENCH_VENUES]
    if not 0 <= args.warmup < 1 or args.danger_every < 1 or not 0 <= args.proxies <= 8:
        problems.append("--warmup is a share below 1, --danger-every >= 1, --proxies 0 to 8")
    if problems:
        print("venue_limits: " + "; ".join(problems), file=sys.stderr)
        return 2
    if args.venue_run:
        print(json.dumps(asyncio.run(run_venue(args))))
        return 0
    load_before = load_average()
    started = time.perf_counter()
    details = {venue: run_child(args, venue) for venue in venues}
    report = {
        "limits": "on",
        "speed": args.speed,
        "minutes": args.minutes,
        "proxies": args.proxies,
        "venues": {v: {k: d[k] for k in VENUE_KEYS} for v, d in details.items()},
        "details": details,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
