"""bot.core stays chat-agnostic: importing all of it pulls in neither discord nor telegram."""

from __future__ import annotations

import subprocess
import sys

CHECK = (
    "import bot.core, bot.core.messages, bot.core.registry, bot.core.texts, bot.core.identity, "
    "bot.core.format, bot.core.views, bot.core.alerts, bot.core.chart, bot.core.keyguard, "
    "bot.core.usecases; import sys; "
    "leaked = sorted(m for m in sys.modules if m.startswith(('discord', 'telegram'))); "
    "assert not leaked, leaked"
)


def test_core_imports_neither_discord_nor_telegram() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
