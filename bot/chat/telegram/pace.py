"""Rate limiting: PTB's AIORateLimiter (30/s overall, 20/min per group) plus a private-chat pace.

AIORateLimiter has no per-chat limit for private chats, yet Telegram answers more than about one
message per second to one chat with 429s; alerts, replies and edits to one trader share this pace.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

# Bounded so a bot in many chats does not keep a lock per chat forever.
_MAX_TRACKED_CHATS = 10_000


class PrivateChatPace:
    """At most one request per ``interval`` seconds to each private chat, in arrival order."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next: OrderedDict[int, float] = OrderedDict()
        self._locks: dict[int, asyncio.Lock] = {}

    async def wait(self, chat_id: int) -> None:
        """Return once a request to ``chat_id`` may go out (immediately for groups)."""
        if chat_id <= 0 or self.interval <= 0:
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            delay = self._next.get(chat_id, 0.0) - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next[chat_id] = self._clock() + self.interval
            self._next.move_to_end(chat_id)
            while len(self._next) > _MAX_TRACKED_CHATS:
                oldest, _ = self._next.popitem(last=False)
                if oldest in self._locks and not self._locks[oldest].locked():
                    del self._locks[oldest]


# Methods that put something new in front of the user; answers to button presses and deletions
# are not paced, so a press always feels instant.
_PACED_ENDPOINTS = frozenset({"sendMessage", "sendPhoto", "editMessageText", "sendDocument"})


class PacedRateLimiter(AIORateLimiter):
    """AIORateLimiter that first waits for the private-chat pace.

    ``max_retries`` is 0 by default: a 429 on an outbox delivery goes back to the outbox, which
    keeps the row and retries after ``retry_after`` without a worker sleeping on it. Replies to
    a user pass ``rate_limit_args=1`` and wait one 429 out in place (see ``send.py``).
    """

    def __init__(self, pace: PrivateChatPace, max_retries: int = 0) -> None:
        super().__init__(max_retries=max_retries)
        self.pace = pace

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = _numeric(data.get("chat_id"))
        if endpoint in _PACED_ENDPOINTS and chat_id is not None:
            await self.pace.wait(chat_id)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def _numeric(chat_id: object) -> int | None:
    """The chat id as an int; None for an @channelname (never a private chat) or nothing."""
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        return int(chat_id)
    return None
