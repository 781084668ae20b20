"""How fast `risk.assess` judges accounts: accounts per second by book size, cost per position.

    python bench/risk_bench.py            # table
    python bench/risk_bench.py --json     # one JSON object (keys in bench/README.md)
    python bench/risk_bench.py --quick    # a few hundred milliseconds per size

Books are linear USDⓈ-M-style accounts with a mix of flat rates and 4-bracket ladders, half
long and half short, so every per-position path (bracket look-up, liquidation and margin-call
price, bracket re-check of the uniform move) is exercised. Runs on one core (one process).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import risk

LADDER = risk.build_tiers(
    [
        (0, 50_000, 0.004),
        (50_000, 250_000, 0.005),
        (250_000, 1_000_000, 0.01),
        (1_000_000, None, 0.025),
    ]
)


def make_book(positions: int, seed: int) -> risk.AccountSnapshot:
    rnd = random.Random(seed)
    legs = []
    gross = 0.0
    for i in range(positions):
        mark = rnd.uniform(1, 60_000)
        size = rnd.uniform(1_000, 400_000) / mark * (1 if i % 2 else -1)
        gross += abs(size) * mark
        tiered = i % 3 == 0
        legs.append(
            risk.Position(
                symbol=f"C{i}/USDT:USDT",
                kind="linear",
                size=size,
                entry_price=mark * rnd.uniform(0.9, 1.1),
                mark_price=mark,
                maintenance_rate=None if tiered else 0.005,
                tiers=LADDER if tiered else (),
            )
        )
    return risk.AccountSnapshot(
        venue="binanceusdm", settle="USDT", wallet_balance=gross / 5, positions=tuple(legs)
    )


def measure(positions: int, budget: float, work: int = 2_000) -> dict[str, float]:
    """Time batches of assessments for about ``budget`` seconds; report the best and the median
    batch. The best batch is the figure that other processes on a shared machine disturb
    least; the median shows how much they did."""
    books = [make_book(positions, seed) for seed in range(32)]
    assess = risk.assess
    per_batch = max(1, work // positions)  # about the same work per batch at every size

    def batch() -> None:
        for _ in range(per_batch):
            for book in books:
                assess(book)

    batch()  # warm up
    timings: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < budget or len(timings) < 5:
        t0 = time.perf_counter()
        batch()
        timings.append(time.perf_counter() - t0)
    accounts = per_batch * len(books)
    best = min(timings) / accounts
    median = statistics.median(timings) / accounts
    return {
        "positions": positions,
        "accounts": accounts * len(timings),
        "batches": len(timings),
        "accounts_per_second": 1 / best,
        "accounts_per_second_median": 1 / median,
        "us_per_account": best * 1e6,
        "us_per_position": best * 1e6 / positions,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="short run")
    args = parser.parse_args()
    budget = 0.3 if args.quick else 2.0
    rows = [measure(n, budget, 200 if args.quick else 2_000) for n in (1, 10, 100, 1000)]
    ten = next(r for r in rows if r["positions"] == 10)
    flat = rows[-1]["us_per_position"] / ten["us_per_position"]
    result = {
        "bench": "risk",
        "quick": args.quick,
        "sizes": rows,
        "ten_position_accounts_per_second": ten["accounts_per_second"],
        "per_position_cost_ratio_1000_vs_10": flat,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"{'positions':>9} {'accounts/s':>12} {'median/s':>12} {'µs/account':>12} "
        f"{'µs/position':>12}"
    )
    for r in rows:
        print(
            f"{r['positions']:>9} {r['accounts_per_second']:>12,.0f} "
            f"{r['accounts_per_second_median']:>12,.0f} {r['us_per_account']:>12.1f} "
            f"{r['us_per_position']:>12.2f}"
        )
    print("(one process, one core; accounts/s and µs from the best batch, median beside it)")
    print(f"\nper-position cost, 1,000 vs 10 positions: {flat:.2f}x (flat = 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
