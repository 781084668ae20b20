"""Render a neutral Message as terminal text, coloured by severity when the terminal allows."""

from __future__ import annotations

from bot.core.messages import Message, Severity

# ANSI colours by severity: calm to loud, matching the chats' embed colours in spirit.
_COLOURS: dict[Severity, str] = {
    "info": "\033[36m",
    "ok": "\033[32m",
    "watch": "\033[33m",
    "margin_call": "\033[91m",
    "critical": "\033[1;97;41m",
    "error": "\033[35m",
}
_RESET = "\033[0m"
_BADGES: dict[Severity, str] = {
    "info": "info",
    "ok": "ok",
    "watch": "WATCH",
    "margin_call": "MARGIN CALL",
    "critical": "CRITICAL",
    "error": "error",
}


def render(message: Message, *, colour: bool = False, width: int = 78) -> str:
    """The message as lines of text: a badge and title, its lines, fields and footer."""
    badge = f"[{_BADGES[message.severity]}]"
    if colour:
        badge = f"{_COLOURS[message.severity]}{badge}{_RESET}"
    out = [f"{badge} {message.heading}"]
    out += [f"  {line}" for line in message.lines]
    if message.fields:
        name_width = min(max(len(f.name) for f in message.fields), width // 3)
        out += [f"  {f.name:<{name_width}}  {f.value}" for f in message.fields]
    if message.image is not None:
        out.append(f"  (image: {message.image.filename})")
    if message.actions:
        out.append("  buttons: " + " | ".join(a.label or a.id.value for a in message.actions))
    if message.footer:
        out.append(f"  {message.footer}")
    return "\n".join(out)
