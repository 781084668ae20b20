"""An account's health history as one PNG a trader reads at a glance, on a phone.

The main panel is the distance to liquidation: the move of every price that liquidates the
account, with the user's own critical and watch distances as coloured bands and a marker
wherever an alert went out. Below it, the venue's own ratio, drawn so that up is always safer
(a "lower is safer" ratio is plotted upside down), over the account's own range with the
margin-call and liquidation lines in view, coloured by the level each point was at: a ratio that
still looks far from its line reads red when the account is critical by the user's distance.
Times are in the user's time zone, named on the axis.

:func:`chart_data` does the judging and the wording (pure, testable without a figure);
:func:`figure` draws it with matplotlib (the object-oriented API, no pyplot: safe in a thread);
:func:`render_png` gives the bytes.
"""

from __future__ import annotations

import io
import math
import textwrap
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core import format as fmt
from bot.core import texts
from bot.core.messages import current_marker
from bot.core.refs import fill
from bot.core.views import critical_distance, pool_name
from bot.monitor.policy import AlertRules, judge_level, rank
from bot.store.records import HealthPoint, Thresholds
from risk.model import Health, Ratio
from risk.profiles import PROFILES, VenueProfile

# Calm to loud, close to the chats' own severity colours; every colour also comes with words.
LEVEL_COLOURS = {
    "ok": "#2e7d32",
    "watch": "#f9a825",
    "margin_call": "#ef6c00",
    "critical": "#c62828",
}
# Words in a level's colour need more contrast on white than a band or a line does.
TEXT_COLOURS = {**LEVEL_COLOURS, "watch": "#a86200", "margin_call": "#c25400"}
_LIQUIDATION_COLOUR = "#b71c1c"
_LINE_COLOUR = "#263238"
# A phone shows the picture about 360 points wide: big type, thick lines, few words.
_SIZE_INCHES = (6.4, 7.4)
# Points drawn at most per series: a phone-sized picture shows no more.
MAX_DRAWN = 600
_DPI = 150
_FONT = 12.5
# Characters per title line that fit the phone-sized picture at the title's size.
_TITLE_WIDTH = 54
# At most this many names of the pool the main line follows (one per stretch).
_POOL_LABELS = 4


@dataclass(frozen=True, slots=True)
class SentAlert:
    """An alert that went out to the user: when, and at which level."""

    at: float
    level: str
    kind: str = "escalation"


@dataclass(frozen=True)
class ChartData:
    """Everything the picture shows, judged and worded; ``figure`` only draws it."""

    title: str
    state_line: str
    level: str
    timezone: str
    times: tuple[datetime, ...]
    moves: tuple[float, ...]  # % move that liquidates, NaN where there is none (no positions)
    levels: tuple[str, ...]  # the alert level each point was at, by the user's levels
    critical: float | None  # the user's critical distance, % (None: critical by ratio only)
    watch: float | None  # the user's watch distance, %, when they set one
    ratio_label: str
    ratios: tuple[float, ...]  # the venue's ratio as it shows it (percent or plain), NaN if none
    ratio_lines: tuple[tuple[str, float, str], ...]  # (name, value, level colour key)
    lower_is_safer: bool
    alerts: tuple[tuple[datetime, float, str], ...]  # (time, move %, level) of each sent alert
    caption: tuple[str, ...]
    current_move: float | None = None
    current_ratio: float | None = None
    current_ratio_text: str = ""
    # Per drawn point, the pool its distance is of (short words; None: the account is one).
    pools: tuple[str | None, ...] = ()


def _profile(venue: str) -> VenueProfile:
    return PROFILES.get(venue) or PROFILES["generic"]


def _scaled(value: float | None, venue: str) -> float:
    """A ratio the way the venue shows it (percent where it shows percent); NaN if unknown."""
    if value is None or not math.isfinite(value):
        return math.nan
    return value * 100 if venue in fmt.RATIO_AS_PERCENT else value


def _pool(
    profile: VenueProfile, name: str | None, state: str, value: float | None, move: float | None
) -> Health:
    ratio = Ratio(
        name=name or profile.ratio_name,
        value=value,
        safer=profile.safer,
        margin_call=profile.margin_call,
        liquidation=profile.liquidation,
        warning=profile.warning,
        margin_call_source=profile.margin_call_source,
    )
    return Health(
        venue=profile.venue,
        settle="",
        equity=0.0,
        maintenance_margin=0.0,
        initial_margin=None,
        effective_leverage=None,
        ratio=ratio,
        state=state,  # type: ignore[arg-type]
        move_to_margin_call=None,
        move_to_liquidation=move,
        positions=(),
    )


