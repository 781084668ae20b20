"""The request budget on a stepped clock: reserve, priorities, stop-means-stop and the ramp, the
venue's own count, Kraken's draining counter, and cadences stretched to fit."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.exchanges.budget import (
    HARD_SHARE,
    PLAN_SHARE,
    RAMP_START,
    Budget,
    BudgetStopped,
    LimitClock,
    Priority,
    Tally,
)
from bot.exchanges.limits import BINANCEUSDM, BYBIT, KRAKEN, VenueLimits


class SteppedClock(LimitClock):
    """Venue time that moves only when a waiter sleeps (or the test says so)."""

    def __init__(self) -> None:
        super().__init__(1.0)
        self.t = 1_000_000.0

    def now(self) -> float:
        return self.t

    def wall(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


def lanes(budget: Budget, table: VenueLimits, path: str, *, route: str = "direct", key: str = "k"):
    budget.register(table)
    method = "POST" if "/private/" in path else "GET"  # Kraken's private calls are POSTs
    charges = table.charges(method, path)
    return budget.lanes(table, charges, route=route, key=key, endpoint=path)


async def spend(budget: Budget, table: VenueLimits, path: str, priority: Priority, **kw) -> None:
    await budget.acquire(table, lanes(budget, table, path, **kw), priority)


async def test_routine_reads_leave_the_reserve_to_danger_link_and_confirm(clock) -> None:
    budget = Budget(clock=clock, reserve=0.25)
    start = clock.t
    # Routine: 5 weight a request, at most 75 % of 95 % of 2,400 in the window.
    count = 0
    while clock.t == start:
        await spend(budget, BINANCEUSDM, "/fapi/v3/account", Priority.ROUTINE)
        count += 1
    routine_cap = 2400 * HARD_SHARE * 0.75
    assert (count - 1) * 5 <= routine_cap < count * 5
    # The reserve is still there for the others, at once.
    clock.t = start
    (lane, _), *_ = lanes(budget, BINANCEUSDM, "/fapi/v3/account")
    used = lane.used(clock.t)
    for priority in (Priority.DANGER, Priority.CONFIRM, Priority.LINK):
        before = clock.t
        await spend(budget, BINANCEUSDM, "/fapi/v3/account", priority)
        assert clock.t == before
    assert lane.used(clock.t) == used + 15


async def test_a_waiting_danger_read_goes_before_waiting_routine_reads() -> None:
    # Real time, the windows a thousand times shorter: the waiters really wait side by side.
    # No reserve: every priority has the same ceiling, so only the order of service differs.
    budget = Budget(speed=1000.0, reserve=0.0)
    table = KRAKEN
    path = "/0/private/TradeBalance"
    route = lanes(budget, table, path)
    ((lane, _),) = route
    lane.charge(15, budget.clock.now())  # the key's counter is full
    order: list[str] = []

    async def read(name: str, priority: Priority) -> None:
        await budget.acquire(table, route, priority)
        order.append(name)

    routine = [asyncio.create_task(read(f"routine{i}", Priority.ROUTINE)) for i in range(3)]
    await asyncio.sleep(0.001)
    danger = asyncio.create_task(read("danger", Priority.DANGER))
    await asyncio.gather(*routine, danger)
    assert order[0] == "danger"


async def test_a_limited_answer_stops_the_scope_for_retry_after_then_ramps(clock, caplog) -> None:
    budget = Budget(clock=clock)
    table = BINANCEUSDM
    grant = await budget.acquire(table, lanes(budget, table, "/fapi/v3/account"), Priority.DANGER)
    with caplog.at_level(logging.WARNING):
        budget.observe(grant, 429, {"Retry-After": "30"}, '{"code":-1003}')
    assert "answered limited" in caplog.text
    # Stop means stop: nothing is charged, whatever the priority, until Retry-After.
    for priority in Priority:
        with pytest.raises(BudgetStopped) as stopped:
            await spend(budget, table, "/fapi/v3/positionRisk", priority)
        assert stopped.value.state == "rate_limited"
        assert 29 <= (stopped.value.retry_after or 0) <= 30
    report = budget.report()["binanceusdm"]
    assert report.state == "limited" and report.limited_answers == 1
    assert "2,400 weight per minute per IP" in (report.reason or "")
    clock.t += 30.5
    ((lane, _),) = lanes(budget, table, "/fapi/v3/account")
    spent_before = lane.used(clock.t)
    await spend(budget, table, "/fapi/v3/account", Priority.DANGER)
    # Never straight back to full rate: the lane ramps from a quarter of its limit, trimmed.
    assert lane.ceiling(Priority.DANGER, clock.t) < 2400 * HARD_SHARE * (RAMP_START + 0.05)
    assert lane.used(clock.t) == spent_before + 5
    assert budget.report()["binanceusdm"].state == "ok"


async def test_a_per_key_limit_stops_that_key_only(clock) -> None:
    budget = Budget(clock=clock)
    table = KRAKEN
    path = "/0/private/TradeBalance"
    grant = await budget.acquire(table, lanes(budget, table, path, key="alice"), Priority.ROUTINE)
    budget.observe(grant, 200, {}, '{"error":["EAPI:Rate limit exceeded"]}')
    with pytest.raises(BudgetStopped):
        await spend(budget, table, path, Priority.ROUTINE, key="alice")
    before = clock.t
    await spend(budget, table, path, Priority.ROUTINE, key="bob")
    assert clock.t == before  # bob's read did not wait
    # One key limited is that account's business, not the venue's standing.
    assert budget.report()["kraken"].state == "ok"


async def test_the_venues_own_count_of_the_ip_is_followed(clock) -> None:
    budget = Budget(clock=clock)
    table = BINANCEUSDM
    grant = await budget.acquire(table, lanes(budget, table, "/fapi/v3/account"), Priority.ROUTINE)
    # Another program on this IP spent 1,500 weight this minute: the venue says so.
    budget.observe(grant, 200, {"x-mbx-used-weight-1m": "1505"}, "{}")
    ((lane, _),) = lanes(budget, table, "/fapi/v3/account")
    assert lane.used(clock.t) == pytest.approx(1505)
    budget.observe(grant, 200, {"X-MBX-USED-WEIGHT-1M": "1505"}, "{}")  # nothing new
    assert lane.used(clock.t) == pytest.approx(1505)


async def test_bybits_reported_limit_and_remaining_are_adopted(clock) -> None:
    budget = Budget(clock=clock)
    table = BYBIT
    path = "/v5/position/list"
    grant = await budget.acquire(table, lanes(budget, table, path), Priority.ROUTINE)
    budget.observe(grant, 200, {"X-Bapi-Limit": "50", "X-Bapi-Limit-Status": "45"}, "{}")
    uid = next(lane for lane, _ in grant.lanes if lane.bucket.name == "bybit:uid")
    assert uid.limit == 50
    assert uid.used(clock.t) == pytest.approx(5)


async def test_krakens_counter_drains_at_its_rate(clock) -> None:
    budget = Budget(clock=clock)
    path = "/0/private/TradeBalance"
    start = clock.t
    for _ in range(40):
        await spend(budget, KRAKEN, path, Priority.DANGER)
    # 15 at once, then one per drained point (0.33 a second, a little slower for safety).
    assert clock.t - start == pytest.approx((40 - 15) / 0.33, rel=0.06)


def plan_many(budget: Budget, table: VenueLimits, path: str, n: int, *, urgent=(), base=60.0):
    cadences = {}
    route = lanes(budget, table, path)
    for index in range(n):
        tally = Tally()
        tally.cost = {lane: cost for lane, cost in route}
        token = f"acct{index}"
        cadences[token] = budget.plan(
            table.venue, token, tally, 10.0 if index in urgent else base, index in urgent
        )
    return cadences


async def test_cadences_stretch_evenly_when_demand_outgrows_the_routine_share(clock) -> None:
    budget = Budget(clock=clock, reserve=0.25)
    # 2,000 accounts at 10 weight a minute each, on one IP allowing 2,400 a minute.
    route_path = "/fapi/v3/account"
    table = BINANCEUSDM
    budget.register(table)
    urgent = set(range(10))
    cadences = {}
    for _ in range(2):  # a second pass: every account planned against the full demand
        cadences = plan_many(budget, table, route_path, 2000, urgent=urgent)
    calm = [c for t, c in cadences.items() if int(t[4:]) not in urgent]
    danger = [c for t, c in cadences.items() if int(t[4:]) in urgent]
    # Danger keeps its cadence out of the reserve; the rest stretch evenly to fit 75 %.
    assert all(c.interval == 10.0 for c in danger)
    capacity = 2400 * HARD_SHARE * PLAN_SHARE / (60 * 1.02 + 0.05)
    routine_share = capacity * 0.75 - max(0.0, 10 * 5 / 10 - capacity * 0.25)
    expected = (1990 * 5 / 60) / routine_share
    assert {round(c.interval / c.base, 6) for c in calm} == {round(expected, 6)}
    assert all(c.reason == "Binance allows 2,400 weight per minute per IP" for c in calm)
    report = budget.report()["binanceusdm"]
    assert report.state == "stretched"
    assert "Binance allows 2,400 weight per minute per IP" in (report.reason or "")
    assert report.reads_demanded_per_minute == pytest.approx(1990 + 10 * 6)
    assert report.reads_granted_per_minute == pytest.approx(1990 / expected + 60, rel=1e-3)


async def test_demand_within_the_limit_is_not_stretched_and_forgotten_demand_leaves(clock) -> None:
    budget = Budget(clock=clock)
    table = BINANCEUSDM
    budget.register(table)
    cadences = plan_many(budget, table, "/fapi/v3/account", 100)
    assert all(c.interval == 60.0 and c.reason is None for c in cadences.values())
    assert budget.report()["binanceusdm"].state == "ok"
    plan_many(budget, table, "/fapi/v3/account", 3000)
    assert budget.report()["binanceusdm"].state == "stretched"
    for index in range(3000):
        budget.forget(f"acct{index}")
    again = plan_many(budget, table, "/fapi/v3/account", 1)
    assert again["acct0"].interval == 60.0


async def test_an_unenforced_budget_charges_and_stretches_nothing(clock) -> None:
    budget = Budget(clock=clock, enforce=False)
    table = BINANCEUSDM
    for _ in range(1000):
        await spend(budget, table, "/fapi/v3/account", Priority.ROUTINE)
    assert clock.t == 1_000_000.0
    cadences = plan_many(budget, table, "/fapi/v3/account", 5000)
    assert all(c.interval == 60.0 for c in cadences.values())


def test_the_reserve_is_a_share() -> None:
    with pytest.raises(ValueError, match="share"):
        Budget(reserve=1.0)
    with pytest.raises(ValueError, match="positive"):
        Budget(speed=0)
