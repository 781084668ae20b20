"""core imports the policy and the monitor imports core's renderers: no import order may break."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "first", ["bot.core.alerts", "bot.core.usecases.reading", "bot.monitor.scheduler"]
)
def test_any_module_can_be_imported_first(first: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {first}"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
