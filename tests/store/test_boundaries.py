"""bot/store depends only on the standard library, sqlite-utils and cryptography."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

STORE = Path(__file__).resolve().parents[2] / "bot" / "store"
ALLOWED_THIRD_PARTY = {"sqlite_utils", "cryptography"}


def _imported_roots(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_store_modules_import_nothing_but_stdlib_sqlite_utils_cryptography_and_themselves() -> None:
    offenders = {}
    for path in sorted(STORE.glob("*.py")):
        bad = {
            name
            for name in _imported_roots(path)
            if not name.startswith("bot.store")
            and name.split(".")[0] not in ALLOWED_THIRD_PARTY
            and name.split(".")[0] not in sys.stdlib_module_names
            and name != "__future__"
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}
    assert len(list(STORE.glob("*.py"))) > 5  # the walk really saw the package
