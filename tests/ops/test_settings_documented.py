"""Every setting is documented: .env.example is generated from Settings, and nothing in bot/
reads a MARGINWATCH_ variable that .env.example (or the README) does not mention."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.settings import ENV_PREFIX, Settings, render_env_example

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"\bMARGINWATCH_[A-Z0-9_]*[A-Z0-9]\b")
_ASSIGNED = re.compile(r"^#?\s*(MARGINWATCH_[A-Z0-9_]+)=", re.MULTILINE)


def names_in_source() -> dict[str, str]:
    """Every MARGINWATCH_ variable the code under bot/ reads, with the file that reads it.

    Literal names are found by text; names built by pydantic-settings (``env_prefix`` plus a
    field) by reading each BaseSettings class. A prefix ending in ``_`` alone is not a name.
    """
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        for name in _NAME.findall(source):
            found.setdefault(name, where)
        for name in _settings_class_names(source):
            found.setdefault(name, where)
    return found


def _settings_class_names(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(
            getattr(base, "id", getattr(base, "attr", "")) == "BaseSettings" for base in node.bases
        ):
            continue
        prefix = _env_prefix(node)
        if not prefix.startswith(ENV_PREFIX):
            continue
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names.append(prefix + item.target.id.upper())
    return names


def _env_prefix(node: ast.ClassDef) -> str:
    for item in ast.walk(node):
        if isinstance(item, ast.keyword) and item.arg == "env_prefix":
            value = item.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
            if isinstance(value, ast.Name) and value.id == "ENV_PREFIX":
                return ENV_PREFIX
    return ""


def documented_in_env_example() -> set[str]:
    return set(_ASSIGNED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))


def test_env_example_is_the_one_generated_from_settings() -> None:
    committed = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert committed == render_env_example(), (
        ".env.example is out of date: run `python -m bot.settings env-example > .env.example`"
    )


def test_every_setting_is_in_env_example() -> None:
    missing = set(Settings.env_names()) - documented_in_env_example()
    assert not missing, f"settings missing from .env.example: {sorted(missing)}"


def test_every_variable_read_in_bot_is_in_env_example() -> None:
    used = names_in_source()
    # The scan must see the names it is meant to police, or it proves nothing.
    assert {
        "MARGINWATCH_DATABASE",
        "MARGINWATCH_MASTER_KEYS",
        "MARGINWATCH_TELEGRAM_TOKEN",
    } <= used.keys()
    missing = {
        name: where for name, where in used.items() if name not in documented_in_env_example()
    }
    assert not missing, f"MARGINWATCH_ names used in bot/ but not in .env.example: {missing}"


def test_every_variable_read_in_bot_is_a_setting() -> None:
    """Settings is the one place that knows setting names; anything else is a second source."""
    missing = {
        name: where for name, where in names_in_source().items() if name not in Settings.env_names()
    }
    assert not missing, f"MARGINWATCH_ names used in bot/ that Settings does not define: {missing}"


def test_readme_mentions_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    wanted = set(Settings.env_names()) | set(names_in_source())
    missing = sorted(name for name in wanted if name not in readme)
    assert not missing, f"README.md does not mention: {missing}"
