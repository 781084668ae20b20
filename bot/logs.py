"""Logging for the service: text or JSON lines, with every known secret replaced by ``***``.

Call :func:`setup_logging` once at start-up (``setup_logging_from(settings)`` does it from
:class:`bot.settings.Settings` and registers its tokens and master keys). Register any other
secret the moment it is known, e.g. exchange credentials decrypted at run time::

    from bot import logs
    logs.register_secret(credentials.api_key, credentials.secret)

Redaction happens twice: a filter rewrites each record (message, arguments, exception and
stack text) and the formatter scrubs the finished line again, so a secret inside a traceback,
an ``extra`` field or a library's URL never reaches the output. Bot tokens in URLs
(``/bot<token>/``), Telegram-shaped tokens and Discord interaction/webhook tokens are scrubbed
even when nobody registered them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

MASK = "***"
# Shorter values are not registered: masking every "ab" would make the logs unreadable, and a
# value that short is not a credential anyone relies on.
MIN_SECRET_LENGTH = 4

# Libraries that put credentials in the URLs they log: PTB's httpx logs every request URL (with
# the bot token) at INFO; discord.http logs interaction and webhook URLs (with their tokens).
NOISY_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "discord.http": logging.WARNING,
    "discord.gateway": logging.INFO,
    "aiohttp.access": logging.WARNING,
    "ccxt": logging.WARNING,
    "apscheduler": logging.WARNING,
}

# Patterns for secrets nobody registered. Each keeps its first group and masks the rest.
_PATTERNS = (
    # Telegram Bot API and file URLs: .../bot<token>/method or .../file/bot<token>/path
    re.compile(r"(/bot)\d+:[^/\s?#\"']+"),
    # A bare Telegram token "<bot id>:<35 characters>".
    re.compile(r"(\b)\d{5,}:[A-Za-z0-9_-]{30,}"),
    # A bare Discord bot token: base64 user id, timestamp, HMAC, separated by dots.
    re.compile(r"(\b)[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),
    # Discord interaction callbacks and webhooks carry a token in the path.
    re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.-]{20,}"),
    # Authorization headers printed by a debugging library.
    re.compile(r"((?:Bot|Bearer) )[A-Za-z0-9_.\-]{20,}"),
    # Exchange key headers as ccxt prints them at DEBUG ('API-Key': '...'); the users' keys are
    # too many to register one by one.
    re.compile(
        r"((?:API-Key|X-MBX-APIKEY|X-BAPI-API-KEY|OK-ACCESS-KEY|OK-ACCESS-PASSPHRASE|"
        r"API-Sign|X-BAPI-SIGN|OK-ACCESS-SIGN)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+",
        re.IGNORECASE,
    ),
)

_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_INSTALLED = "_marginwatch_handler"


class Redactor:
    """Holds the secrets to mask and masks them in text (thread-safe)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, *values: str | None) -> None:
        with self._lock:
            added = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH} - self._secrets
            if not added:
                return
            self._secrets |= added
            # Longest first, so a secret containing another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def forget_all(self) -> None:
        """Drop every registered secret (tests, and a process that re-configures itself)."""
        with self._lock:
            self._secrets.clear()
            self._pattern = None

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:  # never the values
        return f"Redactor({len(self._secrets)} secrets)"

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for shape in _PATTERNS:
            text = shape.sub(lambda m: m.group(1) + MASK, text)
        return text


#: The process-wide redactor that :func:`setup_logging` installs.
REDACTOR = Redactor()


def register_secret(*values: str | None) -> None:
    """Mask these values in every log line from now on (None, '' and very short values ignored)."""
    REDACTOR.register(*values)


class RedactingFilter(logging.Filter):
    """Rewrites a record so its message, arguments, exception and stack text hold no secret.

    Attach it to handlers (handler filters also see records propagated from child loggers).
    """

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self._redactor.redact
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record (or its secret)
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class TextFormatter(logging.Formatter):
    """``2026-11-25T10:00:00Z INFO bot.monitor: message``, scrubbed once more when finished."""

    converter = time.gmtime

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ"
        )
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, exc (if any) and ``extra`` fields."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        return self._redactor.redact(json.dumps(entry, ensure_ascii=False))


def setup_logging(
    level: str | int = "INFO",
    fmt: str = "text",
    *,
    secrets: Iterable[str | None] = (),
    stream: IO[str] | None = None,
    redactor: Redactor = REDACTOR,
    capture_warnings: bool = True,
) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr) as text or JSON, secrets masked.

    Safe to call again: the handler it installed before is replaced, handlers others installed
    (pytest's caplog) are left alone, and each of those gets the redacting filter too.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    redactor.register(*secrets)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _INSTALLED, False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _INSTALLED, True)
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else TextFormatter(redactor))
    root.addHandler(handler)
    for existing in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in existing.filters):
            existing.addFilter(RedactingFilter(redactor))
    root.setLevel(level.upper() if isinstance(level, str) else level)
    quiet_noisy_loggers()
    # Warnings (e.g. an unclosed session) go through the same redacted handler.
    if capture_warnings:
        logging.captureWarnings(True)
    return handler


def setup_logging_from(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """:func:`setup_logging` with the level, format and secrets of ``settings``."""
    return setup_logging(
        settings.log_level, settings.log_format, secrets=settings.secret_values(), stream=stream
    )


def quiet_noisy_loggers() -> None:
    """Raise the libraries' loggers that would print credentials in URLs at INFO or DEBUG."""
    for name, level in NOISY_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < level:
            logger.setLevel(level)
