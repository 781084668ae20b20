"""Draws an account's health history as a PNG: the venue's ratio against its margin-call and
liquidation lines, and the price move still needed to liquidate."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.core import format as fmt
from bot.core import texts
from bot.store.records import HealthPoint
from risk.profiles import PROFILES


def _scaled(value: float, venue: str) -> float:
    """A ratio the way the venue shows it (percent where it shows percent)."""
    return value * 100 if venue in fmt.RATIO_AS_PERCENT else value


def health_chart(
    points: Sequence[HealthPoint], *, venue: str, title: str, ratio_label: str
) -> bytes:
    """PNG bytes of the history. Matplotlib is imported here, with the Agg backend, so importing
    core stays fast and never needs a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = [datetime.fromtimestamp(p.at, UTC) for p in points]
    ratios = [
        (t, _scaled(p.ratio, venue))
        for t, p in zip(times, points, strict=True)
        if p.ratio is not None
    ]
    moves = [
        (t, abs(p.move_to_liquidation) * 100)
        for t, p in zip(times, points, strict=True)
        if p.move_to_liquidation is not None
    ]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 5), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    try:
        if ratios:
            top.plot(
                [t for t, _ in ratios], [v for _, v in ratios], color="#1f77b4", label=ratio_label
            )
        profile = PROFILES.get(venue)
        if profile is not None:
            top.axhline(
                _scaled(profile.margin_call, venue),
                color="#ff7f0e",
                linestyle="--",
                label=texts.CHART_MARGIN_CALL,
            )
            top.axhline(
                _scaled(profile.liquidation, venue),
                color="#d62728",
                linestyle="--",
                label=texts.CHART_LIQUIDATION,
            )
        top.set_ylabel(ratio_label + (" (%)" if venue in fmt.RATIO_AS_PERCENT else ""))
        top.legend(loc="best", fontsize="small")
        top.set_title(title)
        if moves:
            bottom.plot([t for t, _ in moves], [v for _, v in moves], color="#2ca02c")
        bottom.set_ylabel(texts.CHART_MOVE_AXIS)
        bottom.set_ylim(bottom=0)
        fig.autofmt_xdate()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
    finally:
        plt.close(fig)
