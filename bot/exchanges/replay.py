"""Replay a recording through the real read path: simulator → ccxt → adapter → risk."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .budget import Budget
from .errors import ExchangeReadError
from .hub import ExchangeHub
from .registry import adapter_for
from .types import AccountRead, Credentials

# The simulator serves recorded bodies without checking keys, but ccxt still signs: any
# well-formed credentials do (Kraken wants a base64 secret).
REPLAY_CREDENTIALS = Credentials(
    api_key="replay-key",
    secret=base64.b64encode(b"replay-secret").decode(),
    passphrase="replay-passphrase",
    wallet_address="0x0000000000000000000000000000000000000001",
)


REPLAY_SPEED = 100.0


class RecordingError(ValueError):
    """The recording file is unusable, or lacks an endpoint the read needs (named)."""


def load_recording(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise RecordingError(f"cannot read recording {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise RecordingError(
            f"recording {path} is not JSON (line {exc.lineno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or not data:
        raise RecordingError(
            f'recording {path} must be a JSON object of "METHOD /path": response body'
        )
    return data


async def replay(venue: str, recording: Mapping[str, Any]) -> AccountRead:
    """Read ``venue``'s account from ``recording``; raises RecordingError or ExchangeReadError."""
    from bot.sim import Simulator  # the simulator is only needed for replays

    adapter_for(venue)  # unknown venue: KeyError before any server starts
    # The simulator enforces the venue's limits and the hub's budget keeps to them, both with
    # windows REPLAY_SPEED times shorter: one read replayed is no rehearsal of timing, and a
    # venue's public limit (Kraken: one call a second) would only make it wait.
    sim = Simulator(limits_speed=REPLAY_SPEED)
    try:
        sim.load_recording(venue, recording)
    except ValueError as exc:
        raise RecordingError(str(exc)) from None
    async with (
        sim,
        ExchangeHub(
            base_urls={venue: sim.base_url(venue)}, budget=Budget(speed=REPLAY_SPEED)
        ) as hub,
    ):
        try:
            return await hub.read_account(venue, REPLAY_CREDENTIALS)
        except ExchangeReadError:
            if sim.missing:
                missing = ", ".join(f"'{key}'" for key in dict.fromkeys(sim.missing))
                raise RecordingError(
                    f"the recording has no response for {missing}, which the {venue} read needs"
                ) from None
            raise
