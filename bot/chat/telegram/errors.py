"""The one error handler, and keeping the bot token out of every log line."""

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


class RedactToken(logging.Filter):
    """Replaces the token in any record it sees; attach it to the log handlers."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._token:
            return True
        text = record.getMessage()
        if self._token in text:
            record.msg = text.replace(self._token, "<token>")
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and self._token in str(
                record.exc_info[1]):
            record.exc_text = f"{type(record.exc_info[1]).__name__}: <redacted>"
            record.exc_info = None
        return True


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (never the update: it may hold a secret) and tell the user briefly."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden) or (isinstance(error, NetworkError)
                                        and not isinstance(error, BadRequest)):
        # Blocked by the user, or Telegram unreachable: nobody to tell, nothing to fix here.
        log.warning("telegram update %s: %s", update_id, type(error).__name__)
        return
    log.error("telegram update %s failed: %s", update_id, type(error).__name__,
              exc_info=(type(error), error, error.__traceback__) if error else None)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None:
        return
    try:
        await send(context.bot, chat.id,
                   message(texts.ERROR_TITLE, "error", lines=(texts.ERROR_INTERNAL,)))
    except TelegramError as reply_error:
        log.warning("could not tell chat about the failure: %s", type(reply_error).__name__)
