"""The one place a neutral Message goes out to, or replaces one in, a Telegram chat."""

from __future__ import annotations

from typing import Any

from telegram import Bot
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.core.messages import Message

from .render import render

# Someone is waiting for a reply: wait out one 429 in place. Outbox deliveries pass
# patient=False so a 429 goes back to the outbox, which retries after retry_after without
# holding a worker (see PacedRateLimiter).
_REPLY_RETRIES = 1


def _limits(bot: Bot, patient: bool) -> dict[str, Any]:
    # rate_limit_args exists only on a bot built with a rate limiter (ExtBot with one).
    if patient and isinstance(bot, ExtBot) and bot.rate_limiter is not None:
        return {"rate_limit_args": _REPLY_RETRIES}
    return {}


async def send(
    bot: Bot,
    chat_id: int | str,
    message: Message,
    thread_id: int | None = None,
    *,
    patient: bool = True,
) -> TelegramMessage:
    """Send ``message`` (a photo with caption when it carries an image)."""
    shown = render(message)
    if shown.photo is not None:
        return await bot.send_photo(
            chat_id,
            shown.photo,
            caption=shown.html,
            parse_mode=ParseMode.HTML,
            reply_markup=shown.keyboard,
            disable_notification=shown.disable_notification,
            message_thread_id=thread_id,
            filename=shown.photo_filename or None,
            **_limits(bot, patient),
        )
    return await bot.send_message(
        chat_id,
        shown.html,
        parse_mode=ParseMode.HTML,
        reply_markup=shown.keyboard,
        disable_notification=shown.disable_notification,
        message_thread_id=thread_id,
        **_limits(bot, patient),
    )


async def replace(
    bot: Bot, chat_id: int | str, message_id: int, message: Message, *, has_photo: bool = False
) -> None:
    """Show ``message`` in place of an earlier one (a refreshed status card)."""
    shown = render(message)
    try:
        if has_photo:
            await bot.edit_message_caption(
                chat_id,
                message_id,
                caption=shown.html,
                parse_mode=ParseMode.HTML,
                reply_markup=shown.keyboard,
                **_limits(bot, True),
            )
        else:
            await bot.edit_message_text(
                shown.html,
                chat_id,
                message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=shown.keyboard,
                **_limits(bot, True),
            )
    except BadRequest as error:
        # Pressing Refresh twice with nothing new is not a failure; Telegram just says so.
        if "not modified" not in error.message:
            raise
