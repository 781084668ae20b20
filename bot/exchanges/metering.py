"""Each ccxt request charged to the budget before it is signed, and its answer read after.

:func:`install_meter` wraps one ccxt instance's ``fetch2`` (before ccxt signs: a wait never
makes a signed timestamp stale) and its ``on_rest_response`` hook (every answer, status and
headers, before ccxt raises on it). The cost comes from the venue's limits table by the
request's own path, found by signing it once without sending (the real request is signed again
after the wait, with a fresh timestamp or nonce).

Who asks, and what a read spent, travel in context variables set by :func:`calling`: requests
made inside ``with calling(priority) as tally`` are charged at that priority and added to the
tally, whichever ccxt instance sends them (the venue's master loading markets included).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .budget import Budget, Grant, Priority, ReadDeferred, Tally
from .limits import VenueLimits


@dataclass
class _Call:
    priority: Priority
    tally: Tally
    defer: bool


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("budget_call", default=None)
_PENDING: contextvars.ContextVar[Grant | None] = contextvars.ContextVar(
    "budget_pending", default=None
)


@contextlib.contextmanager
def calling(priority: Priority, *, defer: bool = False) -> Iterator[Tally]:
    """Charge the requests made inside at ``priority``; the tally sums what they spent.

    ``defer``: a routine read whose lanes are full raises ``ReadDeferred`` at its first request
    instead of waiting (the monitor reschedules it); else it waits for room.
    """
    call = _Call(priority, Tally(), defer)
    token = _CALL.set(call)
    try:
        yield call.tally
    finally:
        _CALL.reset(token)


def venue_path(url: str, base_path: str) -> str:
    """The venue's own path of ``url`` (without the simulator's per-venue prefix)."""
    path = urlsplit(url).path or "/"
    if base_path and path.startswith(base_path + "/"):
        path = path[len(base_path) :]
    return path


def body_kind(table: VenueLimits, body: Any) -> str | None:
    if table.body_field is None or not body:
        return None
    try:
        decoded = json.loads(body)
    except (TypeError, ValueError):
        return None
    value = decoded.get(table.body_field) if isinstance(decoded, dict) else None
    return value if isinstance(value, str) else None


def install_meter(
    exchange: Any,
    budget: Budget,
    table: VenueLimits,
    *,
    route: str,
    key: str | None,
    base_path: str = "",
) -> None:
    """Make ``exchange`` charge every request to ``budget`` before it is signed and sent."""
    original: Callable[..., Awaitable[Any]] = exchange.fetch2
    answered: Callable[..., Any] = exchange.on_rest_response

    async def metered_fetch2(
        path: str, api: Any = "public", method: str = "GET", params: Any = None, config: Any = None
    ) -> Any:
        params = params if params is not None else {}
        if not budget.enforce:
            return await original(path, api, method, params, config if config is not None else {})
        call = _CALL.get()
        priority = call.priority if call is not None else Priority.ROUTINE
        dry = exchange.sign(path, api, method, dict(params) if isinstance(params, dict) else params)
        where = venue_path(str(dry["url"]), base_path)
        charges = table.charges(str(dry["method"]), where, body_kind(table, dry.get("body")))
        lanes = budget.lanes(table, charges, route=route, key=key, endpoint=where)
        if call is None:
            grant = await budget.acquire(table, lanes, priority)
        else:
            # A read's first request reserves the whole read, and may be deferred (routine)
            # rather than wait for room; the later requests draw on the reservation.
            first = not call.tally.cost
            taken = budget.take_for_read(table, lanes, call.tally)
            try:
                await budget.acquire(table, taken, priority, may_defer=first and call.defer)
            except ReadDeferred:
                budget.note_deferred(table.venue, key, lanes)
                raise
            call.tally.add(lanes)
            grant = Grant(lanes, table)
        pending = _PENDING.set(grant)
        try:
            return await original(path, api, method, params, config if config is not None else {})
        finally:
            _PENDING.reset(pending)

    def on_rest_response(
        code: Any,
        reason: Any,
        url: Any,
        method: Any,
        response_headers: Any,
        response_body: Any,
        request_headers: Any,
        request_body: Any,
    ) -> Any:
        grant = _PENDING.get()
        if grant is not None:
            budget.observe(grant, int(code or 0), response_headers or {}, str(response_body or ""))
        return answered(
            code,
            reason,
            url,
            method,
            response_headers,
            response_body,
            request_headers,
            request_body,
        )

    exchange.fetch2 = metered_fetch2
    exchange.on_rest_response = on_rest_response