def _health(point: HealthPoint, profile: VenueProfile) -> Health:
    """Enough of a Health for the alert policy to judge a stored point by the user's levels:
    the account's own figures, the pool closest to liquidation (its move is the point's
    nearest), and the worst venue state of every pool (their venue levels), as kept."""
    pools = []
    if point.closest_kind:
        pools.append(
            _pool(
                profile,
                point.ratio_name,
                point.closest_state or point.state,
                point.closest_ratio,
                point.closest_move,
            )
        )
    if point.worst_state and point.worst_state != point.state:
        pools.append(_pool(profile, point.ratio_name, point.worst_state, None, None))
    own = _pool(profile, point.ratio_name, point.state, point.ratio, point.move_to_liquidation)
    return replace(own, pools=tuple(pools))


def _pool_label(point: HealthPoint, *, short: bool = False) -> str | None:
    """The pool a point's nearest distance belongs to, in words (None: the account is one)."""
    if not point.closest_kind:
        return None
    return pool_name(point.closest_kind, point.closest_name, point.closest_side, short=short)


def chart_data(
    points: Sequence[HealthPoint],
    *,
    label: str,
    venue: str,
    venue_label: str,
    thresholds: Thresholds,
    alerts: Sequence[SentAlert] = (),
    timezone: str = "UTC",
    days: int = 7,
) -> ChartData:
    """Judge every point by the user's levels and word the title, state and caption."""
    if not points:
        raise ValueError("a chart needs at least one point")
    try:
        zone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        timezone, zone = "UTC", zoneinfo.ZoneInfo("UTC")
    profile = _profile(venue)
    rules = AlertRules(thresholds=thresholds)
    critical = critical_distance(thresholds)
    times = tuple(datetime.fromtimestamp(p.at, zone) for p in points)
    # The main panel follows the pool nearest liquidation (an isolated position, another coin's
    # pool, or the account's own), named; the ratio panel shows that same pool's ratio.
    moves = tuple(math.nan if p.nearest_move is None else abs(p.nearest_move) * 100 for p in points)
    levels = tuple(judge_level(_health(p, profile), rules) for p in points)
    ratios = tuple(_scaled(p.nearest_ratio, venue) for p in points)
    names = tuple(_pool_label(p, short=True) for p in points)
    last = points[-1]
    level = levels[-1]
    ratio_name = last.ratio_name or profile.ratio_name
    ratio_words = texts.RATIO_NAMES.get(ratio_name, ratio_name.replace("_", " ").capitalize())
    unit = " (%)" if venue in fmt.RATIO_AS_PERCENT else ""

    lines: list[tuple[str, float, str]] = [
        (texts.CHART_LIQUIDATION, _scaled(profile.liquidation, venue), "critical"),
        (texts.CHART_MARGIN_CALL, _scaled(profile.margin_call, venue), "margin_call"),
    ]
    if thresholds.watch_ratio is not None:
        lines.append(
            (texts.CHART_YOUR_WATCH_LEVEL, _scaled(thresholds.watch_ratio, venue), "watch")
        )
    else:
        lines.append((texts.CHART_WARNING, _scaled(profile.warning, venue), "watch"))
    if thresholds.critical_ratio is not None:
        lines.append(
            (texts.CHART_YOUR_CRITICAL_LEVEL, _scaled(thresholds.critical_ratio, venue), "critical")
        )

    state = texts.CHART_LEVEL_NAMES[level]
    now = _now_words(last.nearest_move, last)
    sent = []
    for alert in alerts:
        when = datetime.fromtimestamp(alert.at, zone)
        sent.append((when, _move_at(points, alert.at), alert.level))

    caption = [
        fill(texts.CHART_CAPTION_NOW, label=label, venue=venue_label, state=state, now=now),
        fill(
            texts.CHART_CAPTION_LEVELS,
            critical=fmt.percent(critical) if critical is not None else fmt.DASH,
            watch=""
            if thresholds.watch_move is None
            else fill(texts.CHART_CAPTION_WATCH, watch=fmt.percent(thresholds.watch_move)),
        ),
    ]
    if last.nearest_ratio is not None:
        caption.append(
            fill(
                texts.CHART_CAPTION_RATIO,
                ratio=ratio_words,
                value=fmt.ratio(last.nearest_ratio, venue),
                call=fmt.ratio(profile.margin_call, venue),
                liquidation=fmt.ratio(profile.liquidation, venue),
            )
        )
    known = [(m, p.at, p) for m, p in zip(moves, points, strict=True) if not math.isnan(m)]
    if known:
        closest, closest_at, nearest = min(known, key=lambda k: (k[0], k[1]))
        closest_words = fmt.percent(closest / 100)
        if (pool := _pool_label(nearest)) is not None:
            closest_words = fill(texts.CHART_CAPTION_CLOSEST_WAS, closest=closest_words, pool=pool)
        caption.append(
            fill(
                texts.CHART_CAPTION_SPAN,
                days=days,
                closest=closest_words,
                at=datetime.fromtimestamp(closest_at, zone).strftime("%Y-%m-%d %H:%M"),
                farthest=fmt.percent(max(m for m, _, _ in known) / 100),
                alerts=len(sent),
                timezone=timezone,
            )
        )
    else:
        caption.append(
            fill(texts.CHART_CAPTION_SPAN_NO_MOVE, days=days, alerts=len(sent), timezone=timezone)
        )
    followed = list(dict.fromkeys(_pool_label(p) for p in points if p.closest_kind))
    if len(followed) > 1 or (followed and any(p.closest_kind is None for p in points)):
        # The line changes pools on the way: say which it follows (an older point without a
        # pool is the account's own figures).
        caption.append(fill(texts.CHART_CAPTION_POOLS, pools=", ".join(filter(None, followed))))
    drawn = _drawn(moves)
    # A kept point stands for the points since the one before it: it takes the worst of their
    # levels, so a brief critical spell still colours its stretch of the line.
    worst = []
    for before, index in zip((-1, *drawn), drawn, strict=False):
        worst.append(max(levels[before + 1 : index + 1], key=rank))
    return ChartData(
        # A picture travels alone (saved, forwarded): it carries the rehearsal marker too.
        title=" ".join(
            filter(
                None, (current_marker(), fill(texts.CHART_HEADLINE, label=label, venue=venue_label))
            )
        ),
        state_line=_state_line(state, now, last),
        level=level,
        timezone=timezone,
        times=tuple(times[i] for i in drawn),
        moves=tuple(moves[i] for i in drawn),
        levels=tuple(worst),
        critical=None if critical is None else critical * 100,
        watch=None if thresholds.watch_move is None else thresholds.watch_move * 100,
        ratio_label=fill(texts.CHART_RATIO_AXIS, ratio=ratio_words, unit=unit),
        ratios=tuple(ratios[i] for i in drawn),
        ratio_lines=tuple(lines),
        lower_is_safer=profile.safer == "lower",
        alerts=tuple(sent),
        caption=tuple(caption),
        current_move=None if math.isnan(moves[-1]) else moves[-1],
        current_ratio=None if math.isnan(ratios[-1]) else ratios[-1],
        current_ratio_text=fmt.ratio(last.nearest_ratio, venue),
        pools=tuple(names[i] for i in drawn),
    )


