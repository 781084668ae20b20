"""The Telegram face of marginwatch: a thin python-telegram-bot adapter over bot.core."""
