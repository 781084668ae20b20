"""The neutral message model every use case returns and every chat renders, and the refusal."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["info", "ok", "watch", "margin_call", "critical", "error"]

# Ordered from calm to loud: a renderer picks colour and sound from the position in this tuple,
# and a coalesced message takes the loudest severity of its parts.
SEVERITIES: tuple[Severity, ...] = ("info", "ok", "watch", "margin_call", "critical", "error")

# Severities that must reach the user with sound; routine messages are silent (docs/alerts.md).
LOUD: frozenset[Severity] = frozenset({"margin_call", "critical"})


def louder(a: Severity, b: Severity) -> Severity:
    """The louder of two severities (``error`` counts as loudest)."""
    return a if SEVERITIES.index(a) >= SEVERITIES.index(b) else b


# The rehearsal marker ("[simulator]", "[testnet]") of every message made in this context. The
# service sets it once, at start, when it does not read the live exchanges (mark_rehearsal); its
# tasks (chat handlers, the monitor, deliveries) inherit it, so every message any of them makes
# carries it, and each renderer shows it in front of the title (Message.heading). A context
# variable rather than a module global, so a test or the demo in the same process is unmarked.
_MARKER: contextvars.ContextVar[str] = contextvars.ContextVar("marginwatch_marker", default="")


def mark_rehearsal(marker: str) -> None:
    """Mark every message made from now on in this context (and the tasks it starts)."""
    _MARKER.set(marker)


def current_marker() -> str:
    return _MARKER.get()


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled value (an embed field on Discord, a bold ``name: value`` line on Telegram).

    ``value`` may be a :class:`bot.core.refs.Text` (a channel or a role, say) like any line.
    """

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Image:
    """A picture attached to a message (a PNG chart)."""

    data: bytes = field(repr=False)
    filename: str
    description: str = ""

    def __repr__(self) -> str:  # the bytes are noise in logs and test output
        return f"Image(filename={self.filename!r}, {len(self.data)} bytes)"


class ActionId(StrEnum):
    """What a button does. Values are short because they travel in Telegram's 64-byte
    ``callback_data`` and Discord's 100-character ``custom_id``."""

    REFRESH_STATUS = "rs"
    REFRESH_POSITIONS = "rp"
    SNOOZE = "sn"
    UNSNOOZE = "us"
    CONFIRM_UNLINK = "cu"
    CONFIRM_DELETE_MY_DATA = "cd"


_PREFIX = "mw"  # marks our buttons so an adapter can ignore foreign callback data
_SEP = ":"


@dataclass(frozen=True, slots=True)
class Action:
    """A button: an action id with its arguments (strings), and the label shown on it.

    ``encode()`` gives the compact string a chat stores with the button (``mw:sn:12:4h``);
    ``Action.decode()`` reverses it; the adapter hands the decoded action to ``Core.act``.
    """

    id: ActionId
    label: str = ""
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        for arg in self.args:
            if _SEP in arg:
                raise ValueError("action arguments cannot contain ':'")
        encoded = _SEP.join((_PREFIX, self.id.value, *self.args))
        if len(encoded.encode()) > 64:
            raise ValueError("encoded action is longer than Telegram's 64 bytes")
        return encoded

    @classmethod
    def decode(cls, data: str) -> Action | None:
        """The action ``data`` encodes, or None if it is not one of ours."""
        parts = data.split(_SEP)
        if len(parts) < 2 or parts[0] != _PREFIX:
            return None
        try:
            action_id = ActionId(parts[1])
        except ValueError:
            return None
        return cls(id=action_id, args=tuple(parts[2:]))


def account_ref(account_id: int) -> str:
    """The button argument naming an account (``a12``)."""
    return f"a{account_id}"


def subscription_ref(subscription_id: int) -> str:
    """The button argument naming a subscription (``s34``): alerts know only their
    subscription."""
    return f"s{subscription_id}"


def parse_ref(ref: str) -> tuple[Literal["account", "subscription"], int] | None:
    """``a12`` -> ("account", 12); ``s34`` -> ("subscription", 34); anything else None."""
    kinds: dict[str, Literal["account", "subscription"]] = {"a": "account", "s": "subscription"}
    kind, digits = kinds.get(ref[:1]), ref[1:]
    # ASCII only and at most 18 digits: a forged "a99999999999999999999" overflowed SQLite's
    # integer, and str.isdigit() also accepts other scripts' digits.
    if kind is None or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return kind, int(digits)


