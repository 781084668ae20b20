"""Builds the python-telegram-bot Application and runs it in the shared loop (no run_polling)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from .errors import on_error, quiet_library_logs
from .guard import delete_pasted_secret
from .handlers import (
    CORE_KEY,
    CoreFacade,
    core_of,
    press_button,
    run_command,
    unknown_command,
)
from .link import LINK_COMMAND, link_conversation
from .menu import publish_menus, telegram_commands
from .pace import PacedRateLimiter, PrivateChatPace
from .replies import REPLIES_KEY, Replies
from .settings import TelegramSettings
from .transport import ChatMoved, TelegramTransport

log = logging.getLogger(__name__)

# Only what the bot handles; everything else Telegram would send is noise to poll for. Edits
# are fetched only so a key pasted into a group by editing a message is caught too.
# MY_CHAT_MEMBER tells when the bot itself is removed from a group, so its settings go too.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
# Commands answer new messages only; editing an old command must not run it again.
_NEW = filters.UpdateType.MESSAGE
# Group -1 runs before the command handlers so a pasted key never reaches them.
_GUARD_GROUP = -1


def build_application(
    settings: TelegramSettings,
    core: CoreFacade,
    *,
    on_chat_moved: ChatMoved | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The Application with every handler, the rate limiter and the error handler registered.

    ``request``/``get_updates_request`` replace the HTTP transport (handler tests pass an
    in-process fake); by default PTB's httpx client talks to ``settings.api_url``.
    """
    if not settings.configured:
        raise ValueError("MARGINWATCH_TELEGRAM_TOKEN is not set")
    quiet_library_logs()
    assert settings.token is not None
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .rate_limiter(PacedRateLimiter(PrivateChatPace(settings.private_chat_pace)))
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    application.bot_data[CORE_KEY] = core
    application.bot_data[REPLIES_KEY] = Replies()
    register_handlers(application, on_chat_moved)
    return application


def register_handlers(application: Application, on_chat_moved: ChatMoved | None = None) -> None:
    """Every handler, in one place."""
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & (filters.TEXT | filters.CAPTION), delete_pasted_secret
        ),
        group=_GUARD_GROUP,
    )
    application.add_handler(link_conversation())
    names = [c.name for c in telegram_commands() if c.name != LINK_COMMAND]
    # block=False: commands and buttons run as tasks, so neither a slow exchange read nor one
    # chat's paced replies ever hold PTB's update loop (and with it every other user). The
    # /link conversation stays blocking, as ConversationHandler's state needs, and hands its
    # I/O to tasks itself (see link.py and replies.py).
    application.add_handler(CommandHandler(names, run_command, _NEW, block=False))
    application.add_handler(CallbackQueryHandler(press_button, pattern=r"^mw:", block=False))
    application.add_handler(
        MessageHandler(
            _NEW & filters.ChatType.PRIVATE & filters.COMMAND, unknown_command, block=False
        )
    )
    if on_chat_moved is not None:
        application.add_handler(
            MessageHandler(_NEW & filters.StatusUpdate.MIGRATE, follow_migration(on_chat_moved))
        )
    application.add_handler(ChatMemberHandler(bot_left_group, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)


async def bot_left_group(update: Update, context: Any) -> None:
    """The bot was removed from (or left) a group: forget that community's settings and the
    subscriptions that posted there (docs/alerts.md, "What a chat sees"); members' own accounts
    stay."""
    change = update.my_chat_member
    if change is None or change.chat.type not in ("group", "supergroup"):
        return
    if change.new_chat_member.status in ("left", "kicked"):
        await core_of(context).forget_community("telegram", str(change.chat.id))


def follow_migration(on_chat_moved: ChatMoved) -> Callable[[Update, Any], Awaitable[None]]:
    """The handler for Telegram's "group upgraded to supergroup" note: move what pointed there."""

    async def migrated(update: Update, context: Any) -> None:
        note = update.effective_message
        if note is not None and note.migrate_to_chat_id:
            await on_chat_moved(str(note.chat_id), str(note.migrate_to_chat_id))

    return migrated


class TelegramFrontend:
    """The Telegram side of the service: start and stop it by hand in the shared loop."""

    def __init__(
        self,
        settings: TelegramSettings,
        core: CoreFacade,
        *,
        on_chat_moved: ChatMoved | None = None,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
    ) -> None:
        self.settings = settings
        self.application = build_application(
            settings,
            core,
            on_chat_moved=on_chat_moved,
            request=request,
            get_updates_request=get_updates_request,
        )
        self.transport = TelegramTransport(self.application.bot, on_chat_moved)

    async def start(self, *, poll_timeout: float = 10.0, menus: bool = True) -> None:
        """initialize → command menus → start_polling → start (PTB's order for shared loops)."""
        application = self.application
        await application.initialize()
        if menus:
            await publish_menus(application.bot)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        log.info("telegram bot @%s is polling", application.bot.username)

    @property
    def replies(self) -> Replies:
        return self.application.bot_data[REPLIES_KEY]

    async def stop(self) -> int:
        """The reverse of start: updater, application, then shutdown (closes HTTP clients).

        Command replies still pending (a flooded chat's paced backlog, an exchange read) are
        dropped rather than waited for, so stopping takes about a second whatever the backlog;
        returns how many were dropped (also logged).
        """
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        replies = self.replies
        await replies.drop()
        if application.running:
            await application.stop()  # updates already fetched meet a closed Replies: dropped
        await application.shutdown()
        if replies.dropped:
            log.warning(
                "telegram: dropped %d command repl%s still pending at shutdown",
                replies.dropped,
                "y" if replies.dropped == 1 else "ies",
            )
        return replies.dropped
