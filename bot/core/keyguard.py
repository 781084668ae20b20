"""Spotting an API key or secret pasted where others can read it (a group), so the adapter can
delete the message and warn its author."""

from __future__ import annotations

import re

# Exchange keys and secrets are long runs of base64/hex/url-safe characters. A word that long
# with both letters and digits is almost never prose; URLs and mentions are excluded first.
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{24,}")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_WALLET = re.compile(r"\b0x[0-9a-fA-F]{40}\b")  # a public address is not a secret


def looks_like_secret(text: str) -> bool:
    """True when ``text`` holds something shaped like an API key or secret."""
    if not text:
        return False
    cleaned = _WALLET.sub(" ", _URL.sub(" ", text))
    for token in _TOKEN.findall(cleaned):
        has_digit = any(ch.isdigit() for ch in token)
        has_letter = any(ch.isalpha() for ch in token)
        if has_digit and has_letter:
            return True
    return False
