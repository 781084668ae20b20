"""Rewrite the README's generated blocks (command tables, settings, scenario format) from their one
source each.

    .venv/bin/python tools/update_readme.py          # rewrite README.md
    .venv/bin/python tools/update_readme.py --check  # only say whether it is stale (exit 1)

tests/test_readme.py fails when a block is stale; this is the fix it asks for.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def blocks() -> dict[str, Callable[[], str]]:
    """Each generated block of the README by name, with the function that writes it."""
    sys.path.insert(0, str(ROOT))
    from bot.chat.discord.commands import command_table as discord_table
    from bot.chat.telegram.menu import command_table as telegram_table
    from bot.demo.scenario import readme_fields
    from bot.settings import render_markdown_table

    return {
        "commands-discord": lambda: "\n".join(discord_table()),
        "commands-telegram": lambda: "\n".join(telegram_table()),
        "settings": render_markdown_table,
        "scenario": readme_fields,
    }


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {name} block")
    return pattern.sub(lambda m: m.group(1) + body.strip() + "\n" + m.group(2), text)


def updated(text: str) -> str:
    for name, render in blocks().items():
        text = replace_block(text, name, render())
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tools/update_readme.py",
        description="Rewrite README.md's generated blocks (commands, settings, scenario format).",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a block is stale"
    )
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if args.check:
        print("README.md blocks are " + ("up to date" if new == text else "stale"))
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    print("README.md blocks updated" if new != text else "README.md blocks already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