def _drawn(moves: Sequence[float]) -> tuple[int, ...]:
    """The indices of the points worth drawing: all of them up to :data:`MAX_DRAWN`; beyond
    that (a month of one-minute reads), per stretch of time the closest and the farthest
    approach to liquidation, in time order, and always the last point. A phone shows no more
    detail than that, and the closest approach is never thinned away."""
    count = len(moves)
    if count <= MAX_DRAWN:
        return tuple(range(count))
    size = math.ceil(count / (MAX_DRAWN // 2))
    keep: set[int] = {count - 1}
    for start in range(0, count, size):
        stretch = [i for i in range(start, min(start + size, count)) if not math.isnan(moves[i])]
        if not stretch:
            keep.add(start)  # no move here (no positions): one point keeps the gap honest
            continue
        keep.add(min(stretch, key=lambda i: moves[i]))
        keep.add(max(stretch, key=lambda i: moves[i]))
    return tuple(sorted(keep))


def _now_words(move: float | None, point: HealthPoint) -> str:
    pool = _pool_label(point)
    if move is None:
        return texts.CHART_NOW_NO_MOVE
    if move == 0.0:
        if pool is None:
            return texts.CHART_NOW_AT_LIQUIDATION
        return fill(texts.CHART_NOW_POOL_AT_LIQUIDATION, pool=pool)
    if pool is None:
        return fill(texts.CHART_NOW_MOVE, move=fmt.move(move))
    words = texts.CHART_NOW_ISOLATED if point.closest_kind == "isolated" else texts.CHART_NOW_POOL
    return fill(words, move=fmt.move(move), pool=pool)


def _state_line(state: str, now: str, point: HealthPoint) -> str:
    """The title's second line: the caption's words, or for a pool the short form that fits a
    phone ("CRITICAL: a 3.70% fall liquidates isolated ETH long")."""
    pool, move = _pool_label(point, short=True), point.nearest_move
    if pool is None or move is None:
        return fill(texts.CHART_STATE_LINE, state=state, now=now)
    if move == 0.0:
        return fill(texts.CHART_STATE_POOL_AT_LIQUIDATION, state=state, pool=pool)
    return fill(texts.CHART_STATE_POOL, state=state, move=fmt.move(move), pool=pool)


def _move_at(points: Sequence[HealthPoint], at: float) -> float:
    """The move (%) of the point nearest in time to ``at`` (where an alert's marker sits)."""
    with_move = [p for p in points if p.nearest_move is not None]
    if not with_move:
        return 0.0
    nearest = min(with_move, key=lambda p: abs(p.at - at))
    return abs(nearest.nearest_move or 0.0) * 100


# ------------------------------------------------------------------------------ drawing


def _plain_ticks() -> Any:
    """Tick labels of a log axis as plain numbers (2, 5, 10, 100), not powers of ten."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:g}")


def _drawable(text: str) -> str:
    """``text`` with the characters the chart's font lacks spelled out (NFKC: "USDⓈ-M" as
    "USDS-M"), so a venue's name never shows as empty boxes."""
    import unicodedata

    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont(font_manager.FontProperties()))
    out = []
    for char in text:
        if char.isspace() or font.get_char_index(ord(char)):
            out.append(char)
        else:
            out.append(unicodedata.normalize("NFKC", char) or "?")
    return "".join(out)


