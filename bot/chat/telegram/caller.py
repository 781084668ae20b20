"""Who is asking, as Telegram says it: the Caller core expects, with admin rights checked live."""

from __future__ import annotations

import re

from telegram import Bot, Chat, ChatFullInfo, ChatMember, Message, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

from bot.core.identity import Caller, ChatLookup, ChatTarget

PLATFORM = "telegram"
_ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
# A chat as a moderator can name it: its numeric id, or a public @username (5-32 characters).
_CHAT_NAME = re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")


async def is_chat_admin(bot: Bot, chat: Chat, user: User) -> bool:
    """Whether ``user`` administers ``chat`` right now.

    Asked with getChatMember on every call, never cached: rights are revoked in Telegram, not
    here, and a stale answer would let a demoted admin keep moderating.
    """
    if chat.type == ChatType.PRIVATE:
        return False
    member = await bot.get_chat_member(chat.id, user.id)
    return member.status in _ADMIN_STATUSES


class TelegramChats:
    """``Caller.chats`` on Telegram: what the Bot API says right now about a chat a moderator
    named (getChat, then getChatMember for the caller and for the bot), never cached, like
    :func:`is_chat_admin`."""

    def __init__(self, bot: Bot, user_id: int) -> None:
        self._bot = bot
        self._user_id = user_id

    async def alert_target(self, chat: str) -> ChatTarget:
        typed = chat.strip()
        if not _CHAT_NAME.fullmatch(typed):
            return ChatTarget(typed, found=False)
        try:
            found = await self._bot.get_chat(typed if typed.startswith("@") else int(typed))
        except (BadRequest, Forbidden):  # no such chat, or one the bot is not in
            return ChatTarget(typed, found=False)
        chat_id = str(found.id)
        if found.type == ChatType.PRIVATE:
            return ChatTarget(chat_id, kind="private")
        try:
            bot = await self._bot.get_chat_member(found.id, self._bot.id)
            caller = await self._bot.get_chat_member(found.id, self._user_id)
        except (BadRequest, Forbidden):  # the bot was removed meanwhile
            return ChatTarget(chat_id, found=False)
        return ChatTarget(
            chat_id,
            kind="channel" if found.type == ChatType.CHANNEL else "group",
            community_id=chat_id,
            name=found.title or "",
            caller_is_admin=caller.status in _ADMIN_STATUSES,
            bot_can_post=_may_post(bot, found),
        )


def _may_post(member: ChatMember, chat: ChatFullInfo) -> bool:
    """Whether ``member`` (the bot) may send messages in ``chat``.

    In a channel only its owner and administrators with the right to post may; in a group any
    member may, unless the group's default permissions or the member's own restrictions say no.
    """
    status = member.status
    if status == ChatMemberStatus.OWNER:
        return True
    if chat.type == ChatType.CHANNEL:
        return status == ChatMemberStatus.ADMINISTRATOR and bool(
            getattr(member, "can_post_messages", False)
        )
    if status == ChatMemberStatus.ADMINISTRATOR:
        return True
    if status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False)) and bool(
            getattr(member, "can_send_messages", False)
        )
    if status == ChatMemberStatus.MEMBER:
        permissions = chat.permissions
        return permissions is None or permissions.can_send_messages is not False
    return False  # left or banned


def topic_of(message: Message | None) -> str | None:
    """The forum topic a message was posted in, if it was."""
    if message is not None and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


def caller_from(
    chat: Chat,
    user: User,
    *,
    is_moderator: bool = False,
    message: Message | None = None,
    chats: ChatLookup | None = None,
) -> Caller:
    """The core Caller for ``user`` writing in ``chat`` (``chats``: see :class:`TelegramChats`)."""
    private = chat.type == ChatType.PRIVATE
    return Caller(
        platform=PLATFORM,
        user_id=str(user.id),
        chat_id=str(chat.id),
        is_private_chat=private,
        is_moderator=is_moderator,
        display_name=user.full_name,
        community_id=None if private else str(chat.id),
        topic_id=topic_of(message),
        can_reply_privately=private,
        chats=chats,
    )
