"""Telegram settings from the environment: MARGINWATCH_TELEGRAM_TOKEN and _API_URL."""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org/bot"


class TelegramSettings(BaseSettings):
    """The bot token (kept as SecretStr so it never prints) and the Bot API base URL.

    ``api_url`` is the prefix the token is appended to, as python-telegram-bot's ``base_url``:
    Telegram's by default; a self-hosted Bot API server or the test fake otherwise.
    """

    model_config = SettingsConfigDict(env_prefix="MARGINWATCH_TELEGRAM_", env_file=".env",
                                      extra="ignore")

    token: SecretStr | None = None
    api_url: str = TELEGRAM_API_URL
    # Seconds between two messages to one private chat (Telegram asks for about 1 per second).
    private_chat_pace: float = 1.0

    @field_validator("api_url")
    @classmethod
    def _looks_like_a_bot_api(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("MARGINWATCH_TELEGRAM_API_URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def file_url(self) -> str:
        """The file-download base URL that goes with ``api_url`` (…/bot → …/file/bot)."""
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("/bot")] + "/file/bot"
        return self.api_url + "/file"

    @property
    def configured(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())
