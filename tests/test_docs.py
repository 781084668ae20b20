"""The design in docs/ stands with the code: what is cited exists, the worked example is real."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import risk

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
# Hidden folders are tools' caches and virtualenvs (.git, .venv, .hypothesis...), except CI's.
SKIP_DIRS = {"__pycache__", "build", "dist"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ""}


def _text_files() -> list[Path]:
    found = []
    for path in sorted(REPO.rglob("*")):
        parts = path.relative_to(REPO).parts
        hidden = parts[0] == ".git" or any(p.startswith(".") and p != ".ci" for p in parts[:-1])
        if hidden or any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        if not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES and path.stat().st_size < 1_000_000:
            found.append(path)
    return found


FILES = _text_files()
# "docs/alerts.md", "README.md", "../README.md": a path-like word ending in .md.
CITED = re.compile(r"(?<![\w/.-])((?:\.\.?/)*(?:[\w-]+/)*[\w.-]+\.md)\b")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _resolves(target: str, citing: Path) -> bool:
    target = target.split("#", 1)[0]
    if not target:
        return True  # a link to a heading of the same page
    return (citing.parent / target).exists() or (REPO / target).exists()


def test_the_scan_reads_the_code_and_the_docs() -> None:
    names = {path.relative_to(REPO).as_posix() for path in FILES}
    assert {"risk/engine.py", "bot/app.py", "docs/README.md", "README.md"} <= names


def test_every_document_the_code_cites_exists() -> None:
    missing = [
        f"{path.relative_to(REPO)}:{number}: {target}"
        for path in FILES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for target in CITED.findall(line)
        if not _resolves(target, path)
    ]
    assert missing == []


def test_every_link_in_the_markdown_resolves() -> None:
    broken = [
        f"{path.relative_to(REPO)}: {target}"
        for path in FILES
        if path.suffix == ".md"
        for target in LINK.findall(path.read_text(encoding="utf-8"))
        if not target.startswith(("http://", "https://", "mailto:")) and not _resolves(target, path)
    ]
    assert broken == []


def test_nothing_cites_a_design_kept_outside_the_repository() -> None:
    # Built here so that this file does not match itself.
    outside = re.compile(r"\b" + "DES" + r"IGN\b|" + "/wo" + "rk/")
    hits = [
        f"{path.relative_to(REPO)}:{number}"
        for path in FILES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if outside.search(line)
    ]
    assert hits == []


def test_the_docs_hold_the_design_they_promise() -> None:
    for page in (
        "docs/README.md",
        "docs/architecture.md",
        "docs/risk-contract.md",
        "docs/alerts.md",
        "docs/recordings.md",
        "docs/recipes.md",
    ):
        assert (REPO / page).is_file(), page
    recipes = (REPO / "docs/recipes.md").read_text(encoding="utf-8")
    for recipe in ("Add a venue", "Add a command", "Add a migration", "Add a text"):
        assert f"## {recipe}" in recipes


# --- the worked example of docs/risk-contract.md --------------------------------------------


@dataclass(frozen=True)
class Printed:
    """A number as the page prints it: its value and how many decimals were written."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)

    @property
    def tolerance(self) -> float:
        decimals = len(self.text.partition(".")[2].partition("e")[0]) if "." in self.text else 0
        return 0.5 * 10.0**-decimals + 1e-12


def _examples() -> dict[str, Any]:
    text = (REPO / "docs/risk-contract.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- worked-example: (\w+) -->\n```json\n(.*?)\n```", text, re.S)
    return {name: json.loads(body, parse_float=Printed, parse_int=Printed) for name, body in blocks}


def _plain(value: Any) -> Any:
    if isinstance(value, Printed):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _differences(printed: Any, actual: Any, where: str = "health") -> list[str]:
    if isinstance(printed, dict):
        if not isinstance(actual, dict):
            return [f"{where}: the page shows an object, the output {actual!r}"]
        out = []
        if set(printed) != set(actual):
            out.append(f"{where}: fields {sorted(printed)} on the page, {sorted(actual)} output")
        for key in set(printed) & set(actual):
            out += _differences(printed[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(printed, list):
        if not isinstance(actual, list) or len(printed) != len(actual):
            return [f"{where}: {len(printed)} items on the page, output {actual!r}"]
        return [
            line
            for i, (p, a) in enumerate(zip(printed, actual, strict=True))
            for line in _differences(p, a, f"{where}[{i}]")
        ]
    if isinstance(printed, Printed):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return [f"{where}: the page shows {printed.text}, the output {actual!r}"]
        if abs(printed.value - actual) > printed.tolerance:
            return [f"{where}: the page shows {printed.text}, the output is {actual!r}"]
        return []
    return [] if printed == actual else [f"{where}: the page shows {printed!r}, output {actual!r}"]


def test_the_worked_example_is_what_python_m_risk_assess_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from risk.__main__ import main

    examples = _examples()
    assert set(examples) == {"snapshot", "health"}
    snapshot = tmp_path / "example.json"
    snapshot.write_text(json.dumps(_plain(examples["snapshot"])), encoding="utf-8")
    assert main(["assess", str(snapshot)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert _differences(examples["health"], printed) == []


def test_the_comparison_catches_a_wrong_figure_or_a_missing_field() -> None:
    page = json.loads('{"a": 0.4149, "b": [1]}', parse_float=Printed, parse_int=Printed)
    assert _differences(page, {"a": 0.41494, "b": [1]}) == []
    assert _differences(page, {"a": 0.4151, "b": [1]}) != []  # off in the printed decimals
    assert _differences(page, {"a": 0.4149, "b": [1], "c": None}) != []  # a field not shown


def test_the_worked_example_is_the_one_shipped_with_risk() -> None:
    shipped = json.loads((REPO / "risk" / "examples" / "binance-usdm.json").read_text())
    assert risk.parse_snapshot(_plain(_examples()["snapshot"])) == risk.parse_snapshot(shipped)


def test_every_json_block_in_the_docs_is_json() -> None:
    for page in sorted(DOCS.glob("*.md")):
        for body in re.findall(r"```json\n(.*?)\n```", page.read_text(encoding="utf-8"), re.S):
            json.loads(body)
