"""The chart reads as a trader needs it: checked on the drawn figure's data, not on pixels."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.chart import LEVEL_COLOURS, SentAlert, chart_data, figure, render_png
from bot.store.records import HealthPoint, Thresholds

START = 1_770_000_000.0
HOUR = 3600.0


def _points(venue: str, ratio_name: str, moves: list[float], ratio) -> list[HealthPoint]:  # type: ignore[no-untyped-def]
    return [
        HealthPoint(
            account_id=1,
            at=START + i * HOUR,
            state="ok",
            equity=10_000.0,
            ratio=ratio(m),
            ratio_name=ratio_name,
            maintenance_margin=500.0,
            move_to_liquidation=-m,
            effective_leverage=5.0,
        )
        for i, m in enumerate(moves)
    ]


def _slide(end: float, n: int = 24) -> list[float]:
    return [0.30 + (end - 0.30) * i / (n - 1) for i in range(n)]


# A "higher is safer" ratio (Kraken margin level, liquidation at 40 %) and a "lower is safer"
# one (Binance USDⓈ-M margin ratio, liquidation at 100 %) that barely moves until the end: at
# 4.5 % from liquidation it reads about 10 %, which a 0-100 % axis shows as safe.
KRAKEN = ("kraken", "margin_level", lambda m: 0.40 + 4 * m)
BINANCE = ("binanceusdm", "margin_ratio", lambda m: 0.005 / (0.005 + m))
LEVELS = Thresholds(watch_move=0.15, critical_move=0.05)


def _data(venue_spec, end: float, **kw):  # type: ignore[no-untyped-def]
    venue, name, ratio = venue_spec
    defaults = {
        "label": "main",
        "venue": venue,
        "venue_label": venue.capitalize(),
        "thresholds": LEVELS,
        "timezone": "Europe/Berlin",
        "days": 1,
    }
    return chart_data(_points(venue, name, _slide(end), ratio), **{**defaults, **kw})


def _artist(axes, gid: str):  # type: ignore[no-untyped-def]
    found = [a for a in axes.get_children() if a.get_gid() == gid]
    assert found, f"nothing drawn with gid {gid!r}"
    return found


def _span(patch) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The y extent (data units) of a band drawn with axhspan, whatever artist type it is."""
    if hasattr(patch, "get_height"):
        y, height = patch.get_y(), patch.get_height()
        return min(y, y + height), max(y, y + height)
    ys = [xy[1] for xy in patch.get_xy()]
    return min(ys), max(ys)


@pytest.mark.parametrize("venue", [KRAKEN, BINANCE], ids=["higher-is-safer", "lower-is-safer"])
def test_a_critical_account_sits_inside_the_critical_band_and_says_so(venue) -> None:  # type: ignore[no-untyped-def]
    data = _data(venue, end=0.045)
    assert data.level == "critical"
    fig = figure(data)
    main, ratio = fig.axes
    low, high = _span(_artist(main, "critical-band")[0])
    [line] = _artist(main, "move")
    now = float(line.get_ydata()[-1])
    assert low <= now <= high == pytest.approx(5.0)
    assert now == pytest.approx(4.5)
    # The watch band sits right above it; liquidation (0 %) is the panel's floor.
    assert _span(_artist(main, "watch-band")[0]) == pytest.approx((5.0, 15.0))
    assert main.get_ylim()[0] == 0
    # The current point and the ratio's last stretch are in the critical colour, whatever the
    # ratio's own value: danger is coloured even where the venue's ratio still looks calm.
    [dot] = _artist(main, "now")
    assert _colour(dot.get_facecolor()[0]) == LEVEL_COLOURS["critical"]
    [segments] = _artist(ratio, "ratio")
    assert _colour(segments.get_colors()[-1]) == LEVEL_COLOURS["critical"]
    assert _colour(segments.get_colors()[0]) == LEVEL_COLOURS["ok"]  # it started calm
    title = fig._suptitle.get_text()
    assert "main" in title and venue[0].capitalize() in title and "CRITICAL" in title
    assert "4.50%" in title


@pytest.mark.parametrize("venue", [KRAKEN, BINANCE], ids=["higher-is-safer", "lower-is-safer"])
def test_calm_and_watch_accounts_sit_outside_the_critical_band(venue) -> None:  # type: ignore[no-untyped-def]
    for end, level in ((0.25, "ok"), (0.12, "watch")):
        data = _data(venue, end=end, thresholds=Thresholds(watch_move=0.15))
        assert data.level == level
        main = figure(data).axes[0]
        [line] = _artist(main, "move")
        _, critical_top = _span(_artist(main, "critical-band")[0])
        assert float(line.get_ydata()[-1]) > critical_top
        if level == "watch":
            low, high = _span(_artist(main, "watch-band")[0])
            assert low <= float(line.get_ydata()[-1]) <= high


