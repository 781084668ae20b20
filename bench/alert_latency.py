"""From a price move at the exchange to the alert in the trader's Telegram chat: how long it takes.

    python bench/alert_latency.py                     # 30 accounts, 10 price moves
    python bench/alert_latency.py --background 330    # meanwhile ~165 other polls per second
    python bench/alert_latency.py --quick --json      # 6 accounts, 2 moves, seconds

The whole production path, nothing mocked: the exchange simulator (in its own process, as in
monitor_capacity.py; ``--latency`` per request), ExchangeHub and real ccxt, risk, the Monitor's
poll, the alert policy, the outbox on a SQLite file, the kicked delivery, the real
TelegramTransport and python-telegram-bot client (with the production pacing of one message per
second per private chat) sending to the fake Bot API server (``tests/fakes/telegram_api.py``)
over HTTP on 127.0.0.1.

The measured accounts hold a long BTC position on kraken, binanceusdm and bybit, each with a DM
subscription. Each move sets BTC ``--drop`` lower on every venue (every account escalates),
then the next one restores it (every account recovers). ``--background N`` adds N calm ETH
accounts over all four venues, polled at the same interval, which a BTC move leaves alone: the
load of a community while the alerts go out. The poll that "sees" a move is the first read
whose snapshot carries the new BTC mark; latency = the message's arrival at the fake server −
the start of that poll (target: p99 < 1 s). "From the step" adds the wait for that poll, which
the poll interval bounds. A crash, recovery and crash a few seconds apart are three alerts
(each alert has its own number in its subscription's sequence).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    LONG_VENUES,
    build_monitor,
    load_average,
    percentile,
    population,
    seed_accounts,
    wait_for,
)
from bench.monitor_capacity import SimulatorProcess

VENUES = LONG_VENUES
# The BTC market each venue's bench account holds, as the simulator prices it.
BTC = {"kraken": "BTC/USD", "binanceusdm": "BTC/USDT", "bybit": "BTC/USDT:USDT"}
BTC_PRICE = 60_000.0
FIRST_CHAT = 7_000_001  # Telegram private chat ids are the users' ids (positive)


class SeeingPolls:
    """Wraps the snapshot source: when each read started and which BTC mark it saw."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self.reads: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.count = 0

    async def read(self, account: Any) -> Any:
        started = time.monotonic()
        result = await self._source.read(account)
        self.count += 1
        marks = [p.mark_price for p in result.snapshot.positions if p.symbol.startswith("BTC/")]
        if marks:
            self.reads[account.id].append((started, marks[0]))
        return result

    def first_seeing(self, account_id: int, price: float) -> float | None:
        """Start of the first read that saw ``price`` after the last read that saw another.

        A read started just before the step can see the new price (its request reached the
        exchange after the move): that read is the one that saw it.
        """
        reads = sorted(self.reads[account_id])
        old = [started for started, mark in reads if not _same(mark, price)]
        after_old = max(old, default=float("-inf"))
        return next(
            (started for started, mark in reads if _same(mark, price) and started > after_old), None
        )


def _same(mark: float, price: float) -> bool:
    return abs(mark - price) <= price * 1e-6


