"""Private chats are paced to about one message a second; groups are left to AIORateLimiter."""

from __future__ import annotations

import asyncio
import itertools

from bot.chat.telegram.pace import PrivateChatPace


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_second_message_to_one_private_chat_waits_for_the_pace(monkeypatch) -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(round(delay, 3))
        clock.now += delay

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    pace = PrivateChatPace(1.0, clock=clock)
    await pace.wait(42)
    clock.now += 0.25
    await pace.wait(42)
    await pace.wait(7)  # another private chat is independent
    await pace.wait(-1001)  # a group: not paced here
    await pace.wait(-1001)
    assert slept == [0.75]


async def test_concurrent_sends_to_one_chat_go_out_in_order_one_pace_apart() -> None:
    pace = PrivateChatPace(0.05)
    loop = asyncio.get_running_loop()
    started: list[float] = []

    async def one() -> None:
        await pace.wait(42)
        started.append(loop.time())

    await asyncio.gather(*(one() for _ in range(3)))
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert len(started) == 3
    assert all(gap >= 0.045 for gap in gaps)
