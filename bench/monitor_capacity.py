"""How many accounts one process keeps on schedule: the real monitor against the local simulator.

    python bench/monitor_capacity.py                      # 1,000 accounts, 60 s × 3
    python bench/monitor_capacity.py --accounts 10000     # the community-scale target
    python bench/monitor_capacity.py --naive              # also the obvious implementation
    python bench/monitor_capacity.py --quick --json       # 100 accounts, 2 s interval, seconds

What runs (the production parts, nothing mocked but the chat platform):

- the exchange simulator in its own process (as a remote exchange would be), ``--latency``
  seconds per request (default 50 ms), accounts spread over kraken, binanceusdm, binance and
  bybit; binanceusdm lists ``--markets`` extra perpetuals (with leverage brackets) so ccxt and
  the adapter hold a realistic table;
- the store on a SQLite file; users, accounts (credentials encrypted by the vault) and one DM
  subscription each are written through the store's repositories in one transaction instead of
  N link calls (linking checks every key at the exchange, which is not what is measured);
- shared: one ExchangeHub (markets, sessions and the request budget), HubSource decrypting
  the key per poll, and the Monitor (one APScheduler tick job, the due-account queue);
- naive (``--naive``): one ExchangeHub per account (its own ccxt instance, markets, session and
  SSL context), keys decrypted once and kept, and one APScheduler interval job per account; the
  same Poller behind it, so the store work is identical. It runs on at most ``--naive-accounts``
  accounts (its memory grows linearly; 10,000 would need tens of GB).

Clock: the real system clock. Exchange latency and CPU cost are real seconds, so only real time
says whether N/interval polls per second fit; an accelerated clock would multiply the demanded
rate instead, and a manual clock cannot be late. Lag is "poll start − due time", both read from
the monitor's clock. Polls are spread over the first interval, as a running bot's are (the
start-up re-check that makes every account due at once is left out: ``SteadyMonitor``).

Each variant runs in a fresh process, so one cannot inherit the other's memory. The venues'
request limits are on by default: the simulator enforces them and the hub's budget keeps to
them, so reads beyond what a venue allows one IP are stretched (the figure is what the bot does
for real). ``--no-limits`` switches both off for the old figure, what this machine can do; the
output says which.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    BENCH_VENUES,
    CountingTransport,
    LagRecorder,
    PeakRss,
    TimedStore,
    build_monitor,
    cpu_seconds,
    load_average,
    percentile,
    population,
    rss_mb,
    seed_accounts,
    wait_for,
    with_presenter,
)

# Seconds between seeding and the first due poll, so set-up never counts as lag.
START_OFFSET = 1.0


# --- the simulator process ---------------------------------------------------------------------


async def serve_simulator(
    kind: str, accounts: int, latency: float, markets: int, limits: bool = True, speed: float = 1.0
) -> None:
    """Run the simulator with a bench population until stdin closes (GET /stats, /price,
    /limits: the venues' limit figures as the simulator counted them)."""
    import logging

    import psutil
    from aiohttp import web

    # A client that goes away mid-request (the end of a run) is not the simulator's error.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)

    from bot.sim import Simulator
    from bot.sim.venues.binance import DEFAULT_BRACKETS

    sim = Simulator(latency=latency, limits=limits, limits_speed=speed)
    sim.venue("binanceusdm").synthetic_markets = markets  # type: ignore[attr-defined]
    # Binance answers leverageBracket for every listed symbol (~400 × ~10 brackets): give the
    # synthetic markets brackets too, so parsing them stays in the measured path.
    brackets = {f"SYN{i:04d}USDT": DEFAULT_BRACKETS["BTCUSDT"] for i in range(markets)}
    for spec in population(kind, accounts):
        state = {**spec.state, "brackets": brackets} if spec.venue == "binanceusdm" else spec.state
        sim.add_account(spec.venue, api_key=spec.api_key, secret=spec.secret, **state)
    await sim.start()
    served = 0

    async def stats(_request: web.Request) -> web.Response:
        times = psutil.Process().cpu_times()
        return web.json_response(
            {"requests": served + len(sim.requests), "cpu_seconds": times.user + times.system}
        )

    async def price(request: web.Request) -> web.Response:
        query = request.query
        sim.set_price(query["venue"], query["symbol"], float(query["price"]))
        return web.json_response({"ok": True})

    async def limits_report(_request: web.Request) -> web.Response:
        return web.json_response(sim.limits.report())

    control = web.Application()
    control.router.add_get("/stats", stats)
    control.router.add_get("/price", price)
    control.router.add_get("/limits", limits_report)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": sim.port, "control": runner.addresses[0][1]}), flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    while not stdin_closed.done():
        # The request log would grow by hundreds of rows a second: keep only the count.
        served += len(sim.requests)
        sim.requests.clear()
        await asyncio.wait({stdin_closed}, timeout=1.0)
    await runner.cleanup()
    await sim.stop()


class SimulatorProcess:
    """The simulator in a child process; ``base_urls`` for the hub, ``stats()`` for its counts."""

    def __init__(
        self,
        accounts: int,
        latency: float,
        markets: int,
        kind: str = "capacity",
        *,
        limits: bool = True,
        speed: float = 1.0,
    ) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-sim",
                "--accounts",
                str(accounts),
                "--latency",
                str(latency),
                "--markets",
                str(markets),
                "--population",
                kind,
                "--limits-speed",
                str(speed),
            ]
            + ([] if limits else ["--no-limits"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process did not start")
        ports = json.loads(line)
        self.port, self.control = int(ports["port"]), int(ports["control"])

    def base_urls(self, venues: tuple[str, ...] = BENCH_VENUES) -> dict[str, str]:
        return {venue: f"http://127.0.0.1:{self.port}/{venue}" for venue in venues}

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


async def simulator_stats(control_port: int, what: str = "stats") -> dict[str, Any]:
    """The simulator process's ``/stats`` (requests, CPU) or ``/limits`` (per venue)."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{control_port}/{what}") as response,
    ):
        return dict(await response.json())


# --- one variant, in its own process -----------------------------------------------------------


def _profiler(path: str | None) -> Any:
    """A started pyinstrument profiler of the loop thread (dev extra), or None."""
    if not path:
        return None
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002, async_mode="disabled")
    profiler.start()
    return profiler


def _credentials(spec: Any) -> Any:
    from bot.exchanges.types import Credentials

    return Credentials(api_key=spec.api_key, secret=spec.secret)


async def run_variant(args: argparse.Namespace) -> dict[str, Any]:
    from bot.exchanges import Budget, ExchangeHub
    from bot.monitor.clock import SystemClock
    from bot.monitor.due import PollIntervals
    from bot.monitor.source import HubSource
    from bot.monitor.transport import Transports
    from bot.store import Vault, generate_key

    naive = args.variant == "naive"
    count = min(args.accounts, args.naive_accounts) if naive else args.accounts
    interval = float(args.interval)
    window = interval * args.intervals
    base_urls = {venue: f"http://127.0.0.1:{args.sim_port}/{venue}" for venue in BENCH_VENUES}
    # One budget for every hub of this process (the warm-up one, the naive side's one per
    # account): they all send from one IP, whose limits they share.
    hub_options: dict[str, Any] = {
        "base_urls": base_urls,
        "budget": Budget(enforce=not args.no_limits),
    }
    specs = population("capacity", count)
    clock = SystemClock()
    intervals = PollIntervals(
        calm=interval, watch=interval / 2, danger=min(interval / 2, max(interval / 6, 0.5))
    )

    with tempfile.TemporaryDirectory() as folder:
        store = await TimedStore.open(
            Path(folder) / "bench.db", Vault.from_strings([generate_key()])
        )
        # Warm-up outside the measurement: imports, ccxt classes, one read per venue.
        async with ExchangeHub(**hub_options) as warm:
            for spec in specs[: len(BENCH_VENUES)]:
                await warm.read_account(spec.venue, _credentials(spec))
        shared_hub = None if naive else ExchangeHub(**hub_options)
        if shared_hub is not None:
            # The shared hub's per-exchange state is a fixed cost: load it before the baseline.
            for spec in specs[: len(BENCH_VENUES)]:
                await shared_hub.read_account(spec.venue, _credentials(spec))

        seeded_at = time.perf_counter()
        parked = clock.now() + 100 * interval  # nothing is due until the spread below
        ids = await store.run(
            lambda tx: seed_accounts(tx, specs, now=clock.now(), first_poll=parked, spread=interval)
        )
        seed_seconds = time.perf_counter() - seeded_at
        first_poll = clock.now() + START_OFFSET

        def spread(tx: Any) -> None:
            for index, account_id in enumerate(ids):
                tx.accounts.schedule(account_id, first_poll + interval * index / len(ids))

        await store.run(spread)
        baseline = rss_mb()
        store.busy_seconds = store.busy_cpu_seconds = 0.0
        store.transactions = 0
        load_before = load_average()
        transport = CountingTransport()
        transports = Transports()
        transports.register("bench", transport)
        cpu_started = cpu_seconds()
        profiler = _profiler(args.profile)
        with PeakRss() as peak:
            if naive:
                recorder, extra = await _run_naive(
                    store, ids, specs, hub_options, clock, intervals, transports, first_poll, window
                )
            else:
                assert shared_hub is not None
                recorder = LagRecorder(HubSource(store, shared_hub), clock)
                monitor = build_monitor(
                    store,
                    recorder,
                    transports,
                    clock=clock,
                    intervals=intervals,
                    per_venue=args.per_venue,
                    tick_seconds=args.tick,
                    steady=not args.startup,
                )
                started = time.perf_counter()
                await monitor.start()
                if args.startup:
                    # Every account is due at once: how long until each was read once?
                    await wait_for(lambda: recorder.reads >= count, timeout=window)
                    extra_startup = round(time.perf_counter() - started, 2)
                await asyncio.sleep(first_poll + window - clock.now())
                recorder.recording = False
                polls_in_window = recorder.reads
                await monitor.stop()
                extra = {
                    "polls_in_window": polls_in_window,
                    "per_venue": args.per_venue,
                    "tick_seconds": args.tick,
                }
                if args.startup:
                    extra["startup_recheck_s"] = extra_startup
                await shared_hub.close()
        cpu_used = cpu_seconds() - cpu_started
        if profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(
                profiler.output_text(unicode=True, show_all=False)
                + "\n\nflat (self time):\n"
                + profiler.output_text(unicode=True, flat=True)
            )
        queued = await store.read(
            lambda tx: tx.db.execute("select count(*) from outbox").fetchone()[0]
        )
        await store.close()

    polls = max(recorder.reads, 1)
    return {
        "variant": args.variant,
        "accounts": count,
        "interval_s": interval,
        "intervals": args.intervals,
        "window_s": window,
        "polls": recorder.reads,
        # Polls started inside the window, whether or not they finished in it.
        "polls_per_second": round(len(recorder.lags) / window, 2),
        "polls_demanded_per_second": round(count / interval, 2),
        "read_failures": recorder.failures,
        "reads_deferred": recorder.deferred,
        "read_failure_states": dict(recorder.failure_states),
        "lag_p50_s": round(percentile(recorder.lags, 0.50), 3),
        "lag_p99_s": round(percentile(recorder.lags, 0.99), 3),
        "lag_max_s": round(max(recorder.lags, default=0.0), 3),
        "cpu_ms_per_poll": round(cpu_used / polls * 1000, 3),
        "db_ms_per_poll": round(store.busy_seconds / polls * 1000, 3),
        "db_cpu_ms_per_poll": round(store.busy_cpu_seconds / polls * 1000, 3),
        "db_transactions_per_poll": round(store.transactions / polls, 2),
        "rss_baseline_mb": round(baseline, 1),
        "peak_rss_mb": round(peak.peak_mb, 1),
        "memory_per_account_mb": round((peak.peak_mb - baseline) / count, 4),
        "alerts_queued": int(queued),
        "alerts_delivered": transport.sent,
        "seed_seconds": round(seed_seconds, 2),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        **extra,
    }


async def _run_naive(
    store: Any,
    ids: list[int],
    specs: list[Any],
    hub_options: dict[str, Any],
    clock: Any,
    intervals: Any,
    transports: Any,
    first_poll: float,
    window: float,
) -> tuple[LagRecorder, dict[str, Any]]:
    """One ccxt set-up and one scheduler job per account: the obvious bot."""
    from apscheduler.events import EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED, JobExecutionEvent
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.exchanges import ExchangeHub
    from bot.exchanges.types import Credentials
    from bot.monitor.outbox import OutboxDispatcher
    from bot.monitor.poller import Poller

    accounts = {a.id: a for a in await store.all_accounts("active")}
    secrets = {account_id: await store.account_credentials(account_id) for account_id in ids}
    hubs = {account_id: ExchangeHub(**hub_options) for account_id in ids}
    venue_of = {account_id: spec.venue for account_id, spec in zip(ids, specs, strict=True)}

    class NaiveSource:
        async def read(self, account: Any) -> Any:
            keys = secrets[account.id]
            credentials = Credentials(api_key=keys.api_key or "", secret=keys.secret or "")
            return await hubs[account.id].read_account(venue_of[account.id], credentials)

    recorder = LagRecorder(NaiveSource(), clock)
    poller = Poller(store, recorder, clock, **with_presenter(Poller, {"intervals": intervals}))  # type: ignore[arg-type]
    # Alerts go straight out after the poll that queued them (one delivery at a time).
    dispatcher = OutboxDispatcher(store, transports, clock, **with_presenter(OutboxDispatcher, {}))
    delivering = asyncio.Lock()
    scheduled: dict[str, float] = {}
    missed = 0

    def listen(event: JobExecutionEvent) -> None:
        nonlocal missed
        if event.code == EVENT_JOB_MISSED:
            missed += 1
        else:
            scheduled[event.job_id] = event.scheduled_run_times[-1].timestamp()

    running = 0

    async def poll(account_id: int) -> None:
        nonlocal running
        due = scheduled.get(str(account_id))
        if recorder.recording and due is not None:
            recorder.lags.append(max(0.0, clock.now() - due))
        # The lag is the job's, not the account row's: keep the recorder from adding its own.
        account = accounts[account_id]
        plain = type(account)(**{**account.__dict__, "next_poll_at": None})
        running += 1
        try:
            result = await poller.poll(plain)
            if result is not None and result.queued:
                async with delivering:
                    await dispatcher.deliver_due()
        finally:
            running -= 1

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_listener(listen, EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED)
    for index, account_id in enumerate(ids):
        start = first_poll + intervals.calm * index / len(ids)
        scheduler.add_job(
            poll,
            "interval",
            seconds=intervals.calm,
            args=[account_id],
            id=str(account_id),
            next_run_time=datetime.fromtimestamp(start, UTC),
        )
    scheduler.start()
    await asyncio.sleep(first_poll + window - clock.now())
    recorder.recording = False
    polls_in_window = recorder.reads
    scheduler.shutdown(wait=False)
    # A job submitted just before the shutdown starts on a later loop turn: let it, then wait.
    await asyncio.sleep(0.2)
    await wait_for(lambda: running == 0, timeout=60.0)
    for hub in hubs.values():
        await hub.close()
    return recorder, {
        "polls_in_window": polls_in_window,
        "missed_runs": missed,
        "scheduler_jobs": len(ids),
    }


# --- the parent: both variants side by side --------------------------------------------------


def run_child(args: argparse.Namespace, variant: str, sim: SimulatorProcess) -> dict[str, Any]:
    command: list[str] = [
        sys.executable,
        __file__,
        "--variant",
        variant,
        "--sim-port",
        str(sim.port),
        "--accounts",
        str(args.accounts),
        "--naive-accounts",
        str(args.naive_accounts),
        "--interval",
        str(args.interval),
        "--intervals",
        str(args.intervals),
        "--per-venue",
        str(args.per_venue),
        "--tick",
        str(args.tick),
    ]
    command += ["--startup"] if args.startup else []
    command += ["--no-limits"] if args.no_limits else []
    if args.profile:
        command += ["--profile", f"{args.profile}.{variant}.txt"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {variant} variant failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def print_table(report: dict[str, Any]) -> None:
    shared, naive = report["shared"], report.get("naive")
    print(
        f"monitor capacity: {shared['accounts']} accounts over {', '.join(report['venues'])}; "
        f"{report['latency_s'] * 1000:g} ms simulated latency; {shared['interval_s']:g} s "
        f"interval × {shared['intervals']}; real clock; venue limits "
        + (
            "OFF (--no-limits: what this machine can do, not what the venues allow)"
            if report["limits"] == "off"
            else "ON (the venues' real limits, enforced by the simulator)"
        )
    )
    rows = (
        ("accounts", "accounts"),
        ("polls", "polls"),
        ("polls_per_second", "polls / s"),
        ("polls_demanded_per_second", "polls / s demanded"),
        ("read_failures", "read failures"),
        ("reads_deferred", "reads deferred (limits)"),
        ("lag_p50_s", "lag p50 (s)"),
        ("lag_p99_s", "lag p99 (s)"),
        ("lag_max_s", "lag max (s)"),
        ("cpu_ms_per_poll", "CPU / poll (ms)"),
        ("db_ms_per_poll", "DB time / poll (ms)"),
        ("db_transactions_per_poll", "DB transactions / poll"),
        ("peak_rss_mb", "peak RSS (MB)"),
        ("memory_per_account_mb", "memory / account (MB)"),
        ("alerts_queued", "alerts queued"),
        ("alerts_delivered", "alerts delivered"),
        ("seed_seconds", "seeding (s)"),
    )
    print(f"{'':26} {'shared':>12}" + (f" {'naive':>12}" if naive else ""))
    for key, label in rows:
        line = f"{label:26} {shared[key]!s:>12}"
        if naive:
            line += f" {naive[key]!s:>12}"
        print(line)
    if naive:
        print(
            f"memory per additional account: naive needs "
            f"{report['memory_ratio_naive_over_shared']}× the shared monitor's"
        )
    print(
        f"simulator: {report['simulator_requests_per_poll']} requests / poll; limited answers "
        f"{report['rate_limited_responses']}, bans {report['bans']}; "
        f"load average {report['load_average']} (shared machine)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=None, help="linked accounts (1000)")
    parser.add_argument("--intervals", type=int, default=None, help="intervals to run (3)")
    parser.add_argument("--interval", type=float, default=None, help="poll interval, s (60)")
    parser.add_argument("--latency", type=float, default=0.05, help="simulator latency, s")
    parser.add_argument(
        "--markets",
        type=int,
        default=400,
        help="extra perpetuals listed by the simulated binanceusdm",
    )
    parser.add_argument(
        "--per-venue", type=int, default=32, help="polls in flight per exchange (Monitor per_venue)"
    )
    parser.add_argument("--tick", type=float, default=None, help="monitor tick, s (1.0)")
    parser.add_argument(
        "--startup",
        action="store_true",
        help="shared side: keep the start-up re-check (every account due at "
        "once) and report how long it takes to read them all",
    )
    parser.add_argument("--naive", action="store_true", help="also run the naive implementation")
    parser.add_argument(
        "--naive-accounts",
        type=int,
        default=200,
        help="cap on the naive side's accounts (default 200)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="write a pyinstrument profile of each variant to FILE.<variant>.txt",
    )
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="switch the venues' request limits off in the simulator and the hub (the figure "
        "of what this machine can do, not of what the venues allow)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--quick", action="store_true", help="100 accounts, 2 s interval, 2 intervals, naive on 100"
    )
    parser.add_argument("--variant", choices=("shared", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--sim-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-sim", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--population", default="capacity", help=argparse.SUPPRESS)
    parser.add_argument("--limits-speed", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # "is None", not "or": an explicit 0 is bad input, not "use the default".
    defaults = {
        "accounts": (100, 1000),
        "intervals": (2, 3),
        "interval": (2.0, 60.0),
        "tick": (0.1, 1.0),
    }
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.quick:
        args.naive_accounts = min(args.naive_accounts, 100)
        args.markets = min(args.markets, 100)
    if args.serve_sim:  # started by a bench with its own checks; 0 accounts is allowed here
        asyncio.run(
            serve_simulator(
                args.population,
                args.accounts,
                args.latency,
                args.markets,
                limits=not args.no_limits,
                speed=args.limits_speed,
            )
        )
        return 0
    problems = [
        f"--{name.replace('_', '-')} must be positive"
        for name in ("accounts", "intervals", "interval", "per_venue", "naive_accounts", "tick")
        if getattr(args, name) <= 0
    ]
    if args.latency < 0 or args.markets < 0:
        problems.append("--latency and --markets cannot be negative")
    if problems:
        print("monitor_capacity: " + "; ".join(problems), file=sys.stderr)
        return 2
    if args.variant:
        print(json.dumps(asyncio.run(run_variant(args))))
        return 0

    sim = SimulatorProcess(args.accounts, args.latency, args.markets, limits=not args.no_limits)
    try:
        before = asyncio.run(simulator_stats(sim.control))
        shared = run_child(args, "shared", sim)
        after = asyncio.run(simulator_stats(sim.control))
        limits_seen = asyncio.run(simulator_stats(sim.control, "limits"))
        naive = run_child(args, "naive", sim) if args.naive else None
    finally:
        sim.close()
    # Minus the warm-up reads (one per venue, twice) that are not polls.
    requests = after["requests"] - before["requests"]
    report: dict[str, Any] = {
        "clock": "system",
        "limits": "off" if args.no_limits else "on",
        # What the simulator counted on the shared run, per venue (off: nothing enforced).
        "rate_limited_responses": {v: r["limited_answers"] for v, r in limits_seen.items()},
        "bans": {v: r["bans"] for v, r in limits_seen.items()},
        "venues": list(BENCH_VENUES),
        "latency_s": args.latency,
        "shared": shared,
        "naive": naive,
        "simulator_requests_per_poll": round(requests / max(shared["polls"], 1), 2),
        "simulator_cpu_ms_per_poll": round(
            (after["cpu_seconds"] - before["cpu_seconds"]) / max(shared["polls"], 1) * 1000, 3
        ),
        "load_average": load_average(),
    }
    if naive:
        report["memory_ratio_naive_over_shared"] = round(
            naive["memory_per_account_mb"] / max(shared["memory_per_account_mb"], 1e-6), 1
        )
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
