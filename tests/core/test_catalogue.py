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


def _needs_fill(template: object) -> bool:
    """A template that only bot.core.refs.fill renders right: it names a command ({/link}),
    takes a reference ({channel}, {member}, …) or echoes input ({value!r}, cut short)."""
    from bot.core.refs import REF_SLOTS

    if not isinstance(template, str):
        return False
    return "{/" in template or "!r}" in template or any(f"{{{s}" in template for s in REF_SLOTS)


def test_templates_with_commands_references_or_echoes_are_always_filled() -> None:
    from bot.core import texts

    special = {
        name
        for name, value in vars(texts).items()
        if _needs_fill(value)
        or (isinstance(value, dict) and any(_needs_fill(v) for v in value.values()))
    }
    assert {"ACCOUNTS_NONE", "SETALERTS_DONE", "LINK_BAD_LABEL"} <= special
    misuses = []
    for path in sorted(Path(bot.core.__file__).parents[1].rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        filled = {
            id(node.args[0])
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "fill"
            and node.args
        }
        filled |= {  # texts.TABLE[key] passed to fill
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Subscript) and id(node) in filled
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in special
                and getattr(node.value, "id", "") == "texts"
                and id(node) not in filled
            ):
                misuses.append(f"{path.name}:{node.lineno} texts.{node.attr}")
    assert misuses == []
