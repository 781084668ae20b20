"""Flood control shared by every chat: each user may run so many commands per window.

Past the limit the user gets one "slow down" answer, then silence until the window has room
again, so a flood costs the bot almost nothing and never delays anyone else's answers. Both
adapters ask :meth:`FloodGate.admit` before doing any work for an update.

Hand-written rather than taken from a library: ``aiolimiter`` makes the caller *wait* for
capacity (a flood would pile up waiting handlers, the opposite of what is needed), and the
``limits`` package's in-memory storage starts a timer thread and reads the wall clock, which
tests cannot drive. A moving window over the last ``commands`` timestamps of a user is a deque.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Message, message

# A person types a few commands a minute; a /link takes four messages in a few seconds.
DEFAULT_COMMANDS = 8
DEFAULT_WINDOW_SECONDS = 10.0
# Users remembered at once; the least recently seen is forgotten first.
_MAX_TRACKED_USERS = 50_000


@dataclass(frozen=True, slots=True)
class Admission:
    """What to do with one update: run it (``answer``), or not, sending ``notice`` if given."""

    answer: bool
    notice: Message | None = None


ANSWER = Admission(answer=True)
IGNORE = Admission(answer=False)


@dataclass(slots=True)
class _User:
    times: deque[float]
    told_until: float = 0.0  # the slow-down notice was sent; silence until then


class FloodGate:
    """At most ``commands`` admitted updates per user in any ``window`` seconds."""

    def __init__(
        self,
        commands: int = DEFAULT_COMMANDS,
        window: float = DEFAULT_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if commands < 1 or window <= 0:
            raise ValueError("a flood gate needs commands >= 1 and window > 0")
        self.commands = commands
        self.window = window
        self._clock = clock
        self._users: OrderedDict[tuple[str, str], _User] = OrderedDict()

    def admit(self, caller: Caller, *, must_answer: bool = False) -> Admission:
        """Whether to run ``caller``'s update now.

        Over the limit, the first refusal carries the slow-down notice and the rest none, until
        the window has room again. ``must_answer``: the platform needs an answer to every
        update (a Discord interaction): the notice comes with every refusal.
        """
        now = self._clock()
        key = (caller.platform, caller.user_id)
        user = self._users.get(key)
        if user is None:
            user = self._users[key] = _User(deque(maxlen=self.commands))
            while len(self._users) > _MAX_TRACKED_USERS:
                self._users.popitem(last=False)
        self._users.move_to_end(key)
        times = user.times
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.commands:
            times.append(now)
            return ANSWER
        free_at = times[0] + self.window
        if now < user.told_until and not must_answer:
            return IGNORE
        user.told_until = free_at
        return Admission(answer=False, notice=slow_down(free_at - now))


def slow_down(seconds: float) -> Message:
    """The one answer a flooding user gets (only they see it)."""
    return message(
        texts.SLOW_DOWN_TITLE,
        "error",
        lines=(texts.SLOW_DOWN.format(seconds=max(1, math.ceil(seconds))),),
        private=True,
    )
