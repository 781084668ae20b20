"""Fixtures for the operator pieces: a clean environment and an isolated root logger."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MARGINWATCH_ variable, no systemd credentials, and a working folder with no .env."""
    for name in list(os.environ):
        if name.upper().startswith("MARGINWATCH_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def isolated_logging() -> Iterator[None]:
    """Restore the root logger, the library loggers and the redactor after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {id(h): list(h.filters) for h in handlers}
    library_levels = {name: logging.getLogger(name).level for name in logs.NOISY_LOGGERS}
    logs.REDACTOR.forget_all()
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        handler.filters[:] = filters[id(handler)]
    root.setLevel(level)
    for name, old in library_levels.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)
    logs.REDACTOR.forget_all()
