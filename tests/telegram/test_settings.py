"""The Telegram settings hold the token without ever showing it and derive the file URL."""

from __future__ import annotations

import pytest

from bot.chat.telegram.settings import TELEGRAM_API_URL, TelegramSettings

TOKEN = "123456:AAH-secret-part"


def test_the_token_never_shows_in_repr_or_str() -> None:
    settings = TelegramSettings(token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert settings.token is not None and settings.token.get_secret_value() == TOKEN
    assert settings.configured


def test_default_is_telegrams_api_and_a_self_hosted_server_gets_its_file_url() -> None:
    assert TelegramSettings(token=TOKEN).file_url == "https://api.telegram.org/file/bot"
    assert TelegramSettings(token=TOKEN).api_url == TELEGRAM_API_URL
    local = TelegramSettings(token=TOKEN, api_url="http://127.0.0.1:8081/bot/")
    assert (local.api_url, local.file_url) == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )


def test_a_url_without_scheme_is_refused_and_no_token_means_not_configured() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        TelegramSettings(token=TOKEN, api_url="api.telegram.org/bot")
    assert not TelegramSettings().configured
