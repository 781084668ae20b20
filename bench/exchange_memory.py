"""Memory and set-up time per account for many accounts on one exchange: shared vs. naive.

    python bench/exchange_memory.py            # 1,000 accounts, table
    python bench/exchange_memory.py --json     # one JSON object
    python bench/exchange_memory.py --quick    # 100 accounts, smaller market table

Both sides read every account once through the real path (ccxt → adapter → risk validation)
against the local simulator's Binance USDⓈ-M with a realistic market table:

- shared: one ExchangeHub; markets loaded once and shared by reference
  (set_markets_from_exchange), one aiohttp session and SSL context for the exchange, leverage
  brackets fetched once, one small ccxt instance per account.
- naive: one independently loaded ccxt set-up per account (its own hub: own markets, own
  session, own SSL context, own bracket call), as a bot that does `ccxt.binanceusdm(key)` per
  user would have.

The naive side is measured on at most ``--naive-accounts`` (default 200) accounts: its cost per
account is linear and 1,000 of them would take several GB on a shared machine; the table says
how many were measured. Each side runs in a fresh process so freed memory of one cannot hide
the other's cost. RSS is read with psutil after a garbage collection; "per account" =
(RSS after − RSS before) / N.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VENUE = "binanceusdm"


def rss_mb() -> float:
    import psutil

    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


async def measure(variant: str, accounts: int, markets: int, concurrency: int) -> dict:
    from bot.exchanges import Credentials, ExchangeHub
    from bot.sim import Simulator

    sim = Simulator()
    sim.venue(VENUE).synthetic_markets = markets  # type: ignore[attr-defined]
    keys = [Credentials(api_key=f"bench-{i}", secret=f"bench-secret-{i}") for i in range(accounts)]
    for creds in keys:
        sim.add_account(
            VENUE,
            api_key=creds.api_key,
            secret=creds.secret,
            wallet_balance=1000.0,
            positions=[{"symbol": "BTC/USDT:USDT", "size": 0.01, "entry_price": 60000.0}],
        )
    await sim.start()
    # A long timeout: 50 naive set-ups parsing markets at once starve one event loop.
    options = {
        "base_urls": {VENUE: sim.base_url(VENUE)},
        "timeout_ms": 300_000,
    }
    hubs: list[ExchangeHub] = []
    # Warm-up outside the measurement: imports, the simulator's first answers.
    async with ExchangeHub(**options) as warm:  # type: ignore[arg-type]
        await warm.read_account(VENUE, keys[0])
    before = rss_mb()
    semaphore = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    if variant == "shared":
        hub = ExchangeHub(**options)  # type: ignore[arg-type]
        hubs.append(hub)

        async def one(creds: Credentials) -> None:
            async with semaphore:
                await hub.read_account(VENUE, creds)
    else:

        async def one(creds: Credentials) -> None:
            async with semaphore:
                own = ExchangeHub(**options)  # type: ignore[arg-type]
                hubs.append(own)
                await own.read_account(VENUE, creds)

    await asyncio.gather(*(one(creds) for creds in keys))
    elapsed = time.perf_counter() - started
    after = rss_mb()
    exchange_info_calls = sum(1 for r in sim.requests if r.path.endswith("/exchangeInfo"))
    for hub in hubs:
        await hub.close()
    await sim.stop()
    return {
        "variant": variant,
        "accounts": accounts,
        "markets": markets + 4,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "memory_per_account_mb": round((after - before) / accounts, 4),
        "setup_ms_per_account": round(elapsed / accounts * 1000, 3),
        "total_seconds": round(elapsed, 2),
        "market_loads": exchange_info_calls - 1,  # minus the warm-up
    }


def run_variant(variant: str, accounts: int, markets: int, concurrency: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--variant",
        variant,
        "--accounts",
        str(accounts),
        "--markets",
        str(markets),
        "--concurrency",
        str(concurrency),
    ]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="100 accounts, 100 markets")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument(
        "--markets",
        type=int,
        default=None,
        help="extra perpetuals in the simulated exchangeInfo (default 400)",
    )
    parser.add_argument(
        "--naive-accounts",
        type=int,
        default=200,
        help="cap on accounts measured for the naive side (default 200)",
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--variant", choices=("shared", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    accounts = args.accounts or (100 if args.quick else 1000)
    markets = args.markets if args.markets is not None else (100 if args.quick else 400)
    if accounts < 1 or markets < 0 or args.concurrency < 1:
        print(
            "exchange_memory: --accounts and --concurrency must be >= 1, --markets >= 0",
            file=sys.stderr,
        )
        return 2
    if args.variant:
        print(json.dumps(asyncio.run(measure(args.variant, accounts, markets, args.concurrency))))
        return 0
    naive_accounts = min(accounts, max(1, args.naive_accounts))
    results = {
        "shared": run_variant("shared", accounts, markets, args.concurrency),
        "naive": run_variant("naive", naive_accounts, markets, args.concurrency),
    }
    ratio = results["naive"]["memory_per_account_mb"] / max(
        results["shared"]["memory_per_account_mb"], 1e-9
    )
    report = {
        "venue": VENUE,
        "accounts": accounts,
        "markets": markets + 4,
        "results": results,
        "memory_ratio_naive_over_shared": round(ratio, 1),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{accounts} accounts on {VENUE} (simulator, {markets + 4} markets), "
        "each read once through ccxt → adapter"
    )
    print(f"{'':24} {'shared':>12} {'naive':>12}")
    print(f"{'accounts measured':24} {accounts:>12} {naive_accounts:>12}")
    for key, label in (
        ("memory_per_account_mb", "memory / account (MB)"),
        ("setup_ms_per_account", "set-up / account (ms)"),
        ("market_loads", "market loads"),
        ("rss_after_mb", "RSS after (MB)"),
        ("total_seconds", "total (s)"),
    ):
        print(f"{label:24} {results['shared'][key]:>12} {results['naive'][key]:>12}")
    print(f"naive needs {ratio:.1f}× the memory per account")
    return 0


if __name__ == "__main__":
    sys.exit(main())
