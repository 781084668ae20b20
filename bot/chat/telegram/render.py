"""Neutral core messages rendered as Telegram HTML, inline keyboards and send options."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import texts
from bot.core.messages import Action, ActionId, Message, Severity
from bot.core.refs import CommandRef, Ref, UserRef, parts_of, plain

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


# One piece of a block: its HTML and how many characters Telegram counts for it once parsed.
Piece = tuple[str, int]


def ref_html(ref: Ref) -> Piece:
    """A reference as Telegram shows it: a command as typed (tappable when bare, a copyable
    code span with its options), a person as a ``tg://user`` mention, the rest in words."""
    if isinstance(ref, CommandRef):
        typed = plain(ref)
        if ref.options:
            return f"<code>{_escape(typed)}</code>", len(typed)
        return _escape(typed), len(typed)
    if isinstance(ref, UserRef):
        name = ref.name or texts.REF_MEMBER
        if ref.id.isascii() and ref.id.isdigit():
            return f'<a href="tg://user?id={ref.id}">{_escape(name)}</a>', len(name)
        return _escape(name), len(name)
    words = plain(ref)
    return _escape(words), len(words)


def pieces(text: str) -> list[Piece]:
    """``text`` as Telegram HTML pieces: plain parts escaped, references spelled."""
    return [
        (_escape(part), len(part)) if isinstance(part, str) else ref_html(part)
        for part in parts_of(text)
    ]


def telegram_html(text: str) -> str:
    """``text`` as Telegram HTML (what a guard or any one-line send uses)."""
    return "".join(h for h, _ in pieces(text))


@dataclass(frozen=True)
class _Block:
    """A paragraph of the message: its pieces inside an opening and closing tag."""

    pieces: tuple[tuple[Piece, str], ...]  # (piece, its plain text when it may be cut, else "")
    before: str = ""
    after: str = ""

    @property
    def visible(self) -> int:
        return sum(length for (_, length), _ in self.pieces)

    def html(self) -> str:
        return self.before + "".join(h for (h, _), _ in self.pieces) + self.after

    def cut(self, room: int) -> str:
        """The block's HTML with at most ``room`` visible characters: plain text is cut, a
        mention or command kept whole or left out, so no tag or entity is ever split."""
        out: list[str] = []
        used = 0
        for (markup, length), text in self.pieces:
            if used + length <= room:
                out.append(markup)
                used += length
                continue
            if text and room - used > 0:
                out.append(_escape(text[: room - used]))
            break
        return self.before + "".join(out) + self.after


def _parts(text: str) -> tuple[tuple[Piece, str], ...]:
    return tuple(
        ((_escape(part), len(part)), part) if isinstance(part, str) else (ref_html(part), "")
        for part in parts_of(text)
    )


def _blocks(message: Message) -> list[_Block]:
    """The message as blocks, most important first, so clipping drops the least useful."""
    mark = SEVERITY_MARKS.get(message.severity, "")
    title = (((_escape(mark), len(mark)), mark), *_parts(message.heading))
    blocks = [_Block(title, "<b>", "</b>")]
    blocks += [_Block(_parts(line)) for line in message.lines]
    for item in message.fields:
        name = f"{item.name}:"
        label = ((f"<b>{_escape(name)}</b> ", len(name) + 1), "")
        blocks.append(_Block((label, *_parts(item.value))))
    if message.footer:
        blocks.append(_Block(_parts(message.footer), "<i>", "</i>"))
    return blocks


def to_html(message: Message, limit: int = TEXT_MAX) -> str:
    """The message as Telegram HTML whose visible text fits in ``limit`` characters.

    Whole blocks are dropped from the end when it is too long; the block that no longer fits
    is cut on its plain text (the title and the first line always show their beginning: a
    refusal's reason comes first), so no tag or entity is ever split.
    """
    blocks = _blocks(message)
    kept: list[str] = []
    used = 0
    for index, block in enumerate(blocks):
        length = block.visible + (1 if kept else 0)
        room = limit - used - (len(_ELLIPSIS) if index < len(blocks) - 1 else 0)
        if length <= room:
            kept.append(block.html())
            used += length
            continue
        # Cut this block rather than drop it when it is the title or the first line, or when a
        # useful part of it still fits.
        space = room - (1 if kept else 0) - len(_ELLIPSIS)
        if index <= 1 or space >= 40:
            kept.append(block.cut(max(space, 0)))
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
