"""A key or secret pasted into a group is deleted at once and its owner warned."""

from __future__ import annotations

import logging

from telegram import Bot, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.core import texts
from bot.core.keyguard import looks_like_secret
from bot.core.refs import UserRef, fill

from .render import telegram_html

log = logging.getLogger(__name__)


async def delete_pasted_secret(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group: if a message looks like a key, delete it, warn its author, stop handling it.

    Blocking (it must stop the other handlers), so it only decides here; the deletion and the
    warning run as a task and the update loop moves on at once.
    """
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    if not looks_like_secret(message.text or message.caption or ""):
        return
    context.application.create_task(_delete_and_warn(message, user, context.bot), update=update)
    raise ApplicationHandlerStop


async def _delete_and_warn(message: Message, user: User, bot: Bot) -> None:
    try:
        await message.delete()
    except TelegramError as error:
        # Without the right to delete, the warning matters even more: it tells the owner to
        # revoke the key.
        log.warning(
            "could not delete a pasted secret in chat %s: %s", message.chat_id, type(error).__name__
        )
    warning = telegram_html(
        fill(texts.KEY_IN_GROUP_DELETED, member=UserRef(str(user.id), user.full_name))
    )
    await bot.send_message(
        message.chat_id,
        warning,
        parse_mode=ParseMode.HTML,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
    )
