"""The one place a neutral Message goes out to, or replaces one in, a Telegram chat."""

from __future__ import annotations

from telegram import Bot
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core.messages import Message

from .render import render


async def send(bot: Bot, chat_id: int | str, message: Message,
               thread_id: int | None = None) -> TelegramMessage:
    """Send ``message`` (a photo with caption when it carries an image)."""
    shown = render(message)
    if shown.photo is not None:
        return await bot.send_photo(
            chat_id, shown.photo, caption=shown.html, parse_mode=ParseMode.HTML,
            reply_markup=shown.keyboard, disable_notification=shown.disable_notification,
            message_thread_id=thread_id, filename=shown.photo_filename or None)
    return await bot.send_message(
        chat_id, shown.html, parse_mode=ParseMode.HTML, reply_markup=shown.keyboard,
        disable_notification=shown.disable_notification, message_thread_id=thread_id)


async def replace(bot: Bot, chat_id: int | str, message_id: int, message: Message,
                  *, has_photo: bool = False) -> None:
    """Show ``message`` in place of an earlier one (a refreshed status card)."""
    shown = render(message)
    try:
        if has_photo:
            await bot.edit_message_caption(chat_id, message_id, caption=shown.html,
                                           parse_mode=ParseMode.HTML, reply_markup=shown.keyboard)
        else:
            await bot.edit_message_text(shown.html, chat_id, message_id,
                                        parse_mode=ParseMode.HTML, reply_markup=shown.keyboard)
    except BadRequest as error:
        # Pressing Refresh twice with nothing new is not a failure; Telegram just says so.
        if "not modified" not in error.message:
            raise