@dataclass(frozen=True, slots=True)
class Message:
    """What a use case answers with, in no chat's dialect.

    ``title``, ``lines`` and field values are strings; any of them may be a
    :class:`bot.core.refs.Text` carrying command, channel, role and user references that each
    renderer spells for its chat (the string itself is the neutral spelling).

    ``private``: show it only to the caller (Discord ephemeral reply / DM; Telegram private chat).
    ``silent``: deliver without a notification sound. Alerts at margin call or worse are never
    silent; use :func:`message` to get that default right.
    ``mention``: for shared alerts in a channel, whether the community's alert role is pinged
    (only for critical).
    ``marker``: the rehearsal marker ("[simulator]") when the figures do not come from a live
    exchange; set from the context the message is made in (see :func:`mark_rehearsal`) and
    stored with it in the outbox. Renderers show :attr:`heading`, never the bare title.
    """

    title: str
    severity: Severity = "info"
    lines: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    image: Image | None = None
    actions: tuple[Action, ...] = ()
    private: bool = False
    silent: bool = True
    footer: str = ""
    mention: bool = False
    marker: str = field(default_factory=current_marker)

    @property
    def heading(self) -> str:
        """The title as every chat shows it: behind the rehearsal marker, if there is one."""
        # "+", not an f-string: a title that is a refs.Text keeps its references.
        return f"{self.marker} " + self.title if self.marker else self.title

    @property
    def text(self) -> str:
        """Plain text rendering (console transport, logs of non-secret messages, tests)."""
        out = [self.heading, *self.lines]
        out += [f"{f.name}: {f.value}" for f in self.fields]
        if self.footer:
            out.append(self.footer)
        return "\n".join(out)


def message(
    title: str,
    severity: Severity = "info",
    *,
    lines: tuple[str, ...] | list[str] = (),
    fields: tuple[Field, ...] | list[Field] = (),
    image: Image | None = None,
    actions: tuple[Action, ...] | list[Action] = (),
    private: bool = False,
    footer: str = "",
    mention: bool = False,
) -> Message:
    """Build a Message whose ``silent`` flag follows its severity (loud from margin call up)."""
    return Message(
        title=title,
        severity=severity,
        lines=tuple(lines),
        fields=tuple(fields),
        image=image,
        actions=tuple(actions),
        private=private,
        silent=severity not in LOUD,
        footer=footer,
        mention=mention,
    )


class Refusal(Exception):
    """A use case said no. ``sentence`` is what the user reads; nothing else is shown.

    Raised for bad input, missing rights and unknown accounts. It never carries a secret and
    never changes anything: a use case refuses before it writes.
    """

    def __init__(self, sentence: str, *, title: str = "") -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.title = title

    def to_message(self) -> Message:
        """The refusal as a private error message, ready for any chat."""
        from bot.core import texts  # late: texts is a leaf, but keep messages import-free

        return message(
            self.title or texts.REFUSED_TITLE, "error", lines=(self.sentence,), private=True
        )


def to_payload(msg: Message) -> dict[str, object]:
    """A JSON-able dict of ``msg`` (what the outbox stores); images travel as base64."""
    import base64

    from bot.core.refs import to_json

    return {
        "title": to_json(msg.title),
        "severity": msg.severity,
        "lines": [to_json(line) for line in msg.lines],
        "fields": [
            {"name": f.name, "value": to_json(f.value), "inline": f.inline} for f in msg.fields
        ],
        "image": None
        if msg.image is None
        else {
            "data": base64.b64encode(msg.image.data).decode(),
            "filename": msg.image.filename,
            "description": msg.image.description,
        },
        "actions": [
            {"id": a.id.value, "label": a.label, "args": list(a.args)} for a in msg.actions
        ],
        "private": msg.private,
        "silent": msg.silent,
        "footer": msg.footer,
        "mention": msg.mention,
        "marker": msg.marker,
    }


def from_payload(payload: Mapping[str, Any]) -> Message:
    """The Message a :func:`to_payload` dict describes; unknown keys are ignored."""
    import base64

    from bot.core.refs import from_json

    severity = payload.get("severity", "info")
    if severity not in SEVERITIES:
        severity = "info"
    image = payload.get("image")
    return Message(
        title=from_json(payload.get("title", "")),
        severity=severity,
        lines=tuple(from_json(line) for line in payload.get("lines", ())),
        fields=tuple(
            Field(str(f["name"]), from_json(f["value"]), bool(f.get("inline", True)))
            for f in payload.get("fields", ())
        ),
        image=None
        if not image
        else Image(
            base64.b64decode(image["data"]),
            str(image["filename"]),
            str(image.get("description", "")),
        ),
        actions=tuple(
            Action(
                ActionId(a["id"]), str(a.get("label", "")), tuple(str(x) for x in a.get("args", ()))
            )
            for a in payload.get("actions", ())
        ),
        private=bool(payload.get("private", False)),
        silent=bool(payload.get("silent", severity not in LOUD)),
        footer=str(payload.get("footer", "")),
        mention=bool(payload.get("mention", False)),
        marker=str(payload.get("marker", current_marker())),
    )
