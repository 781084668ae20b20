"""A Health becomes a stored HealthPoint in one place, for the poller and core alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import risk
from bot.monitor.history import health_point

EXAMPLE = Path(risk.__file__).parent / "examples" / "binance-usdm.json"


def test_a_point_keeps_the_figures_charts_and_digests_read() -> None:
    health = risk.assess(risk.parse_snapshot(json.loads(EXAMPLE.read_text(encoding="utf-8"))))
    point = health_point(7, health, 1_700_000_000.0)
    assert (point.account_id, point.at, point.state) == (7, 1_700_000_000.0, "ok")
    assert point.ratio_name == "margin_ratio"
    assert point.ratio == pytest.approx(0.4149, abs=5e-5)
    assert point.equity == pytest.approx(1_030_895.56, abs=0.01)
    assert point.maintenance_margin == pytest.approx(427_713.32, abs=0.01)
    assert point.move_to_liquidation == pytest.approx(-0.0769, abs=5e-5)
    assert point.effective_leverage == pytest.approx(8.17, abs=5e-3)