async def set_btc(sim: SimulatorProcess, price: float) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for venue in VENUES:
            async with session.get(
                f"http://127.0.0.1:{sim.control}/price",
                params={"venue": venue, "symbol": BTC[venue], "price": str(price)},
            ) as response:
                response.raise_for_status()


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from telegram.ext import ApplicationBuilder

    from bot.chat.telegram.pace import PacedRateLimiter, PrivateChatPace
    from bot.chat.telegram.transport import TelegramTransport
    from bot.exchanges import Budget, ExchangeHub
    from bot.monitor.clock import SystemClock
    from bot.monitor.due import PollIntervals
    from bot.monitor.source import HubSource
    from bot.monitor.transport import Transports
    from bot.store import Store, Vault, generate_key
    from tests.fakes.telegram_api import FakeTelegramAPI, serve

    accounts, interval = args.accounts, args.interval
    kind = f"latency:{accounts}"
    specs = population(kind, args.background)  # the measured accounts come first
    sim = SimulatorProcess(
        args.background, args.latency, args.markets, kind=kind, limits=not args.no_limits
    )
    api = FakeTelegramAPI()
    server = await serve(api)
    chats = [FIRST_CHAT + index for index in range(accounts)]
    for chat in chats:
        api.private_chat(chat)
    application = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .rate_limiter(PacedRateLimiter(PrivateChatPace(1.0)))
        .build()
    )
    await application.initialize()
    clock = SystemClock()
    samples: list[float] = []
    escalations: list[float] = []
    from_step: list[float] = []
    missing = 0
    missing_reasons: Counter[str] = Counter()
    polls_before = polls_after = 0
    window_started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.db", Vault.from_strings([generate_key()]))
        hub = ExchangeHub(base_urls=sim.base_urls(), budget=Budget(enforce=not args.no_limits))
        ids = await store.run(
            lambda tx: seed_accounts(
                tx,
                specs,
                now=clock.now(),
                first_poll=clock.now(),
                spread=interval,
                platform="telegram",
                first_chat=FIRST_CHAT,
            )
        )
        measured = ids[:accounts]
        transports = Transports()
        transports.register("telegram", TelegramTransport(application.bot))
        source = SeeingPolls(HubSource(store, hub))
        monitor = build_monitor(
            store,
            source,
            transports,
            clock=clock,
            tick_seconds=args.tick,
            per_venue=args.per_venue,
            intervals=PollIntervals(calm=interval, watch=interval, danger=interval),
        )
        await monitor.start()
        # Let every account be polled once (instances built, everyone judged calm) first.
        await wait_for(lambda: all(source.reads[i] for i in measured), timeout=30 * interval)
        await asyncio.sleep(interval)
        load_before = load_average()
        polls_before, window_started = source.count, time.monotonic()
        for move in range(args.moves):
            price = BTC_PRICE * (1 - args.drop) if move % 2 == 0 else BTC_PRICE
            sent_before = len(api.calls_of("sendMessage"))
            stepped = time.monotonic()
            await set_btc(sim, price)

            def arrived(sent_before: int = sent_before) -> dict[str, float]:
                calls = api.calls_of("sendMessage")[sent_before:]
                return {str(c.params.get("chat_id")): c.at for c in calls if c.failed is None}

            await wait_for(lambda: len(arrived()) >= accounts, timeout=5 * interval + 10)
            arrivals = arrived()
            for account_id, chat in zip(measured, chats, strict=True):
                seen = source.first_seeing(account_id, price)
                at = arrivals.get(str(chat))
                if seen is None or at is None:
                    missing += 1
                    why = "no message" if at is None else "no poll saw the price"
                    missing_reasons[f"{specs[ids.index(account_id)].venue}: {why}"] += 1
                    continue
                samples.append(at - seen)
                from_step.append(at - stepped)
                if move % 2 == 0:
                    escalations.append(at - seen)
            await asyncio.sleep(1.1)  # the private-chat pace: one message per second per chat
        polls_after = source.count
        window = time.monotonic() - window_started
        await monitor.stop()
        await hub.close()
        await store.close()
    await application.shutdown()
    await server.__aexit__(None, None, None)
    sim.close()
    return {
        "accounts": accounts,
        "venues": list(VENUES),
        "moves": args.moves,
        "latency_s": args.latency,
        "limits": "off" if args.no_limits else "on",
        "poll_interval_s": interval,
        "background_accounts": args.background,
        "background_polls_demanded_per_second": round(args.background / interval, 1),
        "polls_per_second": round((polls_after - polls_before) / max(window, 1e-9), 1),
        "per_venue": args.per_venue,
        "alerts": len(samples),
        "missing": missing,
        "missing_reasons": dict(missing_reasons),
        "after_poll_p50_s": round(percentile(samples, 0.50), 3),
        "after_poll_p99_s": round(percentile(samples, 0.99), 3),
        "after_poll_max_s": round(max(samples, default=0.0), 3),
        "escalation_after_poll_p99_s": round(percentile(escalations, 0.99), 3),
        "from_step_p50_s": round(percentile(from_step, 0.50), 3),
        "from_step_p99_s": round(percentile(from_step, 0.99), 3),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=None, help="measured accounts (30)")
    parser.add_argument("--moves", type=int, default=None, help="price moves (10)")
    parser.add_argument(
        "--background",
        type=int,
        default=0,
        help="extra calm ETH accounts polled meanwhile (load: N / interval)",
    )
    parser.add_argument("--latency", type=float, default=0.05, help="simulator latency, s")
    parser.add_argument(
        "--markets",
        type=int,
        default=None,
        help="extra binanceusdm perpetuals listed (400; quick 100)",
    )
    parser.add_argument("--drop", type=float, default=0.2, help="BTC fall per crash (0.2)")
    parser.add_argument(
        "--interval",
        type=float,
        default=2.0,
        help="poll interval, s (short so the run is; it does not change the "
        "latency after the poll)",
    )
    parser.add_argument("--tick", type=float, default=0.1, help="monitor tick, s")
    parser.add_argument("--per-venue", type=int, default=32, help="polls in flight per venue")
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="switch the venues' request limits off in the simulator and the hub",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="6 accounts, 2 moves")
    args = parser.parse_args()
    if args.accounts is None:
        args.accounts = 6 if args.quick else 30
    if args.moves is None:
        args.moves = 2 if args.quick else 10
    if args.markets is None:
        args.markets = 100 if args.quick else 400
    if (
        args.accounts < 1
        or args.moves < 1
        or args.background < 0
        or args.interval <= 0
        or args.tick <= 0
        or args.per_venue < 1
        or args.latency < 0
        or args.markets < 0
        or not 0 < args.drop < 1
    ):
        print(
            "alert_latency: --accounts, --moves and --per-venue must be >= 1, --background, "
            "--latency and --markets >= 0, --interval and --tick > 0, and 0 < --drop < 1",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"alert latency: {args.accounts} accounts on {', '.join(VENUES)}, {args.moves} BTC "
        f"moves of {args.drop:.0%}, {args.latency * 1000:g} ms simulated exchange latency, "
        f"{args.background} background accounts ({report['polls_per_second']} polls/s); "
        f"venue limits {report['limits'].upper()}"
    )
    print(f"alerts measured {report['alerts']} (missing {report['missing']})")
    print(f"{'':34} {'p50':>8} {'p99':>8}")
    print(
        f"{'after the poll that saw it (s)':34} {report['after_poll_p50_s']:>8} "
        f"{report['after_poll_p99_s']:>8}"
    )
    print(
        f"{'from the price step (s)':34} {report['from_step_p50_s']:>8} "
        f"{report['from_step_p99_s']:>8}"
    )
    print(
        f"escalations only, p99 after the poll: {report['escalation_after_poll_p99_s']} s; "
        f"load average {report['load_average_after']} (shared machine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
