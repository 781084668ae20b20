"""What the Telegram front end is configured with; bot.settings reads it from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

# Telegram's own Bot API; bot.settings offers MARGINWATCH_TELEGRAM_API_URL to point elsewhere.
TELEGRAM_API_URL = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class TelegramSettings:
    """The bot token (a SecretStr, so it never prints), the Bot API base URL and the pace.

    ``api_url`` is the prefix the token is appended to, as python-telegram-bot's ``base_url``:
    Telegram's by default; a self-hosted Bot API server or the test fake otherwise. The values
    come validated from ``bot.settings.Settings`` (MARGINWATCH_TELEGRAM_TOKEN, _API_URL,
    _PRIVATE_CHAT_PACE); this class only holds them.
    """

    token: SecretStr | None = None
    api_url: str = TELEGRAM_API_URL
    # Seconds between two messages to one private chat (Telegram asks for about 1 per second).
    private_chat_pace: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.token, str):  # tests and callers may hand the plain string over
            object.__setattr__(self, "token", SecretStr(self.token))
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError("the Telegram Bot API URL must start with http:// or https://")
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))

    def __repr__(self) -> str:
        return (
            f"TelegramSettings(token={'**********' if self.token else None}, "
            f"api_url={self.api_url!r}, private_chat_pace={self.private_chat_pace})"
        )

    @property
    def file_url(self) -> str:
        """The file-download base URL that goes with ``api_url`` (…/bot → …/file/bot)."""
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("/bot")] + "/file/bot"
        return self.api_url + "/file"

    @property
    def configured(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())
