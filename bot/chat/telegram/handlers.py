"""Registry commands and inline buttons: parse, call bot.core, render the answer. Nothing else."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from telegram import Update
from telegram.ext import ContextTypes

from bot.core import texts
from bot.core.flood import IGNORE, Admission
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Message, message
from bot.core.refs import fill
from bot.core.registry import Audience, UseCase, command

from .caller import caller_from, is_chat_admin
from .replies import tracked
from .send import replace, send

log = logging.getLogger(__name__)

# Key under which the Application's bot_data holds the core facade.
CORE_KEY = "marginwatch.core"

# Buttons whose answer replaces the card they sit on instead of arriving as a new message.
_IN_PLACE = frozenset({ActionId.REFRESH_STATUS, ActionId.REFRESH_POSITIONS})
_TOAST_MAX = 200  # answerCallbackQuery text limit


class CoreFacade(Protocol):
    """What the adapter needs from ``bot.core.usecases.Core``: ``run_text`` for a typed command,
    ``act`` for a button (both answer with a Message and never raise), ``link_form``,
    ``prepare_link`` and ``link`` for the /link conversation, and ``venues`` (the supported
    venue ids)."""

    venues: Mapping[str, Any]

    def run_text(self, caller: Caller, name: str, text: str) -> Any: ...

    def act(self, caller: Caller, action: Action) -> Any: ...

    def link_form(self, venue: str) -> Any: ...

    def prepare_link(self, caller: Caller, venue: str | None, label: str | None = None) -> Any: ...

    def link(
        self,
        caller: Caller,
        venue: str | None = None,
        label: str | None = None,
        credentials: Any = None,
    ) -> Any: ...

    def forget_community(self, platform: str, community_id: str) -> Any: ...

    def admit(self, caller: Caller, *, must_answer: bool = False) -> Any: ...


def core_of(context: ContextTypes.DEFAULT_TYPE) -> CoreFacade:
    return context.application.bot_data[CORE_KEY]


async def resolve(result: Any) -> Message:
    return await result if inspect.isawaitable(result) else result


def admission_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Admission:
    """Core's flood control for this update's user (no Telegram call, no database)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return IGNORE
    return core_of(context).admit(caller_from(chat, user))


async def admitted(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether to answer this update; sends the one slow-down notice when it is due.

    Asked before any other work, so a flood costs almost nothing.
    """
    chat = update.effective_chat
    admission = admission_of(update, context)
    if chat is None:
        return False
    if admission.answer:
        return True
    if admission.notice is not None:
        incoming = update.effective_message
        thread = incoming.message_thread_id if incoming and incoming.is_topic_message else None
        if update.callback_query is not None:
            await update.callback_query.answer(admission.notice.lines[0][:_TOAST_MAX])
        else:
            await send(context.bot, chat.id, admission.notice, thread_id=thread)
    elif update.callback_query is not None:
        await update.callback_query.answer()  # a silent ack: the button stops spinning
    return False


def command_text_arguments(text: str) -> str:
    """What follows ``/command`` (or ``/command@bot``) in a message."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


@tracked
async def run_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any registry command: core parses, checks and runs it; the answer goes where it was asked.

    Administrator rights are asked of Telegram (getChatMember) for moderator commands, on every
    call; core refuses a non-administrator with its own sentence.
    """
    incoming = update.effective_message
    chat, user = update.effective_chat, update.effective_user
    if incoming is None or not incoming.text or chat is None or user is None:
        return
    if not await admitted(update, context):
        return
    name = incoming.text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()
    try:
        spec = command(name)
        # /help in a group shows administrators their commands too, so it asks as well.
        needs_rights = spec.audience is Audience.MODERATOR or spec.usecase is UseCase.HELP
    except KeyError:
        needs_rights = False
    moderator = needs_rights and await is_chat_admin(context.bot, chat, user)
    caller = caller_from(chat, user, is_moderator=moderator, message=incoming)
    answer = await resolve(
        core_of(context).run_text(caller, name, command_text_arguments(incoming.text))
    )
    await send(
        context.bot,
        chat.id,
        answer,
        thread_id=incoming.message_thread_id if incoming.is_topic_message else None,
    )


@tracked
async def press_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: core acts; Refresh edits the card in place, the rest answer below it."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    if not await admitted(update, context):
        return
    action = Action.decode(query.data or "")
    card = query.message
    if action is None or card is None or not hasattr(card, "chat"):
        await query.answer(texts.UNKNOWN_ACTION, show_alert=True)
        return
    caller = caller_from(
        card.chat,
        update.effective_user,
        message=card if hasattr(card, "is_topic_message") else None,
    )
    answer = await resolve(core_of(context).act(caller, action))
    if answer.severity == "error":
        # A refusal or failure belongs to the presser alone: a pop-up, not a chat message.
        await query.answer(
            (answer.lines[0] if answer.lines else answer.title)[:_TOAST_MAX], show_alert=True
        )
        return
    if action.id in _IN_PLACE:
        await query.answer()
        await replace(
            context.bot,
            card.chat.id,
            card.message_id,
            answer,
            has_photo=bool(getattr(card, "photo", None)),
        )
        return
    await query.answer(answer.title[:_TOAST_MAX])
    thread = getattr(card, "message_thread_id", None)
    await send(
        context.bot,
        card.chat.id,
        answer,
        thread_id=thread if getattr(card, "is_topic_message", False) else None,
    )


@tracked
async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the registry lacks, in a private chat (in a group it may be another bot's)."""
    incoming = update.effective_message
    if incoming is None or not incoming.text or update.effective_chat is None:
        return
    if not await admitted(update, context):
        return
    name = incoming.text.split(maxsplit=1)[0].lstrip("/").split("@")[0]
    await send(
        context.bot,
        update.effective_chat.id,
        message(texts.REFUSED_TITLE, "error", lines=(fill(texts.UNKNOWN_COMMAND, name=name),)),
    )
