"""The replies being worked on: every handler's slow part runs as a task tracked here.

No handler may hold PTB's update loop: a reply waits for the private-chat pace (one message a
second to one chat) and core may read an exchange for seconds, so either would stall every
other user's updates behind it. Handlers therefore run non-blocking (``block=False``), and the
few that must stay blocking (the /link conversation, whose state PTB keeps only for blocking
callbacks) hand their I/O to :meth:`Replies.spawn`.

Shutdown drops what is still pending (:meth:`Replies.drop`): a reply is worth nothing once the
bot is going away, and waiting for a flooded chat's paced backlog would overrun the service's
stop timeout. Alerts are not replies: they stay in the outbox for the next start.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)

REPLIES_KEY = "marginwatch.replies"
T = TypeVar("T")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[T]]


class Replies:
    """The reply tasks in flight; closing drops them and whatever arrives after."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False
        self.dropped = 0  # replies not sent because the bot was stopping

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def spawn(self, application: Application, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` (a reply's I/O) as a task of the application, tracked here."""
        if self.closing:
            work.close()
            self.dropped += 1
            return
        application.create_task(self._tracked(work))

    async def _tracked(self, work: Awaitable[T]) -> T | None:
        if self.closing:
            if asyncio.iscoroutine(work):
                work.close()
            self.dropped += 1
            return None
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            return await work
        finally:
            self._tasks.discard(task)

    async def drop(self) -> int:
        """Stop taking replies, cancel the pending ones; how many were dropped so far."""
        self.closing = True
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.dropped += len(tasks)
        return self.dropped


def replies_of(context: ContextTypes.DEFAULT_TYPE) -> Replies:
    return context.application.bot_data[REPLIES_KEY]


def tracked(handler: Handler[T]) -> Handler[T | None]:
    """A non-blocking handler whose run shutdown can drop (and that runs not at all then)."""

    @functools.wraps(handler)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> T | None:
        return await replies_of(context)._tracked(handler(update, context))

    return run
