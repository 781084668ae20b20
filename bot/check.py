"""`marginwatch check`: read one account once and show its health exactly as the chats would.

The reading half (options, key, live or replayed read) is ``bot.exchanges.check``. This half
judges the level as the monitor does (``policy.judge_level``, with the thresholds a chat user
sets through /alerts: ``--watch``, ``--critical``, else the product's defaults) and shows the
chats' own view model (``bot.core.views.health_view``): the status card as the console renders
it, then the liquidation-price lines. ``--json`` prints the Health JSON plus that view: the
level, every note and the figures as worded in the chat.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bot.exchanges import check as reading

CHECK_THRESHOLDS = (
    "level judged like a chat user's{mine}: watch {watch}, critical when a {critical} move "
    "would liquidate"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    reading.add_arguments(parser)
    parser.add_argument(
        "--watch",
        metavar="PCT",
        help="judge the level with this /alerts watch distance, e.g. 20%% (default: none, the "
        "venue's own warning level only)",
    )
    parser.add_argument(
        "--critical",
        metavar="PCT",
        help="judge the level with this /alerts critical distance (default 5%%)",
    )


def run(args: argparse.Namespace) -> int:
    import risk
    from bot.exchanges.errors import ExchangeReadError
    from bot.exchanges.replay import RecordingError

    try:
        thresholds = _thresholds(args)
        read = reading.read(args)
        health = read.health()  # with the pools the venue judges on their own
    except (reading.UsageError, RecordingError) as exc:
        print(f"marginwatch check: {exc}", file=sys.stderr)
        return 2
    except risk.SnapshotError as exc:
        print(f"marginwatch check: the account's figures cannot be judged: {exc}", file=sys.stderr)
        return 1
    except ExchangeReadError as exc:
        print(
            f"marginwatch check: {exc.state}: {exc.user_message}"
            + (f" [{exc.detail}]" if exc.detail else ""),
            file=sys.stderr,
        )
        return 1
    hv = _view(args.exchange, read, health, thresholds)
    if args.json:
        print(json.dumps(view_json(hv), indent=2))
    else:
        print(render_text(hv, thresholds, now=time.time()))
    return 0


def _thresholds(args: argparse.Namespace) -> Any:
    """The /alerts thresholds the options give, checked as /alerts checks them."""
    from bot.core.usecases.preferences import CRITICAL_RANGE, WATCH_RANGE
    from bot.monitor.policy import AlertRules, Thresholds

    watch = _percent("--watch", args.watch, "watch", WATCH_RANGE)
    critical = _percent("--critical", args.critical, "critical", CRITICAL_RANGE)
    effective = critical if critical is not None else AlertRules().default_critical_move
    if watch is not None and watch <= effective:
        raise reading.UsageError(
            f"--watch ({watch:.0%}) must be a wider distance than --critical ({effective:.0%})"
        )
    return Thresholds(watch_move=watch, critical_move=critical)


def _percent(
    option: str, value: str | None, name: str, bounds: tuple[float, float]
) -> float | None:
    from bot.core.messages import Refusal
    from bot.core.usecases.preferences import parse_percent_in

    if value is None:
        return None
    try:
        return parse_percent_in(name, value, *bounds)
    except Refusal as refusal:
        raise reading.UsageError(f"{option}: {refusal.sentence}") from None


def _view(venue: str, read: Any, health: Any, thresholds: Any) -> Any:
    from bot.core.views import AccountView, health_view
    from bot.exchanges.registry import adapter_for
    from bot.monitor.policy import AlertRules, judge_level

    info = adapter_for(venue).info
    level = judge_level(health, AlertRules(thresholds=thresholds))
    marks = {p.symbol: (p.size, p.mark_price) for p in read.snapshot.positions}
    return health_view(
        AccountView(0, venue, venue, info.label),
        health,
        marks=marks,
        notes=read.notes,
        approximate=read.approximate or info.approximate,
        level=level,
    )


def render_text(hv: Any, thresholds: Any, *, now: float) -> str:
    """The status card as the console chat shows it (no buttons), then the positions."""
    from bot.chat.console import render
    from bot.core import format as fmt
    from bot.core.views import status_card
    from bot.monitor.policy import AlertRules

    card = render(status_card(hv, now=now, actions=False))
    below = [*hv.positions, hv.account_move, *hv.coin_pools]
    lines = [card, "", *(f"  {line}" for line in below)]
    critical = thresholds.critical_move or AlertRules().default_critical_move
    lines.append(
        "  "
        + CHECK_THRESHOLDS.format(
            mine=" with --watch/--critical"
            if thresholds.watch_move or thresholds.critical_move
            else " who set no /alerts",
            watch=(
                f"when a {fmt.percent(thresholds.watch_move)} move would liquidate"
                if thresholds.watch_move
                else "at the venue's warning level"
            ),
            critical=fmt.percent(critical),
        )
    )
    return "\n".join(lines)


def view_json(hv: Any) -> dict[str, Any]:
    """The Health JSON, plus what the chat shows: the level, every note, the worded figures and
    the pools the venue judges on their own."""
    import risk

    shown = risk.health_to_dict(hv.health)
    shown["level"] = hv.level
    shown["notes"] = list(hv.notes)
    shown["view"] = {
        "headline": hv.headline,
        "levels": hv.levels,
        "fields": {field.name: field.value for field in hv.fields},
        "pools": list(hv.pools),
        "positions": list(hv.positions),
        "account_move": hv.account_move,
        "coin_pools": list(hv.coin_pools),
        "approximate": hv.approximate or None,
    }
    return shown
