"""One user floods the bot with commands: how long does everybody else wait for an answer?

    python bench/flood_fairness.py                 # 200 commands in 2 s, 4 other users
    python bench/flood_fairness.py --quick --json  # 60 commands in 1 s, 2 other users

The real python-telegram-bot Application long-polls the fake Bot API (``tests/fakes``) over HTTP
on 127.0.0.1, with the production pace of one message a second per private chat and the real
core (flood control included) on a SQLite file. The flooder cycles through /help, an unknown
command, /link, /accounts and /status; meanwhile every other user sends /help, waits for the
answer and asks again a pace later (their own chat's pace is theirs to wait). A wait runs from
the user's message reaching the Bot API to the bot's answer reaching it (target: p99 under
1 s). No exchange is read, so no venue limits apply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import load_average, percentile

FLOODER = 7001
COMMANDS = ("/help", "/nosuchcommand", "/link", "/accounts", "/status")


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from bot.chat.telegram.app import TelegramFrontend
    from bot.chat.telegram.settings import TelegramSettings
    from bot.core import texts
    from bot.core.usecases import Core
    from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
    from bot.store import Store, Vault, generate_key
    from tests.fakes.telegram_api import FakeTelegramServer

    others = [FLOODER + 1 + n for n in range(args.users)]
    folder = Path(tempfile.mkdtemp(prefix="marginwatch-flood-"))
    store = await Store.open(folder / "flood.db", Vault.from_strings([generate_key()]))
    load_before = load_average()
    async with FakeTelegramServer() as api, ExchangeHub() as hub:
        for user in (FLOODER, *others):
            api.user(user, f"user{user}")
            api.private_chat(user)
        settings = TelegramSettings(
            token=api.token, api_url=api.base_url, private_chat_pace=args.pace
        )
        front = TelegramFrontend(settings, Core(store, hub, SUPPORTED_VENUES))
        await front.start(poll_timeout=1, menus=False)

        async def flood() -> None:
            for n in range(args.commands):
                api.user_says(FLOODER, FLOODER, COMMANDS[n % len(COMMANDS)])
                await asyncio.sleep(args.seconds / args.commands)

        async def ask(user: int, waits: list[float], until: asyncio.Task[None]) -> None:
            # A user's own answers are a pace apart in their chat: ask no faster than that, so a
            # wait measures only what the flood costs them.
            while not until.done():
                after = api.last_message_id()
                asked = time.monotonic()
                api.user_says(user, user, "/help")
                await api.wait_for_message(user, after=after, contains=texts.HELP_TITLE, timeout=30)
                waits.append(time.monotonic() - asked)
                await asyncio.sleep(max(0.0, asked + args.pace + 0.05 - time.monotonic()))

        try:
            flooding = asyncio.create_task(flood())
            waits: list[float] = []
            await asyncio.gather(*(ask(user, waits, flooding) for user in others), flooding)
            # The flooder's own answers are paced in their own chat: wait for the last of them.
            deadline = time.monotonic() + args.commands + 15
            while time.monotonic() < deadline:
                told = [m for m in api.sent(FLOODER) if texts.SLOW_DOWN_TITLE in m.text]
                if told:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2 * args.pace + 0.5)
            flooder_sent = api.sent(FLOODER)
        finally:
            dropped = await front.stop()
            await store.close()
            shutil.rmtree(folder, ignore_errors=True)
    slow_downs = sum(texts.SLOW_DOWN_TITLE in m.text for m in flooder_sent)
    return {
        "bench": "flood_fairness",
        "commands": args.commands,
        "flood_seconds": args.seconds,
        "other_users": args.users,
        "private_chat_pace_s": args.pace,
        "venue_limits": "none (no exchange is read)",
        "answers_to_others": len(waits),
        "wait_p50_s": round(percentile(waits, 0.50), 3),
        "wait_p99_s": round(percentile(waits, 0.99), 3),
        "wait_max_s": round(max(waits, default=0.0), 3),
        "flooder_messages": len(flooder_sent),
        "flooder_slow_downs": slow_downs,
        "replies_dropped_at_stop": dropped,
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--pace", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.commands, args.seconds, args.users = 60, 1.0, 2
    result = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"{result['commands']} commands from one user in {result['flood_seconds']} s; "
        f"{result['other_users']} other users asking /help meanwhile (pace "
        f"{result['private_chat_pace_s']} s per private chat; {result['venue_limits']})"
    )
    print(
        f"others' waits over {result['answers_to_others']} answers: p50 {result['wait_p50_s']} s, "
        f"p99 {result['wait_p99_s']} s, max {result['wait_max_s']} s"
    )
    print(
        f"flooder: {result['flooder_messages']} messages back, "
        f"{result['flooder_slow_downs']} slow-down notice(s)"
    )
    print(f"load average {result['load_average_before']} -> {result['load_average_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
