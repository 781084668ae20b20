"""The one place where ccxt's error tree becomes an account state the user understands."""

from __future__ import annotations

import asyncio
import re

import ccxt.async_support as ccxt

from .texts import READ_FAILED
from .types import ReadState


class ExchangeReadError(Exception):
    """A read that failed, already classified. Its text never holds a secret."""

    def __init__(
        self,
        state: ReadState,
        user_message: str | None = None,
        *,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        self.state: ReadState = state
        # The sentence for the user: the state's own from the catalogue unless a more specific
        # one (also from the catalogue) is given.
        self.user_message = user_message or READ_FAILED[state]
        self.retry_after = retry_after
        # detail is for logs: the ccxt class and a redacted head of the venue's text.
        self.detail = detail
        super().__init__(f"{state}: {self.user_message}" + (f" ({detail})" if detail else ""))


class ReadOnlyViolation(RuntimeError):
    """Something tried to call a method or endpoint that is not on the venue's read allow-list."""


_RETRY_AFTER = re.compile(r"retry[-_ ]after\D{0,4}(\d+(?:\.\d+)?)", re.IGNORECASE)
_SECRETISH = re.compile(
    r"(signature|apikey|api-key|api_key|api-sign|secret|passphrase)"
    r"(\"?\s*[=:]\s*\"?)[^&\s\"',}]+",
    re.IGNORECASE,
)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with the given secrets and anything that looks like a signature blanked out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRETISH.sub(r"\1\2***", text)[:300]


def _retry_after_of(exc: BaseException) -> float | None:
    match = _RETRY_AFTER.search(str(exc))
    return float(match.group(1)) if match else None


def classify(exc: BaseException, *secrets: str | None) -> ExchangeReadError:
    """Map any exception raised while reading an account to an :class:`ExchangeReadError`.

    Order matters: ccxt's ``PermissionDenied`` is an ``AuthenticationError``, and
    ``RateLimitExceeded``/``DDoSProtection`` are siblings under ``NetworkError`` (PR #21038).
    """
    if isinstance(exc, ExchangeReadError):
        return exc
    detail = redact(f"{type(exc).__name__}: {exc}", *secrets)
    state: ReadState
    if isinstance(exc, ccxt.PermissionDenied):
        state = "permission_denied"
    elif isinstance(exc, ccxt.AccountSuspended | ccxt.AuthenticationError):
        state = "auth_failed"
    elif isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        state = "rate_limited"
    elif isinstance(exc, ccxt.InvalidNonce):
        # Kraken: another client used the key with a higher nonce; Binance -1021: clock skew.
        # Either way the account cannot be read now and retrying later may work.
        state = "exchange_down"
    elif isinstance(exc, ccxt.BadRequest) and "recvWindow" in str(exc):
        # Binance -1021: our clock and the venue's disagree; nothing wrong with the account.
        state = "exchange_down"
    elif isinstance(exc, ccxt.BadResponse | ccxt.NullResponse):
        state = "bad_response"
    elif isinstance(exc, ccxt.OperationFailed | asyncio.TimeoutError | TimeoutError | OSError):
        # RequestTimeout, ExchangeNotAvailable, OnMaintenance, Binance -1000/-1001 (bare
        # OperationFailed) and plain connection failures.
        state = "exchange_down"
    elif isinstance(exc, ccxt.ExchangeError):
        # A venue error we cannot place (bad request, unknown code): the answer is unusable.
        state = "bad_response"
    elif isinstance(
        exc, KeyError | TypeError | ValueError | ArithmeticError | AttributeError | IndexError
    ):
        # ccxt's parsers raise bare Python errors on shapes they do not expect.
        state = "bad_response"
    else:
        raise exc
    retry_after = _retry_after_of(exc) if state in ("rate_limited", "exchange_down") else None
    return ExchangeReadError(state, retry_after=retry_after, detail=detail)


def bad_response(reason: str) -> ExchangeReadError:
    """A response that parsed but makes no sense (NaN, negative mark, missing maintenance)."""
    return ExchangeReadError("bad_response", detail=reason[:300])
