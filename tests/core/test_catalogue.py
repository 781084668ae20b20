"""Every sentence a user reads comes from bot.core.texts (the one catalogue)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bot.core

CORE = Path(bot.core.__file__).parent
# Modules that build what users read; the registry holds the commands' own descriptions.
BUILDERS = [
    *sorted((CORE / "usecases").glob("*.py")),
    CORE / "views.py",
    CORE / "alerts.py",
    CORE / "chart.py",
]
PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")
PLACEMENT_KEYWORDS = frozenset({"loc", "textcoords", "xycoords"})


def _prose_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))  # docstrings
        # matplotlib's placement keywords ("upper left", "offset points") are not prose.
        if isinstance(node, ast.keyword) and node.arg in PLACEMENT_KEYWORDS:
            skip.update(id(arg) for arg in ast.walk(node.value) if isinstance(arg, ast.Constant))
        # Internal errors and log lines are for developers, not users.
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if name.endswith("Error") or name in {"exception", "warning", "info", "debug"}:
                skip.update(id(arg) for arg in ast.walk(node) if isinstance(arg, ast.Constant))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and PROSE.search(node.value)
    ]


def test_no_user_visible_sentence_outside_the_catalogue() -> None:
    found = {
        str(path.relative_to(CORE)): hits for path in BUILDERS if (hits := _prose_literals(path))
    }
    assert found == {}
