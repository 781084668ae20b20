"""Who is asking: the caller's identity and role, as the chat adapter established them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["discord", "telegram", "console"]
PLATFORMS: tuple[Platform, ...] = ("discord", "telegram", "console")


@dataclass(frozen=True, slots=True)
class Caller:
    """The person running a command, and where.

    Ids are strings on every platform (Discord snowflakes and Telegram ids both fit).

    - ``chat_id``: where the command was typed (a DM, a group, a channel).
    - ``community_id``: the Discord guild or the Telegram group the command belongs to;
      ``None`` in a private chat. Community settings and moderator actions are keyed by it.
    - ``topic_id``: the Telegram forum topic (message thread) the command came from, if any.
    - ``is_moderator``: checked by the adapter at run time on every call (Discord Manage
      Server or the configured role; Telegram chat administrator). Core trusts it and never
      caches it.
    - ``can_reply_privately``: the adapter can answer this caller where nobody else reads it
      (a private chat, a DM, or Discord's ephemeral reply). Commands about the caller's own
      accounts refuse to run when it is False (a Telegram group), so balances never leak.
    - ``role_ids``: the caller's Discord role ids (empty elsewhere), kept for audit and for
      adapters that check a community's configured moderator role.
    """

    platform: Platform
    user_id: str
    chat_id: str
    is_private_chat: bool
    is_moderator: bool = False
    display_name: str = ""
    community_id: str | None = None
    topic_id: str | None = None
    can_reply_privately: bool | None = None
    role_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}")
        if not self.user_id or not self.chat_id:
            raise ValueError("a caller needs a user id and a chat id")

    @property
    def replies_privately(self) -> bool:
        """Whether an answer to this caller is seen by the caller alone."""
        if self.can_reply_privately is None:
            return self.is_private_chat
        return self.can_reply_privately

    @property
    def name(self) -> str:
        """How to address the caller in text."""
        return self.display_name or self.user_id
