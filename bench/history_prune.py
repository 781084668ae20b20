"""The hourly health-history prune: rows/s and the longest database transaction, old vs chunked.

    python bench/history_prune.py            # 100 accounts x 10,000 minutely samples (1M rows)
    python bench/history_prune.py --quick    # 20 accounts x 5,000 samples, seconds
    python bench/history_prune.py --json
    python bench/history_prune.py --rows m003  # samples as written before m004 (no pool kept)

One SQLite file is filled once and copied, so both prunes start from the same rows. "old" is
the former single-transaction prune (one delete by age, one delete over a row_number() window
of the whole table), kept here as the baseline. "chunked" is ``Store.prune_history``: deletes
of at most 2,000 rows and 25 accounts a step, one ``Store.run`` each. Every transaction on the
database thread is timed; the longest is how long a poll queued behind the prune could wait.
The "hourly" rows prune again an hour later (60 new samples per account): the steady state in
production. A longest transaction near 100 ms is SQLite's WAL auto-checkpoint (every ~4 MB of
WAL, on whichever commit crosses it, a poll's included), not the prune's delete.

Samples are written as the poller writes them since m004 (the worst state of every pool and
the pool nearest liquidation beside the account's figures: an account with an isolated
position), unless ``--rows m003`` asks for the older, narrower rows whose pool columns are
empty (thinning then reads their ``state``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import load_average, percentile
from bot.store import Store, Tx, Vault, generate_key

NOW = 1_800_000_000.0
SPACING = 60.0
# Retention and cap chosen so each prune has work of every kind: ~10% of the rows expire,
# the cap trims what remains to 8,000 per account, and the day-old hours are thinned.
CAP = 8000


def _retention(points: int) -> float:
    return 0.9 * points * SPACING


def _old_prune(now: float, retention: float, cap: int, tx: Tx) -> int:
    db = tx.db
    removed = db.execute("delete from health_history where at < ?", [now - retention]).rowcount
    removed += db.execute(
        "delete from health_history where rowid in ("
        " select rowid from (select rowid, row_number() over "
        "  (partition by account_id order by at desc) as newest_first from health_history)"
        " where newest_first > ?)",
        [cap],
    ).rowcount
    return removed


COLUMNS = {
    "m003": ("account_id", "at", "state", "equity", "ratio"),
    "m004": (
        "account_id",
        "at",
        "state",
        "equity",
        "ratio",
        "worst_state",
        "closest_kind",
        "closest_name",
        "closest_side",
        "closest_state",
        "closest_ratio",
        "closest_move",
    ),
}
ROWS = "m004"


def _rows(account_ids: list[int], points: int, end: float) -> list[tuple[Any, ...]]:
    if ROWS == "m003":
        return [
            (account, end - SPACING * i, "ok", 1000.0 + i % 97, 0.3)
            for account in account_ids
            for i in range(points)
        ]
    return [
        (
            account,
            end - SPACING * i,
            "ok",
            1000.0 + i % 97,
            0.0,
            "ok",
            "isolated",
            "ETH/USDC:USDC",
            "long",
            "ok",
            0.3,
            -0.05 - (i % 89) / 1000,
        )
        for account in account_ids
        for i in range(points)
    ]


def _insert(tx: Tx, rows: list[tuple[Any, ...]]) -> None:
    names = COLUMNS[ROWS]
    tx.db.conn.executemany(
        f"insert into health_history ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        rows,
    )


async def _fill(path: Path, vault: Vault, accounts: int, points: int) -> list[int]:
    store = await Store.open(path, vault)
    owner = await store.ensure_user("discord", "1", now=0.0)
    ids = [
        (await store.add_account(owner.id, "okx", f"a{i}", None, now=0.0)).id
        for i in range(accounts)
    ]
    rows = _rows(ids, points, NOW)
    await store.run(lambda tx: _insert(tx, rows))
    await store.close()
    return ids


class _Timed:
    """Times every transaction the store runs on its database thread."""

    def __init__(self, store: Store) -> None:
        self.durations: list[float] = []
        inner = store._in_transaction

        def timed(fn: Any, write: bool) -> Any:
            started = time.perf_counter()
            try:
                return inner(fn, write)
            finally:
                self.durations.append(time.perf_counter() - started)

        store._in_transaction = timed  # type: ignore[method-assign]


async def _prune(path: Path, vault: Vault, kind: str, ids: list[int], points: int) -> list[dict]:
    store = await Store.open(path, vault)
    retention = _retention(points)
    results = []
    for label, now in (("first", NOW), ("hourly", NOW + 3600)):
        if label == "hourly":
            fresh = _rows(ids, 60, now)
            await store.run(lambda tx, fresh=fresh: _insert(tx, fresh))
        before = await store.read(lambda tx: tx.history.count())
        timer = _Timed(store)
        started = time.perf_counter()
        if kind == "old":
            removed = await store.run(lambda tx, now=now: _old_prune(now, retention, CAP, tx))
        else:
            removed = await store.prune_history(
                now=now, retention_seconds=retention, max_points_per_account=CAP
            )
        elapsed = time.perf_counter() - started
        del store._in_transaction  # the class's own method again
        results.append(
            {
                "prune": kind,
                "run": label,
                "rows_before": before,
                "removed": removed,
                "seconds": round(elapsed, 3),
                "rows_per_second": round(removed / elapsed) if elapsed else 0,
                "transactions": len(timer.durations),
                "median_transaction_ms": round(percentile(timer.durations, 0.5) * 1000, 1),
                "longest_transaction_ms": round(max(timer.durations) * 1000, 1),
            }
        )
    await store.close()
    return results


async def measure(accounts: int, points: int) -> dict[str, Any]:
    vault = Vault.from_strings([generate_key()])
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.db"
        ids = await _fill(base, vault, accounts, points)
        runs = []
        for kind in ("old", "chunked"):
            copy = Path(folder) / f"{kind}.db"
            shutil.copy(base, copy)
            runs += await _prune(copy, vault, kind, ids, points)
    return {
        "accounts": accounts,
        "points_per_account": points,
        "cap": CAP,
        "rows": ROWS,
        "load_average": load_average(),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=None, help="accounts (100)")
    parser.add_argument("--points", type=int, default=None, help="samples per account (10,000)")
    parser.add_argument("--quick", action="store_true", help="20 accounts x 5,000 samples")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--rows",
        choices=sorted(COLUMNS),
        default="m004",
        help="how samples are written: since m004 (with the nearest pool), or before it",
    )
    args = parser.parse_args()
    global ROWS
    ROWS = args.rows
    accounts = args.accounts or (20 if args.quick else 100)
    points = args.points or (5000 if args.quick else 10_000)
    global CAP
    CAP = min(CAP, int(points * 0.8))
    result = asyncio.run(measure(accounts, points))
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{accounts} accounts x {points} samples ({ROWS} rows), cap {CAP}, "
        f"load {result['load_average']}"
    )
    header = (
        "prune",
        "run",
        "rows_before",
        "removed",
        "seconds",
        "rows_per_second",
        "transactions",
        "median_transaction_ms",
        "longest_transaction_ms",
    )
    print("  ".join(f"{h:>14}" for h in header))
    for row in result["runs"]:
        print("  ".join(f"{row[h]!s:>14}" for h in header))


if __name__ == "__main__":
    main()
