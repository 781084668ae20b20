"""Child process for the kill tests: the real store and monitor on a database file.

    python -m tests.reliability.crash_child DB DELIVERIES MODE

MODE ``migrate``: open the store; the schema migration hangs after its body ran, inside its
transaction, after printing ``MIGRATING``. ``judge``: link two accounts at margin call (two
chats) if none exist, start the monitor; the poll's transaction hangs after writing the alert
states, outbox rows and health point, after printing ``WRITING``. ``send``: the transport
delivers chat ``A`` and hangs on chat ``B`` after printing ``SENDING B``. ``deliver``: run until
every poll is judged and the outbox is empty, appending each delivery to DELIVERIES, then print
``IDLE``. The master key comes from RELIABILITY_KEY.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bot.core.messages import Message
from bot.monitor.transport import Destination
from bot.store import Store, Vault
from bot.store.history import History
from bot.store.schema import migrations
from tests.monitor.world import link
from tests.support.crash_child import run_until_idle


def hang(word: str) -> None:
    print(word, flush=True)
    time.sleep(3600)  # the parent kills us here (this blocks the database thread on purpose)


class FileChat:
    def __init__(self, path: Path, store: Store, hang_on: str | None) -> None:
        self.path = path
        self.store = store
        self.hang_on = hang_on

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        if destination.chat_id == self.hang_on:
            # Hang only once the other chat's delivery is recorded: the kill then lands in the
            # middle of a round, not in the instant between a send and its record (that instant
            # is at-least-once by design: see the report of issue 9).
            while not await self.store.read(
                lambda tx: tx.db.execute(
                    "select count(*) from outbox where status = 'delivered'"
                ).fetchone()[0]
            ):
                await asyncio.sleep(0.01)
            print(f"SENDING {destination.chat_id}", flush=True)
            await asyncio.Event().wait()
        with self.path.open("a", encoding="utf-8") as out:
            out.write(
                json.dumps(
                    {
                        "chat": destination.chat_id,
                        "title": message.title,
                        "lines": list(message.lines),
                    }
                )
                + "\n"
            )


async def main(db: Path, deliveries: Path, mode: str) -> int:
    if mode == "migrate":
        for migration in migrations._migrations:
            body = migration.fn

            def hanging(database: Any, body: Any = body) -> None:
                body(database)
                hang("MIGRATING")

            migration.fn = hanging
    store = await Store.open(db, Vault.from_strings([os.environ["RELIABILITY_KEY"]]))
    accounts = await store.all_accounts()
    if not accounts:
        accounts = [
            (await link(store, 0.0, label="alpha", chat="A"))[0],
            (await link(store, 0.0, label="beta", chat="B", owner="43"))[0],
        ]
    if mode == "judge":
        add = History.add

        def hanging_add(self: History, point: Any) -> None:
            add(self, point)
            hang("WRITING")

        History.add = hanging_add  # type: ignore[method-assign]
    chat = FileChat(deliveries, store, "B" if mode == "send" else None)
    await run_until_idle(store, accounts, chat)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
