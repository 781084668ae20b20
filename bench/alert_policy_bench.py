"""How fast the monitor judges: policy evaluations per second, and whole polls per second on SQLite.

    python bench/alert_policy_bench.py            # table
    python bench/alert_policy_bench.py --json     # one JSON object
    python bench/alert_policy_bench.py --quick    # a short run

"policy" is ``bot.monitor.policy.evaluate`` alone (pure) over a drifting account that crosses
every level, with reminders and recoveries. "poll" is the whole per-account pipeline the
scheduler runs: due queue, in-process snapshot source, ``risk.assess``, policy, and one store
transaction (alert state, outbox rows, health history, next poll) on a real SQLite file in a
temporary folder; N accounts with one subscription each, polled concurrently. Delivery is not
included (it depends on the chat platform). One process, one core for the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.presenter import CorePresenter
from bot.exchanges.types import AccountRead
from bot.monitor.clock import ManualClock
from bot.monitor.due import DueQueue
from bot.monitor.policy import AlertRules, AlertState, Subject, evaluate
from bot.monitor.poller import Poller
from bot.store import AccountSecrets, Destination, Store, Vault, generate_key
from risk import assess
from risk.model import AccountSnapshot, Position


def snapshot(margin_ratio: float) -> AccountSnapshot:
    position = Position(
        symbol="BTC/USDT:USDT",
        kind="linear",
        size=1.0,
        entry_price=50_000.0,
        mark_price=50_000.0,
        maintenance_rate=0.25,
    )
    return AccountSnapshot(
        venue="binanceusdm",
        settle="USDT",
        wallet_balance=12_500.0 / margin_ratio,
        positions=(position,),
    )


def bench_policy(seconds: float) -> dict[str, float]:
    ratios = [0.3 + 0.7 * abs((i % 200) - 100) / 100 for i in range(200)]
    healths = [assess(snapshot(r)) for r in ratios]
    subject, rules = Subject(1, "main", "binanceusdm"), AlertRules()
    state, now, count, events = AlertState(subscription_id=1), 1.75e9, 0, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for health in healths:
            decision = evaluate(state, health, rules, subject, now)
            state, now = decision.state, now + 60
            events += len(decision.events)
        count += len(healths)
    elapsed = time.perf_counter() - started
    return {"evaluations_per_second": count / elapsed, "events_per_1000": 1000 * events / count}


class Source:
    def __init__(self) -> None:
        self.snapshots = {}

    async def read(self, account: object) -> AccountRead:
        return AccountRead(snapshot=self.snapshots[account.id])  # type: ignore[attr-defined]


async def bench_poll(accounts: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.db", Vault.from_strings([generate_key()]))
        clock, source = ManualClock(), Source()
        for n in range(accounts):
            user = await store.ensure_user("console", str(n), now=clock.now())
            account = await store.add_account(
                user.id,
                "binanceusdm",
                "main",
                AccountSecrets(api_key="k", secret="s"),
                now=clock.now(),
                next_poll_at=clock.now(),
            )
            await store.add_subscription(
                account.id, Destination("console", str(n), is_dm=True), now=clock.now()
            )
            source.snapshots[account.id] = snapshot(0.3 + 0.6 * (n % 10) / 10)
        poller = Poller(store, source, clock, presenter=CorePresenter())  # type: ignore[arg-type]
        queue = DueQueue(store, poller.poll, clock, per_venue=64)
        polls, started = 0, time.perf_counter()
        for _ in range(rounds):
            polls += await queue.launch_due()
            await queue.drain()
            clock.advance(3600)
        elapsed = time.perf_counter() - started
        await store.close()
    return {
        "accounts": accounts,
        "polls_per_second": polls / elapsed,
        "ms_per_poll": 1000 * elapsed / polls,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="short run")
    args = parser.parse_args()
    policy = bench_policy(0.3 if args.quick else 2.0)
    poll = asyncio.run(bench_poll(50 if args.quick else 300, 2 if args.quick else 5))
    result = {"policy": policy, "poll": poll}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'measure':<34}{'value':>14}")
    print(f"{'policy evaluations / s':<34}{policy['evaluations_per_second']:>14,.0f}")
    print(f"{'alert events per 1000 evaluations':<34}{policy['events_per_1000']:>14.1f}")
    print(
        f"{'polls / s (' + str(poll['accounts']) + ' accounts, SQLite)':<34}"
        f"{poll['polls_per_second']:>14,.0f}"
    )
    print(f"{'ms per poll':<34}{poll['ms_per_poll']:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
