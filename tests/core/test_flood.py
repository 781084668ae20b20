"""Per-user flood control in core: one slow-down answer, then silence until the window passes."""

from __future__ import annotations

from bot.core import texts
from bot.core.flood import FloodGate
from bot.core.identity import Caller
from bot.monitor.clock import ManualClock


def caller(user: str, platform: str = "telegram") -> Caller:
    return Caller(platform=platform, user_id=user, chat_id=user, is_private_chat=True)  # type: ignore[arg-type]


def test_a_flooding_user_is_told_once_to_slow_down_then_ignored_until_the_window_passes() -> None:
    clock = ManualClock()
    gate = FloodGate(commands=8, window=10.0, clock=clock.now)
    answers = []
    for _ in range(200):  # 200 commands in two seconds
        answers.append(gate.admit(caller("flooder")))
        clock.advance(0.01)
    assert sum(a.answer for a in answers) == 8
    notices = [a.notice for a in answers if a.notice is not None]
    assert len(notices) == 1
    assert notices[0].title == texts.SLOW_DOWN_TITLE and notices[0].private
    assert "10 s" in notices[0].lines[0] or "9 s" in notices[0].lines[0]
    clock.advance(10.0)  # the window has room again
    assert gate.admit(caller("flooder")).answer


def test_one_users_flood_never_limits_another_user() -> None:
    clock = ManualClock()
    gate = FloodGate(commands=3, window=10.0, clock=clock.now)
    for _ in range(50):
        gate.admit(caller("flooder"))
    assert all(gate.admit(caller(f"user{n}")).answer for n in range(100))
    # The same id on another platform is another person.
    assert gate.admit(caller("flooder", platform="discord")).answer


def test_a_platform_that_must_answer_every_update_gets_the_notice_every_time() -> None:
    gate = FloodGate(commands=1, window=10.0, clock=ManualClock().now)
    assert gate.admit(caller("x")).answer
    refused = [gate.admit(caller("x"), must_answer=True) for _ in range(3)]
    assert all(not a.answer and a.notice is not None for a in refused)


def test_a_steady_typist_is_never_limited() -> None:
    clock = ManualClock()
    gate = FloodGate(clock=clock.now)
    for _ in range(300):  # one command every 1.5 s for more than seven minutes
        assert gate.admit(caller("calm")).answer
        clock.advance(1.5)