def test_up_is_safer_on_the_ratio_panel_whichever_way_the_venue_counts() -> None:
    kraken = figure(_data(KRAKEN, end=0.045)).axes[1]
    binance = figure(_data(BINANCE, end=0.045)).axes[1]
    assert not kraken.yaxis_inverted()  # margin level: higher is safer, drawn as is
    assert binance.yaxis_inverted()  # margin ratio: lower is safer, drawn upside down
    for axes, liquidation, call in ((kraken, 40.0, 80.0), (binance, 100.0, 80.0)):
        shown = sorted(axes.get_ylim())
        assert shown[0] <= liquidation <= shown[1] and shown[0] <= call <= shown[1]
        # The account's own range is in view too, and its last value is where it should be.
        [now] = _artist(axes, "ratio-now")
        value = float(now.get_offsets()[0][1])
        assert shown[0] <= value <= shown[1]
    # 10 % on a ratio that liquidates at 100 % is far from the safe edge on the log axis:
    # at least a third of the way from the calmest point to liquidation.
    low, high = sorted(binance.get_ylim())
    [now] = _artist(binance, "ratio-now")
    value = float(now.get_offsets()[0][1])
    assert (math.log(value) - math.log(low)) / (math.log(high) - math.log(low)) > 0.33


def test_times_are_in_the_users_zone_and_the_axis_says_which() -> None:
    data = _data(KRAKEN, end=0.2, timezone="Asia/Tokyo")
    assert data.times[0] == datetime.fromtimestamp(START, ZoneInfo("Asia/Tokyo"))
    fig = figure(data)
    assert fig.axes[1].get_xlabel() == "time (Asia/Tokyo)"
    assert "Times in Asia/Tokyo." in data.caption[-1]
    # An unknown zone (a stale setting) falls back to UTC, and says so.
    assert _data(KRAKEN, end=0.2, timezone="Mars/Olympus").timezone == "UTC"


def test_alert_markers_sit_where_alerts_went_out_in_their_level_colour() -> None:
    sent = [SentAlert(START + 10 * HOUR, "watch"), SentAlert(START + 22 * HOUR, "critical")]
    data = _data(KRAKEN, end=0.045, alerts=sent)
    main = figure(data).axes[0]
    [marks] = _artist(main, "alerts")
    assert len(marks.get_offsets()) == 2
    colours = [_colour(c) for c in marks.get_facecolors()]
    assert colours == [LEVEL_COLOURS["watch"], LEVEL_COLOURS["critical"]]
    moves = _slide(0.045)
    assert [float(y) for _, y in marks.get_offsets()] == pytest.approx(
        [moves[10] * 100, moves[22] * 100]
    )
    assert "2 alert(s) sent" in data.caption[-1]


def test_the_caption_gives_the_figures_and_the_png_is_a_png() -> None:
    data = _data(BINANCE, end=0.045)
    text = " ".join(data.caption)
    assert "CRITICAL, a 4.50% fall of every price liquidates" in text
    assert "critical within 5.00%, watch within 15.0%" in text
    assert "Margin ratio 10.0% (margin call at 80.0%, liquidation at 100.0%)" in text
    assert "closest to liquidation 4.50%" in text
    assert render_png(data).startswith(b"\x89PNG")


def test_an_account_without_positions_and_a_single_point_still_draw() -> None:
    point = HealthPoint(account_id=1, at=START, state="ok", ratio=None, move_to_liquidation=None)
    data = chart_data(
        [point], label="flat", venue="kraken", venue_label="Kraken", thresholds=Thresholds()
    )
    assert data.level == "ok" and data.current_move is None
    assert render_png(data).startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        chart_data([], label="x", venue="kraken", venue_label="Kraken", thresholds=Thresholds())


def _colour(rgba) -> str:  # type: ignore[no-untyped-def]
    from matplotlib.colors import to_hex

    return to_hex(rgba)


