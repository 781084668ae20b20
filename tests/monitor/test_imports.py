"""The monitor runs without core: importing it loads no bot.core module, and any order works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

NO_CORE = (
    "import bot.monitor.scheduler, sys; "
    "leaked = sorted(m for m in sys.modules if m.startswith(('bot.core', 'bot.chat', 'bot.ops')) "
    "and m not in ('bot.ops', 'bot.ops.metrics')); "
    "assert not leaked, leaked"
)


def test_the_monitor_loads_no_core_module_at_run_time() -> None:
    # The AST scan (tests/test_architecture.py) sees import statements; this sees what runs,
    # including bot/ops/__init__.py, which must not drag the metrics server in.
    result = subprocess.run(
        [sys.executable, "-c", NO_CORE], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("first", ["bot.core.presenter", "bot.core.usecases.reading"])
def test_core_modules_that_import_the_monitor_can_be_imported_first(first: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {first}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