def figure(data: ChartData) -> Any:
    """The matplotlib Figure for ``data``. Artists carry gids ("move", "critical-band",
    "watch-band", "alerts", "ratio", "now") so tests read what is drawn, not pixels."""
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=(3, 2))
    top = fig.add_subplot(grid[0])
    bottom = fig.add_subplot(grid[1], sharex=top)
    # Wrapped: a long label, venue or pool name would run off a phone's screen.
    title = "\n".join(textwrap.fill(line, _TITLE_WIDTH) for line in (data.title, data.state_line))
    fig.suptitle(
        _drawable(title),
        fontsize=_FONT + 2,
        fontweight="bold",
        color=TEXT_COLOURS[data.level] if data.level != "ok" else _LINE_COLOUR,
    )

    _draw_moves(top, data, Patch)
    _draw_ratio(bottom, data)

    zone = zoneinfo.ZoneInfo(data.timezone)
    locator = mdates.AutoDateLocator(tz=zone, minticks=3, maxticks=6)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    bottom.set_xlabel(fill(texts.CHART_TIME_AXIS, timezone=data.timezone), fontsize=_FONT)
    for axes in (top, bottom):
        axes.tick_params(labelsize=_FONT - 1)
        axes.grid(True, color="#000000", alpha=0.08)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    top.tick_params(labelbottom=False)
    # Room right of the last point for its value (a fifth of the span; an hour around a
    # single point).
    from datetime import timedelta

    first, last = data.times[0], data.times[-1]
    span = (last - first) or timedelta(hours=1)
    top.set_xlim(first - span * 0.02, last + span * 0.22)
    return fig


