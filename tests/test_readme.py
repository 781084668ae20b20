"""The README is the product's front door: its commands, settings and set-up must be true."""

from __future__ import annotations

import re
from pathlib import Path

from bot.chat.discord.commands import command_table as discord_table
from bot.chat.telegram.menu import command_table as telegram_table
from bot.settings import render_markdown_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

DEMO_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/marginwatch demo"
TEST_COMMAND = 'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/pytest'


def block(name: str) -> str:
    found = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", README, re.S)
    assert found, f"README has no {name} block"
    return found.group(1).strip()


def test_every_command_has_its_readme_row_as_each_platform_spells_it() -> None:
    for name, table in (("commands-discord", discord_table), ("commands-telegram", telegram_table)):
        expected = "\n".join(table())
        assert block(name) == expected, "run tools/update_readme.py; expected:\n" + expected


def test_every_setting_has_its_readme_row() -> None:
    expected = render_markdown_table().strip()
    assert block("settings") == expected, "paste this into the README:\n" + expected


def test_the_scenario_format_has_its_readme_rows() -> None:
    from bot.demo.scenario import readme_fields

    assert block("scenario") == readme_fields().strip()


def test_update_readme_help_explains_and_changes_nothing(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    # A copy of the tool beside a stale README: it rewrites the README next to it.
    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "update_readme.py", tmp_path / "tools")
    stale = README.replace(block("settings"), "stale")
    (tmp_path / "README.md").write_text(stale, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["--help"], ["--check"]):
        proc = subprocess.run(
            [sys.executable, str(tmp_path / "tools" / "update_readme.py"), *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert (tmp_path / "README.md").read_text(encoding="utf-8") == stale, args
        assert proc.returncode == (0 if args == ["--help"] else 1), proc.stderr
    help_proc = subprocess.run(
        [sys.executable, str(tmp_path / "tools" / "update_readme.py"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "usage:" in help_proc.stdout and "--check" in help_proc.stdout


def test_the_readme_gives_the_two_set_up_commands() -> None:
    assert DEMO_COMMAND in README
    assert TEST_COMMAND in README


def test_ci_runs_the_readme_install_and_test_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # CI builds its own virtualenv folder (so it never deletes the user's .venv); apart from
    # the folder, it runs the README's test command step by step, in order.
    folder = next(line.split("=", 1)[1] for line in lines if line.startswith("venv="))
    assert folder != ".venv"
    lines = [line.replace('"$venv"', folder) for line in lines]
    steps = [
        f"python3 -m venv {folder}",
        f'{folder}/bin/pip install --quiet -e ".[dev]"',
        f"{folder}/bin/pytest",
    ]
    assert TEST_COMMAND.replace(".venv", folder).split(" && ") == [
        steps[0],
        steps[1].replace(" --quiet", ""),
        steps[2],
    ]
    positions = [next(i for i, line in enumerate(lines) if line == step) for step in steps]
    assert positions == sorted(positions)
    assert f"{folder}/bin/ruff format --check ." in lines


def test_every_venue_profile_is_in_the_readme() -> None:
    from risk import PROFILES

    for venue in PROFILES:
        shown = "generic:<id>" if venue == "generic" else venue
        assert f"| `{shown}` |" in README, f"venue {venue} missing from the README table"


def test_every_bench_script_is_in_the_readme_list() -> None:
    section = README.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_"))
    assert scripts, "no bench script found"
    assert [s for s in scripts if f"bench/{s}" not in section] == []


def test_every_recording_is_described_in_its_folders_readme() -> None:
    folder = ROOT / "tests" / "fixtures" / "recordings"
    described = (folder / "README.md").read_text(encoding="utf-8")
    recordings = sorted(p.name for p in folder.glob("*.json"))
    assert recordings, "no recording found"
    assert [r for r in recordings if f"| `{r}` |" not in described] == []


def test_the_license_is_the_mit_text_pyproject_names() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} marginwatch contributors$", text, re.M)
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_the_readme_notes_pyproject_points_at_exist() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pointers = re.findall(r'see the README, "([^"]+)"', pyproject)
    assert pointers, "pyproject.toml's ccxt comment names no README section"
    for title in pointers:
        assert re.search(rf"^#+ {re.escape(title)}$", README, re.M), title


def _fenced(name: str) -> str:
    """The fenced code inside a README block (without the ``` lines)."""
    return "\n".join(line for line in block(name).splitlines() if not line.startswith("```"))


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    return README[start : README.index("\n## ", start + 1)]


def test_the_rehearsal_shows_what_marginwatch_sim_prints() -> None:
    from bot.sim import Simulator
    from bot.sim.accounts import DEFAULT_ACCOUNTS, load_accounts, open_accounts
    from bot.sim.cli import DEFAULT_HOST, DEFAULT_PORT

    sim = Simulator()
    sim.serve_all()
    lines = [a.line() for a in open_accounts(sim, load_accounts(DEFAULT_ACCOUNTS))]
    lines.append(f"ready http://{DEFAULT_HOST}:{DEFAULT_PORT}")
    assert _fenced("sim-accounts") == "\n".join(lines)


def test_the_rehearsals_accounts_example_and_curl_are_accepted_as_written() -> None:
    import json

    from bot.exchanges.hyperliquid import check_wallet_address
    from bot.sim import Simulator
    from bot.sim.accounts import open_accounts, parse_accounts
    from bot.sim.market import parse_usd_prices

    example = parse_accounts(json.loads(_fenced("accounts-example")))
    sim = Simulator()
    sim.serve_all()
    opened = open_accounts(sim, example)
    assert {a.label for a in opened} == {"desk", "spot-margin", "wallet"}
    for account in opened:
        if account.uses_address:
            check_wallet_address(account.key)  # the bot would accept it at /link
    section = _section("Rehearse before you link a real key")
    body = re.search(r"/_sim/prices -d '([^']+)'", section)
    assert body, "the rehearsal has no curl moving the price"
    assert parse_usd_prices(json.loads(body.group(1)), sim.known_assets()) == {"BTC": 41000.0}


def test_the_testnet_table_names_every_venue() -> None:
    from bot.exchanges.modes import SANDBOXES

    section = _section("Rehearse before you link a real key")
    table = section[section.index("**Testnet mode.**") :]
    for venue in SANDBOXES:
        assert f"`{venue}`" in table, f"{venue} missing from the testnet table"
