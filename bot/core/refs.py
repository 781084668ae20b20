"""Typed references inside user-visible text, and :class:`Text`, a ``str`` that carries them.

Core never spells a command, a channel, a role or a person itself: each chat does that its own
way (``/margin link`` or ``/link``; ``<#id>`` or "this chat"; ``<@id>`` or a ``tg://user`` link).
So a catalogue template names a command as ``{/link}``, with options as
``{/unlink:account={label} confirm=yes}``, and takes channels, roles and people only as refs, in
the slots :data:`REF_SLOTS` names. :func:`fill` turns a template and its values into a
:class:`Text`; every renderer spells its parts (see ``spell``), and the characters of the
``str`` itself are the neutral spelling (text commands as Telegram and the console take them,
names instead of ids) that logs, tests and the console read. No raw platform id is ever part
of that neutral spelling.

:func:`fill` also cuts what the user typed: a value inserted with ``!r`` is an echo of their
input, shown at most :data:`ECHO_MAX` characters long, so a refusal keeps its reason however long
the input was.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core import texts

# How much of a user's own input a sentence echoes back (labels are at most 32 characters).
ECHO_MAX = 40


@dataclass(frozen=True, slots=True)
class CommandRef:
    """A command as the user should type it. ``options`` are (name, value) pairs in any order;
    ``usage`` spells the command's argument list instead (``/status [account]``)."""

    name: str
    options: tuple[tuple[str, str], ...] = ()
    usage: bool = False


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A chat or channel (``thread_id``: a topic or thread in it). ``here``: the chat the answer
    is read in, which a platform without channel mentions can still name ("this chat")."""

    id: str
    thread_id: str | None = None
    here: bool = False


@dataclass(frozen=True, slots=True)
class RoleRef:
    """A role of a community (Discord)."""

    id: str


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person: their platform id (may be empty when only a name is known) and their name."""

    id: str = ""
    name: str = ""


Ref = CommandRef | ChannelRef | RoleRef | UserRef
Part = str | Ref
REF_TYPES = (CommandRef, ChannelRef, RoleRef, UserRef)

# Template slots that take a ref and nothing else: a plain string there would be a raw id (or a
# command spelled one platform's way), so fill() refuses it.
REF_SLOTS: Mapping[str, type] = {
    "channel": ChannelRef,
    "role": RoleRef,
    "member": UserRef,
    "actor": UserRef,
    "owner": UserRef,
    "usage": CommandRef,
}


def plain(part: Part) -> str:
    """The neutral spelling of one part (what the console shows)."""
    if isinstance(part, str):
        return part
    if isinstance(part, CommandRef):
        return text_command(part)
    if isinstance(part, ChannelRef):
        if part.here:
            return texts.REF_TOPIC_HERE if part.thread_id else texts.REF_CHANNEL_HERE
        return texts.REF_CHANNEL_OTHER
    if isinstance(part, RoleRef):
        return texts.REF_ROLE
    return part.name or texts.REF_MEMBER


class Text(str):
    """A ``str`` (its neutral spelling) that also carries its typed parts for the renderers.

    Joining Texts with ``+`` keeps the parts; other ``str`` methods return plain strings, so
    core builds sentences with :func:`fill` and :func:`join`, never with f-strings.
    """

    parts: tuple[Part, ...]

    def __new__(cls, parts: Iterable[Part]) -> Text:
        merged = _merge(parts)
        self = super().__new__(cls, "".join(plain(p) for p in merged))
        self.parts = merged
        return self

    def __add__(self, other: str) -> Text:  # type: ignore[override]
        if not isinstance(other, str):
            return NotImplemented
        return Text((*self.parts, *parts_of(other)))

    def __radd__(self, other: str) -> Text:
        if not isinstance(other, str):
            return NotImplemented
        return Text((*parts_of(other), *self.parts))

    def __reduce__(self) -> tuple[Any, ...]:  # copy, deepcopy and pickle keep the parts
        return (Text, (self.parts,))

    def __repr__(self) -> str:
        return f"Text({str.__repr__(self)})"


def _merge(parts: Iterable[Part]) -> tuple[Part, ...]:
    """Nested Texts flattened, empty strings dropped, neighbouring strings joined."""
    out: list[Part] = []
    for part in parts:
        pieces = part.parts if isinstance(part, Text) else (part,)
        for piece in pieces:
            if isinstance(piece, str):
                if not piece:
                    continue
                if out and isinstance(out[-1], str):
                    out[-1] = out[-1] + piece
                    continue
                out.append(str(piece))
            elif isinstance(piece, REF_TYPES):
                out.append(piece)
            else:
                raise TypeError(f"a text part is a str or a ref, not {type(piece).__name__}")
    return tuple(out)


def parts_of(text: str) -> tuple[Part, ...]:
    """The parts of ``text``: a Text's own, or the plain string as its only part."""
    if isinstance(text, Text):
        return text.parts
    return (text,) if text else ()


def has_refs(text: str) -> bool:
    return isinstance(text, Text) and any(not isinstance(p, str) for p in text.parts)


def ref_text(ref: Ref) -> Text:
    """A Text that is just ``ref`` (a field value that is a channel, say)."""
    return Text((ref,))


def join(separator: str, items: Iterable[str]) -> str:
    """``separator.join(items)`` that keeps the parts of any Text among them."""
    items = list(items)
    if not any(isinstance(item, Text) for item in items):
        return separator.join(items)
    parts: list[Part] = []
    for index, item in enumerate(items):
        if index:
            parts.append(separator)
        parts.extend(parts_of(item))
    return Text(parts)