def _draw_moves(axes: Any, data: ChartData, patch: Any) -> None:
    known = [m for m in data.moves if not math.isnan(m)]
    reach = max([*known, (data.critical or 0.0) * 2.0, (data.watch or 0.0) * 1.25, 2.0])
    top = reach * 1.12
    axes.set_ylim(0, top)
    handles = []
    # The user's distances as bands from liquidation up: critical, then watch above it.
    bands = [("critical", 0.0, data.critical, texts.CHART_CRITICAL_BAND)]
    bands.append(("watch", data.critical or 0.0, data.watch, texts.CHART_WATCH_BAND))
    for level, low, high, words in bands:
        if high is None or high <= low:
            continue
        band = axes.axhspan(low, high, color=LEVEL_COLOURS[level], alpha=0.22, lw=0)
        band.set_gid(f"{level}-band")
        label = fill(words, move=fmt.percent(high / 100))
        handles.append(patch(color=LEVEL_COLOURS[level], alpha=0.35, label=label))
    axes.axhline(0, color=_LIQUIDATION_COLOUR, lw=2.5)
    axes.text(
        0.005,
        0.012 * top,
        texts.CHART_LIQUIDATION,
        transform=axes.get_yaxis_transform(),
        color=_LIQUIDATION_COLOUR,
        fontsize=_FONT - 2,
        va="bottom",
    )
    (line,) = axes.plot(data.times, data.moves, color=_LINE_COLOUR, lw=2.4, zorder=3)
    line.set_gid("move")
    if data.alerts:
        marks = axes.scatter(
            [t for t, _, _ in data.alerts],
            [m for _, m, _ in data.alerts],
            s=150,
            marker="v",
            c=[LEVEL_COLOURS.get(level, "#607d8b") for _, _, level in data.alerts],
            edgecolors=_LINE_COLOUR,
            linewidths=1.0,
            zorder=5,
        )
        marks.set_gid("alerts")
        handles.append(
            axes.scatter([], [], s=90, marker="v", c=_LINE_COLOUR, label=texts.CHART_ALERT_MARKER)
        )
    if data.current_move is not None:
        colour = LEVEL_COLOURS[data.level]
        now = axes.scatter(
            [data.times[-1]], [data.current_move], s=160, color=colour, zorder=6, ec="white"
        )
        now.set_gid("now")
        _label_now(
            axes,
            data.times[-1],
            data.current_move,
            fmt.percent(data.current_move / 100),
            data.level,
        )
    elif not known:
        axes.text(
            0.5,
            0.5,
            texts.CHART_NO_POSITIONS,
            transform=axes.transAxes,
            ha="center",
            fontsize=_FONT,
            color=_LINE_COLOUR,
        )
    _label_pools(axes, data)
    axes.set_ylabel(
        texts.CHART_MOVE_AXIS_POOLS if any(data.pools) else texts.CHART_MOVE_AXIS_SHORT,
        fontsize=_FONT,
    )
    _legend_above(axes, handles)


def _label_pools(axes: Any, data: ChartData) -> None:
    """Name the pool the line follows, once per stretch it follows the same one, with a dotted
    line in both panels where it changes (the ratio below jumps there too). Near a crossing
    the nearest pool can flip back and forth: stretches shorter than a tenth of the picture
    are not named (but the first and the current one), and at most a few are: the current
    one and the longest."""
    if not any(data.pools):
        return
    runs: list[list[int]] = []  # [first, last] index of each run of one pool
    for index, name in enumerate(data.pools):
        if runs and data.pools[runs[-1][0]] == name:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    shortest = max(2, len(data.pools) // 10)
    kept: list[list[int]] = []
    for run in runs:
        # The first and the current stretch are always named, however short.
        if run[0] > 0 and run[1] < len(data.pools) - 1 and run[1] - run[0] + 1 < shortest:
            continue
        if kept and data.pools[kept[-1][0]] == data.pools[run[0]]:
            kept[-1][1] = run[1]  # the same pool again after a brief flip: one stretch
        else:
            kept.append(run)
    # The current stretch first, then the longest others.
    ordered = sorted(kept[:-1], key=lambda run: run[0] - run[1])
    named = sorted([kept[-1], *ordered][:_POOL_LABELS])
    for first, last in named:
        if first > 0:
            for panel in axes.figure.axes:
                panel.axvline(
                    data.times[first], color=_LINE_COLOUR, lw=1.0, ls=(0, (2, 3)), alpha=0.6
                ).set_gid("pool-switch")
        name = data.pools[first]
        values = [v for v in data.moves[first : last + 1] if not math.isnan(v)]
        if name is None or not values:
            continue
        axes.annotate(
            _drawable(name),
            (data.times[first], max(values)),
            xytext=(10, 8),
            textcoords="offset points",
            fontsize=_FONT - 2.5,
            color=_LINE_COLOUR,
            fontstyle="italic",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=4,
        ).set_gid("pool-label")


def _legend_above(axes: Any, handles: list[Any]) -> None:
    """The key in one row above the panel: inside it, it would hide some of the line."""
    if handles:
        axes.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=len(handles),
            fontsize=_FONT - 3,
            frameon=False,
            borderaxespad=0.2,
            handlelength=1.6,
            columnspacing=1.2,
        )


