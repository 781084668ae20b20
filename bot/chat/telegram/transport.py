"""Outbox delivery to Telegram: 429 waited out, blocked chats gone, migrated groups followed."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.core.delivery import DeliveryRetry, Destination, DestinationGone
from bot.core.messages import Message

from .send import send

log = logging.getLogger(__name__)

# Called with (old chat id, new chat id) when a group became a supergroup, so subscriptions
# follow it; provided by the composition root (it owns the store).
ChatMoved = Callable[[str, str], Awaitable[None]]

# BadRequest descriptions that mean the destination itself no longer exists.
_GONE_DESCRIPTIONS = (
    "chat not found",
    "message thread not found",
    "topic_deleted",
    "topic_closed",
    "not enough rights to send",
)


def retry_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB is moving it from int to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


_UNREACHABLE_RETRY_SECONDS = 10.0


class TelegramTransport:
    """The outbox's Transport for ``platform == "telegram"``.

    ``destination.chat_id`` is the Telegram chat id (a user's id for a private chat, negative
    for groups); ``thread_id``, when set, is a forum topic in that group.
    """

    platform = "telegram"

    def __init__(self, bot: Bot, on_chat_moved: ChatMoved | None = None) -> None:
        self.bot = bot
        self._on_chat_moved = on_chat_moved

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        """Send once. Telegram has no idempotency key, so ``key`` is unused: a resend after the
        process died inside this call repeats the message (the outbox records the delivery as
        soon as this returns, to keep that window short)."""
        thread = int(destination.thread_id) if destination.thread_id else None
        try:
            try:
                await send(self.bot, destination.chat_id, message, thread_id=thread, patient=False)
            except ChatMigrated as moved:
                # The group became a supergroup with a new id; deliver there and move it for good.
                new_chat_id = str(moved.new_chat_id)
                await send(self.bot, new_chat_id, message, thread_id=thread, patient=False)
                await self._moved(destination.chat_id, new_chat_id)
        except RetryAfter as error:
            raise DeliveryRetry(retry_seconds(error)) from None
        except Forbidden as error:
            raise DestinationGone(_gone_reason(error)) from None
        except BadRequest as error:
            if any(marker in error.message.lower() for marker in _GONE_DESCRIPTIONS):
                raise DestinationGone(_gone_reason(error)) from None
            raise
        except NetworkError:
            # Telegram down or unreachable (5xx, timeout, reset). Ask again soon, as the Discord
            # transport does: the outbox's doubling backoff delayed alerts by minutes after a
            # ten-minute outage ended (found by tests/reliability/test_chat_faults.py).
            raise DeliveryRetry(_UNREACHABLE_RETRY_SECONDS) from None

    async def _moved(self, old_chat_id: str, new_chat_id: str) -> None:
        if self._on_chat_moved is None:
            log.warning(
                "telegram chat %s moved to %s but nobody records moves; each alert "
                "will be redirected again",
                old_chat_id,
                new_chat_id,
            )
            return
        await self._on_chat_moved(old_chat_id, new_chat_id)


def _gone_reason(error: BadRequest | Forbidden) -> str:
    description = error.message.removeprefix("Forbidden: ").removeprefix("Bad Request: ")
    return f"Telegram will not deliver to this chat any more ({description})"
