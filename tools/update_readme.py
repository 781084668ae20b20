"""Rewrite the README's generated blocks (commands, settings) from their one source each.

    .venv/bin/python tools/update_readme.py

tests/test_readme.py fails when a block is stale; this is the fix it asks for.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.chat.discord.commands import command_table as discord_table  # noqa: E402
from bot.chat.telegram.menu import command_table as telegram_table  # noqa: E402
from bot.settings import render_markdown_table  # noqa: E402

# Each generated block of the README and the one source that writes it.
BLOCKS = {
    "commands-discord": lambda: "\n".join(discord_table()),
    "commands-telegram": lambda: "\n".join(telegram_table()),
    "settings": render_markdown_table,
}


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {name} block")
    return pattern.sub(lambda m: m.group(1) + body.strip() + "\n" + m.group(2), text)


def main() -> int:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    for name, body in BLOCKS.items():
        text = replace_block(text, name, body())
    path.write_text(text, encoding="utf-8")
    print("README.md blocks updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
