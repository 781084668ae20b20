"""How long /chart takes to judge and draw an account's history, by number of points.

    .venv/bin/python bench/chart_render.py [--quick] [--json] [--pools]

A week of one-minute reads is about 10,000 points, a month about 40,000 (before the history
thinning of old samples). Each size is judged (every point by the user's levels) and drawn to a
PNG three times; the best run is reported, with the load average, since the machine is shared.
No exchange or network is involved. ``--pools`` draws an account whose nearest pool changes
between an isolated position and its cross positions every few hours (the history keeps the
pool nearest liquidation since migration m004): each point is judged with that pool too, and
the line is named per stretch.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import replace

from bot.core.chart import chart_data, render_png
from bot.store.records import HealthPoint, Thresholds

SIZES = (1_000, 10_000, 40_000)
QUICK_SIZES = (200, 2_000)


def _points(count: int, pools: bool = False) -> list[HealthPoint]:
    """A lower-is-safer account (Binance USDⓈ-M) drifting in and out of its watch distance;
    with ``pools``, beside it an isolated position whose own distance swings wider, so the
    nearest pool changes every few hours."""
    out = []
    for i in range(count):
        move = 0.1 + 0.05 * math.sin(i / 500)
        point = HealthPoint(
            account_id=1,
            at=1.77e9 + i * 60,
            state="ok",
            equity=10_000.0,
            ratio=0.005 / (0.005 + move),
            ratio_name="margin_ratio",
            maintenance_margin=500.0,
            move_to_liquidation=-move,
            effective_leverage=5.0,
        )
        if pools:
            own = 0.1 + 0.08 * math.sin(i / 300)
            isolated = own < move
            nearest = own if isolated else move
            point = replace(
                point,
                worst_state="ok",
                closest_kind="isolated" if isolated else "cross",
                closest_name="ETH/USDT:USDT" if isolated else None,
                closest_side="long" if isolated else None,
                closest_state="ok",
                closest_ratio=0.004 / (0.004 + nearest),
                closest_move=-nearest,
            )
        out.append(point)
    return out


def measure(count: int, runs: int, pools: bool = False) -> dict[str, float]:
    points = _points(count, pools)
    judge, draw, size = math.inf, math.inf, 0
    for _ in range(runs):
        started = time.perf_counter()
        data = chart_data(
            points,
            label="main",
            venue="binanceusdm",
            venue_label="Binance USDⓈ-M futures",
            thresholds=Thresholds(watch_move=0.15),
        )
        judged = time.perf_counter()
        png = render_png(data)
        judge = min(judge, judged - started)
        draw = min(draw, time.perf_counter() - judged)
        size = len(png)
    return {
        "points": count,
        "judge_s": round(judge, 3),
        "draw_s": round(draw, 3),
        "png_kib": round(size / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes, one run each")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument(
        "--pools", action="store_true", help="an account whose nearest pool keeps changing"
    )
    args = parser.parse_args()
    sizes, runs = (QUICK_SIZES, 1) if args.quick else (SIZES, 3)
    measure(10, 1)  # matplotlib's import and font cache are not part of a chart's cost
    before = [round(v, 2) for v in os.getloadavg()]
    rows = [measure(count, runs, args.pools) for count in sizes]
    result = {
        "pools": args.pools,
        "sizes": rows,
        "runs": runs,
        "load_average_before": before,
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'points':>8} {'judge s':>8} {'draw s':>8} {'PNG KiB':>8}")
    for row in rows:
        print(f"{row['points']:>8} {row['judge_s']:>8} {row['draw_s']:>8} {row['png_kib']:>8}")
    print(f"best of {runs}; load average before {before}, after {result['load_average_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