def test_a_month_of_minutes_is_thinned_for_drawing_but_never_hides_the_closest_approach() -> None:
    from bot.core.chart import MAX_DRAWN

    moves = [0.25] * 20_000
    moves[12_345] = 0.03  # one minute of near-liquidation in a calm month
    moves[-1] = 0.2
    venue, name, ratio = BINANCE
    data = chart_data(
        _points(venue, name, moves, ratio),
        label="main",
        venue=venue,
        venue_label="Binance",
        thresholds=LEVELS,
        days=14,
    )
    assert len(data.moves) <= MAX_DRAWN + 2
    assert min(data.moves) == pytest.approx(3.0)  # the closest approach is drawn
    assert data.moves[-1] == pytest.approx(20.0)  # and where it stands now
    assert "critical" in data.levels  # its stretch is coloured critical
    assert "closest to liquidation 3.00%" in data.caption[-1]  # the caption saw every point


def test_a_rehearsal_chart_says_so_in_its_own_title() -> None:
    import contextvars

    from bot.core.messages import mark_rehearsal

    def rehearse() -> str:
        mark_rehearsal("[simulator]")
        return _data(KRAKEN, end=0.2).title

    assert contextvars.copy_context().run(rehearse).startswith("[simulator] main")
    assert _data(KRAKEN, end=0.2).title.startswith("main")  # this context is live


# --- pools judged on their own: the line follows the one nearest liquidation, named ----------


def _isolated_only(moves: list[float]) -> list[HealthPoint]:
    """Hyperliquid samples of an account whose only position is isolated: the cross pool is
    empty (no move liquidates it, ratio 0) and the position nears its own liquidation."""
    return [
        HealthPoint(
            account_id=1,
            at=START + i * HOUR,
            state="ok",
            equity=1000.0,
            ratio=0.0,
            ratio_name="maintenance_ratio",
            maintenance_margin=0.0,
            move_to_liquidation=None,
            effective_leverage=2.7,
            worst_state="ok",
            closest_kind="isolated",
            closest_name="ETH/USDC:USDC",
            closest_side="long",
            closest_state="ok",
            closest_ratio=0.01 / (0.01 + m),
            closest_move=-m,
        )
        for i, m in enumerate(moves)
    ]


def test_an_isolated_only_account_is_drawn_by_its_positions_own_distance() -> None:
    data = chart_data(
        _isolated_only(_slide(0.04)),
        label="perps",
        venue="hyperliquid",
        venue_label="Hyperliquid",
        thresholds=LEVELS,
    )
    # Critical by the position's own 4 %, though the account's cross pool is empty.
    assert data.level == "critical" and data.current_move == pytest.approx(4.0)
    assert "isolated ETH long" in data.state_line
    assert "isolated ETH/USDC:USDC long" in data.caption[0]
    # The ratio panel shows that position's own ratio, not the empty pool's 0 %.
    assert data.current_ratio == pytest.approx(100 * 0.01 / 0.05)
    main = figure(data).axes[0]
    low, high = _span(_artist(main, "critical-band")[0])
    assert low <= float(_artist(main, "move")[0].get_ydata()[-1]) <= high
    [label] = _artist(main, "pool-label")
    assert label.get_text() == "isolated ETH long"
    assert main.get_ylabel() == "move that liquidates the nearest pool (%)"
    assert not [a for a in main.get_children() if a.get_gid() == "pool-switch"]


def test_a_switch_between_coin_pools_is_marked_and_both_are_named() -> None:
    points = []
    for i in range(40):
        btc, eth = 0.20 - 0.003 * i, 0.25 - 0.005 * i  # ETH overtakes BTC at i = 25
        nearer = ("BTC", btc) if btc <= eth else ("ETH", eth)
        points.append(
            HealthPoint(
                account_id=1,
                at=START + i * HOUR,
                state="ok",
                ratio=0.05,
                ratio_name="margin_ratio",
                move_to_liquidation=-btc,
                worst_state="ok",
                closest_kind="cross",
                closest_name=nearer[0],
                closest_state="ok",
                closest_ratio=0.05 if nearer[0] == "BTC" else 0.08,
                closest_move=-nearer[1] if nearer[0] == "BTC" else nearer[1],
            )
        )
    data = chart_data(
        points, label="coins", venue="binancecoinm", venue_label="COIN-M", thresholds=LEVELS
    )
    assert data.current_move == pytest.approx(100 * (0.25 - 0.005 * 39))
    assert "ETH pool" in data.state_line and "rise" in data.state_line
    assert "the BTC pool, the ETH pool" in data.caption[-1]
    fig = figure(data)
    main, ratio = fig.axes
    assert [a.get_text() for a in _artist(main, "pool-label")] == ["BTC pool", "ETH pool"]
    # One dotted line where the line changes pools, in both panels.
    for panel in (main, ratio):
        [switch] = _artist(panel, "pool-switch")
        assert switch.get_xdata()[0] == data.times[26]
