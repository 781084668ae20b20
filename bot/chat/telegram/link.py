"""/link as a private conversation: venue, then key, secret and passphrase one message at a time.

Every message that carries a credential is deleted as soon as it is read, the credentials live
only in this conversation's memory until core has them, and the whole flow refuses to start in a
group (a key typed there would be seen by everyone).

The callbacks are blocking (ConversationHandler keeps its state for those), so they only decide:
every reply, deletion and core's link (an exchange read) runs as a task, and the update loop is
never held by one user's conversation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Message as TelegramMessage
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.core import texts
from bot.core.messages import Message, Refusal, message
from bot.core.registry import command, parse_text_arguments

from .caller import caller_from
from .handlers import admission_of, core_of, resolve
from .replies import replies_of
from .send import send

log = logging.getLogger(__name__)

LINK_COMMAND = "link"
CANCEL_COMMAND = "cancel"
ASK_VENUE, ASK_FIELD = range(2)
_DRAFT_KEY = "marginwatch.link"
# A half-finished link is forgotten after this long: credentials must not linger in memory.
DRAFT_LIFETIME = 600.0


@dataclass
class LinkDraft:
    """A link in progress. The credential values never appear in its repr."""

    label: str | None = None
    form: Any = None  # core's LinkForm once the venue is known
    values: dict[str, str] = field(default_factory=dict, repr=False)
    started: float = field(default_factory=time.monotonic)

    def next_field(self) -> Any:
        """The next of core's LinkFields still to ask for, or None when all are in."""
        fields = self.form.fields if self.form is not None else ()
        return next((f for f in fields if f.name not in self.values), None)

    def expired(self) -> bool:
        return time.monotonic() - self.started > DRAFT_LIFETIME


def _draft(context: ContextTypes.DEFAULT_TYPE) -> LinkDraft | None:
    assert context.user_data is not None
    return context.user_data.get(_DRAFT_KEY)


def _forget(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.user_data is not None
    draft = context.user_data.pop(_DRAFT_KEY, None)
    if draft is not None:
        draft.values.clear()


def _link_message(*lines: str) -> Message:
    return message(texts.LINK_TITLE, lines=lines, private=True)


def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, answer: Message) -> None:
    """Send ``answer`` to the update's chat, as a tracked task (see module docstring)."""
    assert update.effective_chat is not None
    incoming = update.effective_message
    thread = incoming.message_thread_id if incoming and incoming.is_topic_message else None
    replies_of(context).spawn(
        context.application,
        send(context.bot, update.effective_chat.id, answer, thread_id=thread),
    )


def _flooded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Core's flood control: True (after the one slow-down notice) when not to answer."""
    admission = admission_of(update, context)
    if admission.answer:
        return False
    if admission.notice is not None:
        _say(update, context, admission.notice)
    return True


def _ask_next(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: LinkDraft, *lines: str
) -> int:
    _say(update, context, _link_message(*lines, draft.next_field().prompt))
    return ASK_FIELD


async def _choose_venue(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: LinkDraft, venue: str
) -> int:
    """The venue is known: check it, then everything else core can check without a key (the
    label above all), and only then ask for the first credential."""
    assert update.effective_chat is not None and update.effective_user is not None
    core = core_of(context)
    try:
        form = core.link_form(venue)
    except Refusal as refusal:  # a venue we cannot watch: ask again
        _say(update, context, refusal.to_message())
        return ASK_VENUE
    try:
        # A few database reads (the label, the account count), not an exchange call: awaited
        # here because the answer decides the conversation's next state.
        caller = caller_from(update.effective_chat, update.effective_user)
        draft.form = await resolve(core.prepare_link(caller, form.venue, draft.label))
    except Refusal as refusal:  # a bad or taken label, too many accounts: nothing to ask
        _forget(context)
        _say(update, context, refusal.to_message())
        return ConversationHandler.END
    return _ask_next(update, context, draft, draft.form.hint)


