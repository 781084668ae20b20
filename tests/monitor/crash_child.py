"""Child process for the crash test: runs the real monitor on a database file until told or killed.

    python -m tests.monitor.crash_child DB DELIVERIES (hang|deliver)

``hang``: link an account at margin call if none exists, start the monitor, and hang inside the
transport's send, after printing ``SENDING <title>``: the parent SIGKILLs us there.
``deliver``: start the monitor with a transport that appends each message to DELIVERIES (one
JSON line), wait until the start-up re-check is judged and the outbox is empty, then exit.
The master key comes from the CRASH_TEST_KEY environment variable.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bot.core.messages import Message
from bot.monitor.transport import Destination
from bot.store import Store, Vault
from tests.monitor.world import link
from tests.support.crash_child import run_until_idle


class HangingChat:
    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        print(f"SENDING {message.title}", flush=True)
        await asyncio.Event().wait()  # never returns: the parent kills us here


class FileChat:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"chat": destination.chat_id, "title": message.title}) + "\n")


async def main(db: Path, deliveries: Path, mode: str) -> int:
    store = await Store.open(db, Vault.from_strings([os.environ["CRASH_TEST_KEY"]]))
    accounts = await store.all_accounts()
    if not accounts:
        account, _ = await link(store, 0.0)
        accounts = [account]
    await run_until_idle(store, accounts, HangingChat() if mode == "hang" else FileChat(deliveries))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
