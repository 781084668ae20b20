"""The one error handler, and library log levels that keep the token and typed keys out of logs.

bot.logs sets the same floors and redacts for the whole service; these hold even when the
adapter runs without it (tests, embedding).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.core import texts
from bot.core.messages import message

from .send import send

log = logging.getLogger(__name__)


def quiet_library_logs() -> None:
    """Keep the token and typed secrets out of the logs, whatever the root level is.

    httpx logs every request URL at INFO, and Bot API URLs contain the token; python-telegram-bot
    logs whole updates and API parameters at DEBUG, and an update may be a key typed during /link.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (never the update: it may hold a secret) and tell the user briefly."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    ):
        # Blocked by the user, or Telegram unreachable: nobody to tell, nothing to fix here.
        log.warning("telegram update %s: %s", update_id, type(error).__name__)
        return
    log.error(
        "telegram update %s failed: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None:
        return
    try:
        await send(
            context.bot, chat.id, message(texts.ERROR_TITLE, "error", lines=(texts.ERROR_INTERNAL,))
        )
    except TelegramError as reply_error:
        log.warning("could not tell chat about the failure: %s", type(reply_error).__name__)
