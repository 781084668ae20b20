"""Neutral core messages rendered as Telegram HTML, inline keyboards and send options."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import texts
from bot.core.messages import Action, ActionId, Message, Severity

# A glance at the phone's lock screen should say how bad it is before the words do.
SEVERITY_MARKS: dict[Severity, str] = {
    "info": "",
    "ok": "🟢 ",
    "watch": "🟡 ",
    "margin_call": "🟠 ",
    "critical": "🔴 ",
    "error": "⚠️ ",
}

# Telegram's limits on visible characters; a longer text makes the whole request fail with 400.
TEXT_MAX = 4096
CAPTION_MAX = 1024
_ELLIPSIS = "\n…"

_DEFAULT_LABELS: dict[ActionId, str] = {
    ActionId.REFRESH_STATUS: texts.BUTTON_REFRESH,
    ActionId.REFRESH_POSITIONS: texts.BUTTON_POSITIONS,
    ActionId.UNSNOOZE: texts.BUTTON_UNSNOOZE,
}
_BUTTONS_PER_ROW = 3


@dataclass(frozen=True)
class Rendered:
    """One message ready for the Bot API: HTML text (or photo caption), keyboard, sound, photo."""

    html: str
    keyboard: InlineKeyboardMarkup | None
    disable_notification: bool
    photo: bytes | None = None
    photo_filename: str = ""


def _escape(text: str) -> str:
    # quote=False: quotes are legal in Telegram HTML text and escaping them only adds noise.
    return html.escape(text, quote=False)


def _blocks(message: Message) -> list[str]:
    """The message as HTML blocks, most important first, so clipping drops the least useful."""
    blocks = [f"<b>{SEVERITY_MARKS.get(message.severity, '')}{_escape(message.heading)}</b>"]
    blocks += [_escape(line) for line in message.lines]
    blocks += [f"<b>{_escape(f.name)}:</b> {_escape(f.value)}" for f in message.fields]
    if message.footer:
        blocks.append(f"<i>{_escape(message.footer)}</i>")
    return blocks


def _visible_length(block: str) -> int:
    # Each block is escaped text wrapped in our own tags: unescaping after dropping tags is exact.
    without_tags = block.replace("<b>", "").replace("</b>", "").replace("<i>", "")
    return len(html.unescape(without_tags.replace("</i>", "")))


def to_html(message: Message, limit: int = TEXT_MAX) -> str:
    """The message as Telegram HTML whose visible text fits in ``limit`` characters.

    Whole blocks are dropped from the end when it is too long; a single block that is still
    too long is cut on its plain text, so no tag or entity is ever split.
    """
    blocks = _blocks(message)
    kept: list[str] = []
    used = 0
    for index, block in enumerate(blocks):
        length = _visible_length(block) + (1 if kept else 0)
        room = limit - used - (len(_ELLIPSIS) if index < len(blocks) - 1 else 0)
        if length <= room:
            kept.append(block)
            used += length
            continue
        if not kept:  # even the title is too long: cut its plain text
            plain = message.heading[: max(0, limit - len(_ELLIPSIS) - 4)]
            kept.append(f"<b>{_escape(plain)}</b>")
        kept[-1] += _ELLIPSIS
        break
    return "\n".join(kept)


def button_label(action: Action) -> str:
    """The label to show for an action, falling back to the catalogue's word for it."""
    if action.label:
        return action.label
    if action.id is ActionId.SNOOZE and action.args:
        return texts.BUTTON_SNOOZE.format(duration=action.args[-1])
    return _DEFAULT_LABELS.get(action.id, action.id.name.replace("_", " ").capitalize())


def keyboard_for(actions: tuple[Action, ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons for the actions, a few per row; None when there are none."""
    if not actions:
        return None
    buttons = [InlineKeyboardButton(button_label(a), callback_data=a.encode()) for a in actions]
    rows = [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


def render(message: Message) -> Rendered:
    """Everything the Bot API needs to show ``message``; loud only from margin call up."""
    if message.image is not None:
        return Rendered(
            to_html(message, CAPTION_MAX),
            keyboard_for(message.actions),
            message.silent,
            message.image.data,
            message.image.filename,
        )
    return Rendered(to_html(message), keyboard_for(message.actions), message.silent)