async def start_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """/link [venue] [label]: refuse outside a private chat, else ask for what is missing."""
    chat, incoming = update.effective_chat, update.effective_message
    assert chat is not None and incoming is not None and context.user_data is not None
    if _flooded(update, context):
        return None  # nothing changes, not even a conversation in progress
    _forget(context)
    if chat.type != ChatType.PRIVATE:
        _say(update, context, Refusal(texts.NEEDS_PRIVATE).to_message())
        return ConversationHandler.END
    try:
        text = (incoming.text or "").split(maxsplit=1)
        arguments = parse_text_arguments(command(LINK_COMMAND), text[1] if len(text) > 1 else "")
    except Refusal as refusal:
        _say(update, context, refusal.to_message())
        return ConversationHandler.END
    draft = LinkDraft(label=arguments.get("label"))
    context.user_data[_DRAFT_KEY] = draft
    if "venue" in arguments:
        return await _choose_venue(update, context, draft, arguments["venue"])
    venues = f"{', '.join(sorted(core_of(context).venues))}, {texts.LINK_GENERIC_VENUES}"
    _say(update, context, _link_message(texts.LINK_ASK_VENUE.format(venues=venues)))
    return ASK_VENUE


async def got_venue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The venue, typed as a reply."""
    if _flooded(update, context):
        return None
    draft = _draft(context)
    incoming = update.effective_message
    if draft is None or draft.expired() or incoming is None:
        return _expired(update, context)
    return await _choose_venue(update, context, draft, (incoming.text or "").strip().lower())


async def got_field(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """One credential: a secret is deleted from the chat first, then kept for core."""
    incoming = update.effective_message
    assert incoming is not None
    value = (incoming.text or "").strip()
    draft = _draft(context)
    asked = draft.next_field() if draft is not None else None
    if asked is None or asked.secret:
        # Unsure what it is (expired draft) counts as secret: deleting is the safe side, and it
        # happens even to a flooding user. Not a reply: a shutdown waits for it.
        context.application.create_task(_delete(incoming), update=update)
    if _flooded(update, context):
        return None
    if draft is None or asked is None or draft.expired():
        return _expired(update, context)
    draft.values[asked.name] = value
    if draft.next_field() is not None:
        return _ask_next(update, context, draft)
    return _finish(update, context, draft)


async def _delete(incoming: TelegramMessage) -> None:
    try:
        await incoming.delete()
    except TelegramError as error:
        log.warning("could not delete a credential message: %s", type(error).__name__)


def _finish(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: LinkDraft) -> int:
    assert update.effective_chat is not None and update.effective_user is not None
    caller = caller_from(update.effective_chat, update.effective_user)
    credentials: dict[str, Any] = dict(draft.values)
    venue, label = draft.form.venue, draft.label
    _forget(context)

    async def link_and_answer() -> None:
        # Core reads the exchange before it saves anything: seconds, so never on the loop.
        try:
            answer = await resolve(
                core_of(context).link(caller, venue=venue, label=label, credentials=credentials)
            )
        except Refusal as refusal:
            answer = refusal.to_message()
        finally:
            credentials.clear()
        chat = update.effective_chat
        assert chat is not None
        await send(context.bot, chat.id, answer)

    replies_of(context).spawn(context.application, link_and_answer())
    return ConversationHandler.END


def _expired(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    _forget(context)
    _say(update, context, _link_message(texts.LINK_CANCELLED))
    return ConversationHandler.END


async def cancel_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """/cancel (or the word cancel) during /link: forget everything typed so far."""
    _forget(context)
    if _flooded(update, context):
        return ConversationHandler.END
    _say(update, context, _link_message(texts.LINK_CANCELLED))
    return ConversationHandler.END


def link_conversation() -> BaseHandler[Update, Any, Any]:
    """The /link ConversationHandler (one conversation per user and chat)."""
    text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    cancel_word = filters.Regex(r"(?i)^\s*cancel\s*$")
    return ConversationHandler(
        entry_points=[CommandHandler(LINK_COMMAND, start_link, filters.UpdateType.MESSAGE)],
        states={
            ASK_VENUE: [MessageHandler(text & ~cancel_word, got_venue)],
            ASK_FIELD: [MessageHandler(text & ~cancel_word, got_field)],
        },
        fallbacks=[
            CommandHandler(CANCEL_COMMAND, cancel_link),
            MessageHandler(text & cancel_word, cancel_link),
        ],
        allow_reentry=True,
        name="link",
    )