def _label_now(axes: Any, when: datetime, value: float, text: str, level: str) -> None:
    """The current value, written right of the last point on a white patch: the space there is
    kept free for it (the future), so it hides neither the line nor an alert marker."""
    colour = TEXT_COLOURS[level]
    axes.annotate(
        text,
        (when, value),
        xytext=(12, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=_FONT,
        fontweight="bold",
        color=colour,
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "alpha": 0.92},
        zorder=7,
    )


def _draw_ratio(axes: Any, data: ChartData) -> None:
    known = [r for r in data.ratios if not math.isnan(r)]
    liquidation = data.ratio_lines[0][1]
    margin_call = data.ratio_lines[1][1]
    span = [*known, liquidation, margin_call]
    low, high = min(span), max(span)
    if data.lower_is_safer and low > 0:
        low, high = low / 1.6, high * 1.25
    else:
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    # Beyond liquidation is red, between margin call and liquidation orange: whichever way the
    # ratio runs, the danger side is coloured.
    beyond = (liquidation, high) if data.lower_is_safer else (low, liquidation)
    axes.axhspan(*beyond, color=LEVEL_COLOURS["critical"], alpha=0.18, lw=0)
    axes.axhspan(
        min(margin_call, liquidation),
        max(margin_call, liquidation),
        color=LEVEL_COLOURS["margin_call"],
        alpha=0.14,
        lw=0,
    )
    styles = {"critical": "-", "margin_call": "--", "watch": ":"}
    for name, value, key in data.ratio_lines:
        if math.isnan(value) or not low <= value <= high:
            continue
        axes.axhline(value, color=LEVEL_COLOURS[key], lw=1.8, ls=styles[key], label=name)
    # One segment per pair of points, in the colour of the level the later one was at; one
    # LineCollection (not a line per pair) keeps a month of one-minute points quick to draw.
    from matplotlib import dates as mdates
    from matplotlib.collections import LineCollection

    x = mdates.date2num(data.times)
    segments, colours = [], []
    for index in range(1, len(data.times)):
        pair = data.ratios[index - 1 : index + 1]
        if any(math.isnan(v) for v in pair):
            continue
        segments.append(((x[index - 1], pair[0]), (x[index], pair[1])))
        colours.append(LEVEL_COLOURS[data.levels[index]])
    if segments:
        ratio_line = LineCollection(segments, colors=colours, linewidths=2.6, capstyle="round")
        ratio_line.set_gid("ratio")
        axes.add_collection(ratio_line)
    if data.lower_is_safer:
        # Such a ratio (maintenance / equity) runs away only near liquidation: on a log scale
        # its climb from 2 % to 10 % shows as the half-way mark to 100 % that it is, where a
        # linear axis leaves it flat on the safe edge. Drawn upside down: up is safer.
        from matplotlib.ticker import LogLocator, NullFormatter

        axes.set_yscale("log")
        axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_major_formatter(_plain_ticks())
        axes.yaxis.set_minor_formatter(NullFormatter())
        axes.set_ylim(high, low)
    else:
        axes.set_ylim(low, high)
    if data.current_ratio is not None:
        colour = LEVEL_COLOURS[data.level]
        axes.scatter(
            [data.times[-1]], [data.current_ratio], s=110, color=colour, ec="white", zorder=5
        ).set_gid("ratio-now")
        _label_now(
            axes,
            data.times[-1],
            data.current_ratio,
            data.current_ratio_text,
            data.level,
        )
    _legend_above(axes, axes.get_legend_handles_labels()[0])
    axes.set_ylabel(f"{data.ratio_label}\n{texts.CHART_RATIO_SAFER_UP}", fontsize=_FONT - 1)


def render_png(data: ChartData) -> bytes:
    """The PNG bytes of :func:`figure` (Agg, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure(data)
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()
