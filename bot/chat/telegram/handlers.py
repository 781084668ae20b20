"""Registry commands and inline buttons: parse, call bot.core, render the answer. Nothing else."""

from __future__ import annotations

import inspect
import logging
from typing import Any, Protocol

from telegram import Update
from telegram.ext import ContextTypes

from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Message, Refusal, message
from bot.core.registry import Audience, Command, check_arguments, command, parse_text_arguments

from .caller import caller_from, is_chat_admin
from .send import replace, send

log = logging.getLogger(__name__)

# Key under which the Application's bot_data holds the core facade.
CORE_KEY = "marginwatch.core"

# Buttons whose answer replaces the card they sit on instead of arriving as a new message.
_IN_PLACE = frozenset({ActionId.REFRESH_STATUS, ActionId.REFRESH_POSITIONS})
_TOAST_MAX = 200  # answerCallbackQuery text limit


class CoreFacade(Protocol):
    """What the adapter needs from bot.core: one method per registry ``usecase`` name (called
    with the Caller and the command's arguments by name) and ``act`` for buttons."""

    def act(self, caller: Caller, action: Action) -> Any: ...


def core_of(context: ContextTypes.DEFAULT_TYPE) -> CoreFacade:
    return context.application.bot_data[CORE_KEY]


async def resolve(result: Any) -> Message:
    return await result if inspect.isawaitable(result) else result


def command_text_arguments(text: str) -> str:
    """What follows ``/command`` (or ``/command@bot``) in a message."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def caller_for_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                             cmd: Command) -> Caller:
    """The Caller, with administrator rights asked of Telegram when the command needs them."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None  # CommandHandler only passes messages with both
    moderator = cmd.audience is Audience.MODERATOR and await is_chat_admin(context.bot, chat, user)
    return caller_from(chat, user, is_moderator=moderator, message=update.effective_message)


async def run_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any registry command: arguments parsed and checked by core's rules, then its use case."""
    incoming = update.effective_message
    if incoming is None or not incoming.text or update.effective_chat is None:
        return
    name = incoming.text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()
    cmd = command(name)
    caller = await caller_for_command(update, context, cmd)
    try:
        if cmd.audience is Audience.MODERATOR and not caller.is_moderator:
            # Checked here too so that a refusal never depends on core remembering to.
            raise Refusal(texts.NEEDS_MODERATOR if not caller.is_private_chat
                          else texts.NEEDS_COMMUNITY)
        arguments = parse_text_arguments(cmd, command_text_arguments(incoming.text))
        check_arguments(cmd, arguments)
        usecase = getattr(core_of(context), cmd.usecase)
        answer = await resolve(usecase(caller, **arguments))
    except Refusal as refusal:
        answer = refusal.to_message()
    await send(context.bot, update.effective_chat.id, answer,
               thread_id=incoming.message_thread_id if incoming.is_topic_message else None)


async def press_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: core acts; Refresh edits the card in place, the rest answer below it."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    action = Action.decode(query.data or "")
    card = query.message
    if action is None or card is None or not hasattr(card, "chat"):
        await query.answer(texts.UNKNOWN_ACTION, show_alert=True)
        return
    caller = caller_from(card.chat, update.effective_user,
                         message=card if hasattr(card, "is_topic_message") else None)
    try:
        answer = await resolve(core_of(context).act(caller, action))
    except Refusal as refusal:
        await query.answer(refusal.sentence[:_TOAST_MAX], show_alert=True)
        return
    if action.id in _IN_PLACE:
        await query.answer()
        await replace(context.bot, card.chat.id, card.message_id, answer,
                      has_photo=bool(getattr(card, "photo", None)))
        return
    await query.answer(answer.title[:_TOAST_MAX])
    thread = getattr(card, "message_thread_id", None)
    await send(context.bot, card.chat.id, answer,
               thread_id=thread if getattr(card, "is_topic_message", False) else None)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the registry lacks, in a private chat (in a group it may be another bot's)."""
    incoming = update.effective_message
    if incoming is None or not incoming.text or update.effective_chat is None:
        return
    name = incoming.text.split(maxsplit=1)[0].lstrip("/").split("@")[0]
    await send(context.bot, update.effective_chat.id,
               message(texts.REFUSED_TITLE, "error",
                       lines=(texts.UNKNOWN_COMMAND.format(name=name),)))