def spell(text: str, *, literal: Callable[[str], str], ref: Callable[[Ref], str]) -> str:
    """``text`` in one chat's spelling: ``literal`` escapes plain parts, ``ref`` spells refs."""
    return "".join(literal(p) if isinstance(p, str) else ref(p) for p in parts_of(text))


def clip(value: object) -> str:
    """What the user typed, cut to :data:`ECHO_MAX` characters."""
    shown = str(value)
    return shown if len(shown) <= ECHO_MAX else shown[: ECHO_MAX - 1] + "…"


def echo(value: object) -> str:
    """What the user typed, quoted and cut to :data:`ECHO_MAX` characters."""
    return repr(clip(value))


_FORMATTER = string.Formatter()


def fill(template: str, /, **values: Any) -> str:
    """The catalogue ``template`` with ``values`` put in: a :class:`Text` when it holds refs,
    else a plain ``str`` (equal to ``template.format(**values)`` for ordinary values).

    ``{/name}`` and ``{/name:opt={value} opt2=x}`` become :class:`CommandRef`; ``{value!r}`` is an
    echo of user input (quoted, cut to :data:`ECHO_MAX`); a slot in :data:`REF_SLOTS` must get its
    ref; a Text value keeps its parts.
    """
    parts: list[Part] = []
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        if field.startswith("/"):
            parts.append(_command(field[1:], spec or "", values))
            continue
        value = values[field]
        wanted = REF_SLOTS.get(field)
        if wanted is not None:
            if not isinstance(value, wanted):
                raise TypeError(f"{{{field}}} takes a {wanted.__name__}, not {value!r}")
            parts.append(value)
        elif isinstance(value, REF_TYPES):
            parts.append(value)
        elif isinstance(value, Text) and not spec and conversion is None:
            parts.extend(value.parts)
        elif conversion == "r":
            parts.append(format(echo(value), spec or ""))
        else:
            shown = _FORMATTER.convert_field(value, conversion) if conversion else value
            parts.append(format(shown, spec or ""))
    text = Text(parts)
    return text if has_refs(text) else "".join(p for p in text.parts if isinstance(p, str))


def _command(name: str, spec: str, values: Mapping[str, Any]) -> CommandRef:
    """``/unlink`` with ``account={label} confirm=yes`` as its options (values filled in)."""
    if spec == "usage":
        return CommandRef(name, usage=True)
    options = []
    for token in spec.split():
        key, sep, raw = token.partition("=")
        if not sep:
            raise ValueError(f"command option {token!r} in {{/{name}:…}} needs name=value")
        options.append((key, _FORMATTER.vformat(raw, (), values)))
    return CommandRef(name, tuple(options))


# ------------------------------------------------------------ text commands (Telegram, console)


def text_command(ref: CommandRef) -> str:
    """``ref`` as typed after a slash in a text chat: ``/unlink main confirm=yes``.

    Arguments go positionally while they follow the registry's order, and by name from the
    first gap on; a yes/no is always named (a bare "yes" says nothing). The registry's text
    parser (``parse_text_arguments``) reads exactly this back.
    """
    from bot.core import registry  # late: the registry builds Texts from this module

    try:
        command = registry.command(ref.name)
    except KeyError:
        return "/" + ref.name
    if ref.usage:
        return command.usage
    given = dict(ref.options)
    words = ["/" + command.name]
    in_order = True
    for arg in command.arguments:
        if arg.name not in given:
            in_order = False
            continue
        value = _quoted(given[arg.name])
        if in_order and arg.type is not registry.ArgType.BOOLEAN:
            words.append(value)
        else:
            in_order = False
            words.append(f"{arg.name}={value}")
    return " ".join(words)


def _quoted(value: str) -> str:
    if value and not any(ch.isspace() or ch in "\"'\\" for ch in value):
        return value
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return shlex.quote(value)


# ------------------------------------------------------------ payloads (the outbox stores them)


def to_json(text: str) -> str | dict[str, Any]:
    """A str as itself; a Text as ``{"parts": [...]}`` with each ref as a small dict."""
    if not isinstance(text, Text):
        return str(text)
    return {"parts": [p if isinstance(p, str) else _ref_json(p) for p in text.parts]}


def from_json(data: Any) -> str:
    """The str or Text :func:`to_json` made (a plain string from older payloads passes)."""
    if isinstance(data, dict) and isinstance(data.get("parts"), list):
        parts: list[Part] = []
        for item in data["parts"]:
            if isinstance(item, dict):
                ref = _ref_from_json(item)
                if ref is not None:
                    parts.append(ref)
            else:
                parts.append(str(item))
        return Text(parts)
    return "" if data is None else str(data)


def _ref_json(ref: Ref) -> dict[str, Any]:
    if isinstance(ref, CommandRef):
        return {
            "ref": "command",
            "name": ref.name,
            "options": [list(o) for o in ref.options],
            "usage": ref.usage,
        }
    if isinstance(ref, ChannelRef):
        return {"ref": "channel", "id": ref.id, "thread_id": ref.thread_id, "here": ref.here}
    if isinstance(ref, RoleRef):
        return {"ref": "role", "id": ref.id}
    return {"ref": "user", "id": ref.id, "name": ref.name}


def _ref_from_json(item: Mapping[str, Any]) -> Ref | None:
    kind = item.get("ref")
    if kind == "command":
        options = tuple((str(k), str(v)) for k, v in item.get("options", ()))
        return CommandRef(str(item.get("name", "")), options, bool(item.get("usage", False)))
    if kind == "channel":
        thread = item.get("thread_id")
        return ChannelRef(
            str(item.get("id", "")), None if thread is None else str(thread), bool(item.get("here"))
        )
    if kind == "role":
        return RoleRef(str(item.get("id", "")))
    if kind == "user":
        return UserRef(str(item.get("id", "")), str(item.get("name", "")))
    return None
