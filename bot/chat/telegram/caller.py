"""Who is asking, as Telegram says it: the Caller core expects, with admin rights checked live."""

from __future__ import annotations

from telegram import Bot, Chat, Message, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.core.identity import Caller

PLATFORM = "telegram"
_ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


async def is_chat_admin(bot: Bot, chat: Chat, user: User) -> bool:
    """Whether ``user`` administers ``chat`` right now.

    Asked with getChatMember on every call, never cached: rights are revoked in Telegram, not
    here, and a stale answer would let a demoted admin keep moderating.
    """
    if chat.type == ChatType.PRIVATE:
        return False
    member = await bot.get_chat_member(chat.id, user.id)
    return member.status in _ADMIN_STATUSES


def topic_of(message: Message | None) -> str | None:
    """The forum topic a message was posted in, if it was."""
    if message is not None and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


def caller_from(
    chat: Chat, user: User, *, is_moderator: bool = False, message: Message | None = None
) -> Caller:
    """The core Caller for ``user`` writing in ``chat``."""
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
    )
