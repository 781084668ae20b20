"""The ccxt error tree mapped to account states in one place; secrets never in any text."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from bot.exchanges import Credentials, ReadOnlyViolation
from bot.exchanges.errors import classify, redact


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (ccxt.AuthenticationError("kraken EAPI:Invalid key"), "auth_failed"),
        (ccxt.AccountSuspended("suspended"), "auth_failed"),
        (ccxt.PermissionDenied("EGeneral:Permission denied"), "permission_denied"),
        (ccxt.RateLimitExceeded("-1003 too many"), "rate_limited"),
        (ccxt.DDoSProtection("EAPI:Rate limit exceeded"), "rate_limited"),
        (ccxt.RequestTimeout("timed out"), "exchange_down"),
        (ccxt.ExchangeNotAvailable("503"), "exchange_down"),
        (ccxt.OnMaintenance("maintenance"), "exchange_down"),
        (ccxt.InvalidNonce("EAPI:Invalid nonce"), "exchange_down"),
        (ccxt.NetworkError("reset"), "exchange_down"),
        (ccxt.OperationFailed("binance -1001 internal error"), "exchange_down"),
        (ccxt.BadRequest("-1021 outside of the recvWindow"), "exchange_down"),
        (TimeoutError(), "exchange_down"),
        (ccxt.BadResponse("not json"), "bad_response"),
        (ccxt.NullResponse("empty"), "bad_response"),
        (ccxt.ExchangeError("unknown code"), "bad_response"),
        (TypeError("'NoneType' object is not iterable"), "bad_response"),
        (KeyError("result"), "bad_response"),
    ],
)
def test_every_ccxt_error_class_maps_to_one_account_state(error, state):
    assert classify(error).state == state


def test_programming_errors_are_not_disguised_as_exchange_states():
    with pytest.raises(ReadOnlyViolation):
        classify(ReadOnlyViolation("create_order is not a read method"))
    with pytest.raises(RuntimeError):
        classify(RuntimeError("bug"))


def test_retry_after_is_taken_from_the_error_text_when_present():
    error = classify(ccxt.RateLimitExceeded('binance 429 {"msg": "..."} Retry-After: 7'))
    assert error.retry_after == 7.0


def test_secrets_are_blanked_from_details():
    secret = "s3cr3t-VALUE"
    error = classify(
        ccxt.AuthenticationError(f"bad request secret={secret}&x signature=abc"), secret
    )
    assert secret not in str(error) and "abc" not in error.detail
    assert redact("my key KEY123 here", "KEY123") == "my key *** here"


def test_credentials_never_show_their_values():
    creds = Credentials(
        api_key="AKEY-1", secret="SECRET-1", passphrase="PASS-1", wallet_address="0xWALLET"
    )
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        for value in ("AKEY-1", "SECRET-1", "PASS-1", "0xWALLET"):
            assert value not in text
