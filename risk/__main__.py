"""`python -m risk assess FILE|-`: print an account snapshot's health as JSON, or as a table."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .engine import assess
from .model import Health
from .parse import SnapshotError, health_to_dict, parse_snapshot


def _pct(value: float | None) -> str:
    return "--" if value is None else f"{value * 100:+.2f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "--" if value is None else f"{value:,.{digits}f}"


def render_text(health: Health) -> str:
    """A readable table of the health, for people at a terminal."""
    r = health.ratio
    ratio = "--" if r.value is None else f"{r.value:.4f}"
    lines = [
        f"{health.venue} account ({health.settle})"
        + ("  [approximate]" if health.approximate else ""),
        f"  state               {health.state}"
        + (f"  (worst pool: {health.worst_state})" if health.worst_state != health.state else ""),
        f"  equity              {_num(health.equity)}",
        f"  maintenance margin  {_num(health.maintenance_margin)}",
        f"  {r.name:<19} {ratio}  (margin call {r.margin_call:g}, liquidation "
        f"{r.liquidation:g}, {r.safer} is safer)",
        f"  effective leverage  {_num(health.account_leverage)}x"
        + (
            f"  (cross pool alone: {_num(health.effective_leverage)}x)"
            if health.pools and health.account_leverage != health.effective_leverage
            else ""
        ),
        f"  move to margin call {_pct(health.move_to_margin_call)}",
        f"  move to liquidation {_pct(health.move_to_liquidation)}",
    ]
    for pool in health.pools:
        value = "--" if pool.ratio.value is None else f"{pool.ratio.value:.4f}"
        if pool.margin_mode == "isolated":
            (p,) = pool.positions
            lines.append(
                f"  isolated {p.symbol}: {pool.state}, {r.name} {value}, liquidation "
                f"{_num(p.liquidation_price, 4)} ({_pct(p.distance)}), "
                f"{_num(pool.effective_leverage)}x on its own margin"
            )
        else:
            lines.append(
                f"  {pool.settle} pool: {pool.state}, {r.name} {value}, equity "
                f"{_num(pool.equity)}, move to liquidation {_pct(pool.move_to_liquidation)}"
            )
    if health.positions:
        lines.append("")
        lines.append(
            f"  {'#':>2} {'symbol':<18} {'liq. price':>14} {'distance':>9} "
            f"{'venue says':>14} {'uPnL':>16}"
        )
        for p in sorted(health.positions, key=lambda p: p.close_rank):
            lines.append(
                f"  {p.close_rank:>2} {p.symbol:<18} {_num(p.liquidation_price, 4):>14} "
                f"{_pct(p.distance):>9} {_num(p.reported_liquidation_price, 4):>14} "
                f"{_num(p.unrealized_pnl):>16}"
            )
    return "\n".join(lines)


def _read(source: str, stdin: TextIO) -> object:
    if source == "-":
        return json.load(stdin)
    with open(source, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m risk", description="Cross-margin health of an account snapshot."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    assess_parser = sub.add_parser("assess", help="print the health of one snapshot")
    assess_parser.add_argument("file", help="snapshot JSON file, or - for standard input")
    assess_parser.add_argument("--text", action="store_true", help="print a readable table")
    args = parser.parse_args(argv)
    try:
        # assess() refuses figures too large to judge with a SnapshotError too.
        health = assess(parse_snapshot(_read(args.file, stdin or sys.stdin)))
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(
            f"error: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", file=sys.stderr
        )
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.text:
        print(render_text(health))
    else:
        print(json.dumps(health_to_dict(health), indent=2, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
