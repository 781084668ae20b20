"""Who is asking: the caller's identity and role, as the chat adapter established them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Platform = Literal["discord", "telegram", "console"]
PLATFORMS: tuple[Platform, ...] = ("discord", "telegram", "console")


@dataclass(frozen=True, slots=True)
class ChatTarget:
    """A chat someone named (``/setalerts <chat>``), as its platform described it just now.

    Facts only; core decides what they allow (``CommunityUseCases.set_alert_channel``).

    - ``chat_id``: the platform's own id for it (a Telegram ``@username`` resolved to its id).
    - ``found``: whether the bot can see that chat at all.
    - ``kind``: ``group`` (a group, a server's text channel or thread), ``channel`` (a
      Telegram broadcast channel) or ``private`` (a person's private chat).
    - ``community_id``: the community it belongs to (a Discord guild; a Telegram chat is its
      own community).
    - ``caller_is_admin``, ``bot_can_post``: the caller administers it, the bot may post there;
      ``None`` when the platform was not asked (a chat of another community on Discord).
    """

    chat_id: str
    found: bool = True
    kind: Literal["group", "channel", "private"] = "group"
    community_id: str | None = None
    name: str = ""
    caller_is_admin: bool | None = None
    bot_can_post: bool | None = None


class ChatLookup(Protocol):
    """What the caller's chat adapter can ask its platform, at run time, about another chat."""

    async def alert_target(self, chat: str) -> ChatTarget:
        """``chat`` as typed (an id, or a Telegram ``@username``), looked up for the caller."""
        ...


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
    - ``chats``: how the adapter looks up another chat the caller names, asked at run time
      like ``is_moderator`` (None: the adapter cannot, so only the caller's own chat is named).
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
    chats: ChatLookup | None = field(default=None, compare=False, repr=False)

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
