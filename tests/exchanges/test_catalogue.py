"""The exchange layer's sentences come from its one catalogue, bot/exchanges/texts.py."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from typing import get_args

import pytest

import bot.exchanges
from bot.exchanges import texts
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.types import DANGEROUS_RIGHTS, ReadState

PACKAGE = Path(bot.exchanges.__file__).parent
MODULES = sorted(path for path in PACKAGE.glob("*.py") if path.name != "texts.py")
PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")


def test_every_read_state_has_its_sentence() -> None:
    assert set(texts.READ_FAILED) == set(get_args(ReadState))
    for state in get_args(ReadState):
        message = ExchangeReadError(state).user_message
        assert message == texts.READ_FAILED[state]
        assert message[0].isupper() and message.endswith(".") and len(message) > 30


def test_every_refused_right_has_a_name_users_read() -> None:
    assert set(texts.DANGEROUS_RIGHT_NAMES) == DANGEROUS_RIGHTS


def _has_prose(node: ast.AST) -> bool:
    return any(
        isinstance(part, ast.Constant) and isinstance(part.value, str) and PROSE.search(part.value)
        for part in ast.walk(node)
    )


def _user_facing_arguments(tree: ast.AST) -> list[ast.AST]:
    """What becomes a sentence a user reads: a key check's message, a read error's sentence,
    a read's notes."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = getattr(func, "id", None) or getattr(func, "attr", "")
        if name == "KeyCheck":
            found += [kw.value for kw in node.keywords if kw.arg == "message"]
        elif name == "ExchangeReadError":
            found += node.args[1:2] + [kw.value for kw in node.keywords if kw.arg == "user_message"]
        elif name == "finish":
            found += node.args[1:2] + [kw.value for kw in node.keywords if kw.arg == "notes"]
        elif (
            name in ("append", "extend")
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and "notes" in func.value.id
        ):
            found += node.args
    return found


def test_no_user_visible_sentence_is_written_outside_the_catalogue() -> None:
    found = {
        path.name: [node.lineno for node in hits]
        for path in MODULES
        if (
            hits := [
                node
                for node in _user_facing_arguments(ast.parse(path.read_text(encoding="utf-8")))
                if _has_prose(node)
            ]
        )
    }
    assert found == {}


def test_the_scan_sees_a_sentence_written_in_place() -> None:
    # The scan above can fail: a note or a message written inline is caught.
    tree = ast.parse(
        'notes.append(f"{symbol} is left out here.")\n'
        'KeyCheck(ok=True, message="Read-only key accepted.")\n'
        'raise ExchangeReadError("auth_failed", f"{label} needs an API key.")\n'
        "notes.append(texts.BYBIT_NOT_COLLATERAL.format(coin=name))\n"
    )
    assert [_has_prose(node) for node in _user_facing_arguments(tree)] == [
        True,
        True,
        True,
        False,
    ]


def _format_calls(path: Path) -> list[tuple[int, str, set[str]]]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Attribute)
            and isinstance(node.func.value.value, ast.Name)
            and node.func.value.value.id == "texts"
        ):
            calls.append(
                (node.lineno, node.func.value.attr, {kw.arg or "**" for kw in node.keywords})
            )
    return calls


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_every_template_gets_exactly_its_placeholders(path: Path) -> None:
    # A renamed placeholder or text breaks here, not when a venue first answers that way.
    for line, name, given in _format_calls(path):
        template = getattr(texts, name)
        wanted = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        assert given == wanted, f"{path.name}:{line} texts.{name}"
