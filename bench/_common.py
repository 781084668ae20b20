"""Shared helpers of the monitor benchmarks: simulated accounts, timing wrappers, percentiles."""

from __future__ import annotations

import asyncio
import base64
import gc
import inspect
import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psutil

from bot.exchanges.budget import ReadDeferred
from bot.exchanges.types import AccountRead
from bot.monitor.clock import Clock
from bot.monitor.scheduler import Monitor
from bot.store import Account, Store, Tx

T = TypeVar("T")

# Venues with a simulator plug-in and an adapter, one per margin model the product serves.
BENCH_VENUES = ("kraken", "binanceusdm", "binance", "bybit")

# APScheduler logs every tick skipped while the previous one runs: noise in a bench table.
logging.getLogger("apscheduler").setLevel(logging.ERROR)

# One account in this many starts near margin call, so the policy has alerts to produce.
AT_RISK_EVERY = 50


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values): no interpolation to flatter a tail."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: the machine is shared, so figures need this context."""
    return [round(value, 2) for value in os.getloadavg()]


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def cpu_seconds() -> float:
    """User + system CPU of this process (all threads: the loop and the database thread)."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


class PeakRss:
    """Samples this process's RSS on a thread every ``period`` seconds and keeps the peak."""

    def __init__(self, period: float = 0.2) -> None:
        self.period = period
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)
        self._process = psutil.Process()

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self._sample()


# --- simulated accounts ----------------------------------------------------------------------


@dataclass(frozen=True)
class BenchAccount:
    """One simulated account: where it lives, its (simulator-only) key and its book."""

    venue: str
    api_key: str
    secret: str
    at_risk: bool
    state: dict[str, Any] = field(hash=False)


# Simulator prices of the coins a bench account can hold (each position is worth 30,000 USD).
COIN_PRICES = {"BTC": 60_000.0, "ETH": 3_000.0}


def bench_account(
    index: int,
    venues: tuple[str, ...] = BENCH_VENUES,
    *,
    at_risk: bool | None = None,
    coin: str = "BTC",
    prefix: str = "bench",
) -> BenchAccount:
    """Account ``index``: venues round-robin; one in AT_RISK_EVERY is near margin call.

    Each holds 30,000 USD of ``coin``: long on kraken, binanceusdm and bybit, borrowed on
    binance spot margin. ``prefix`` keeps the keys of different populations apart.
    """
    venue = venues[index % len(venues)]
    if at_risk is None:
        at_risk = index % AT_RISK_EVERY == AT_RISK_EVERY - 1
    api_key = f"{prefix}-{venue}-{index}"
    secret = f"{prefix}-secret-{index}"
    price = COIN_PRICES[coin]
    size = 30_000.0 / price
    state: dict[str, Any]
    if venue == "kraken":
        # Kraken secrets are base64; margin level = equity / used margin (call at 0.80).
        secret = base64.b64encode(secret.encode()).decode()
        state = {
            "balances": {"ZUSD": 4_000.0 if at_risk else 10_000.0},
            "positions": [
                {
                    "symbol": f"{coin}/USD",
                    "type": "buy",
                    "vol": size,
                    "price": price,
                    "leverage": 5,
                    "time": 1_700_000_000,
                }
            ],
        }
    elif venue == "binanceusdm":
        state = {
            "wallet_balance": 190.0 if at_risk else 2_000.0,
            "positions": [{"symbol": f"{coin}/USDT:USDT", "size": size, "entry_price": price}],
        }
    elif venue == "binance":
        # Spot cross margin: margin level = assets / liabilities (call at 1.3).
        state = {
            "assets": {
                "USDT": {"free": 7_500.0 if at_risk else 12_000.0},
                coin: {"free": 0.0, "borrowed": size / 5},
            }
        }
    elif venue == "bybit":
        state = {
            "coins": {"USDT": 200.0 if at_risk else 3_000.0},
            "positions": [
                {
                    "symbol": f"{coin}/USDT:USDT",
                    "size": size,
                    "entry": price,
                    "side": "Buy",
                    "leverage": 10,
                }
            ],
        }
    else:
        raise ValueError(f"the benchmarks have no account model for {venue!r}")
    return BenchAccount(venue, api_key, secret, at_risk, state)


# Venues whose bench accounts are long (a crash escalates them): alert_latency's measured ones.
LONG_VENUES = ("kraken", "binanceusdm", "bybit")


def population(kind: str, count: int) -> list[BenchAccount]:
    """The accounts of one bench run, the same in the simulator process and the bot process.

    ``capacity``: ``count`` BTC accounts over every bench venue, one in 50 at risk.
    ``venue:V:D``: ``count`` BTC accounts on venue V only, one in D at risk.
    ``latency:M``: M calm BTC accounts on the long venues (the measured ones) followed by
    ``count`` calm ETH accounts over every venue (background load a BTC move leaves alone).
    """
    if kind == "capacity":
        return [bench_account(index) for index in range(count)]
    if kind.startswith("venue:"):
        # ``venue:V:D``: ``count`` accounts on venue V alone, one in D at risk (venue_limits).
        _, venue, every = kind.split(":")
        return [
            bench_account(i, (venue,), at_risk=i % int(every) == int(every) - 1, prefix="lim")
            for i in range(count)
        ]
    name, _, measured = kind.partition(":")
    if name != "latency" or not measured.isdigit():
        raise ValueError(f"unknown bench population {kind!r}")
    return [
        bench_account(i, LONG_VENUES, at_risk=False, prefix="lat") for i in range(int(measured))
    ] + [bench_account(i, at_risk=False, coin="ETH", prefix="bg") for i in range(count)]


def seed_accounts(
    tx: Tx,
    accounts: list[BenchAccount],
    *,
    now: float,
    first_poll: float,
    spread: float,
    platform: str = "bench",
    first_chat: int = 0,
) -> list[int]:
    """Write users, accounts (credentials encrypted by the vault) and a DM subscription each.

    Rows go through the store's repositories in one transaction rather than N link calls: the
    link path checks each key at the exchange, which is what the bench must not wait for. Poll
    times are spread evenly over ``spread`` seconds from ``first_poll``, as a running bot's are.
    """
    from bot.store import AccountSecrets, Destination

    ids = []
    for index, spec in enumerate(accounts):
        user = tx.users.ensure(platform, str(index), now=now, display_name=f"trader {index}")
        account = tx.accounts.add(
            user.id,
            spec.venue,
            "main",
            AccountSecrets(api_key=spec.api_key, secret=spec.secret),
            now=now,
            next_poll_at=first_poll + spread * index / max(len(accounts), 1),
        )
        chat = str(first_chat + index)
        tx.subscriptions.add(account.id, Destination(platform, chat, is_dm=True), now=now)
        ids.append(account.id)
    return ids


# --- instrumented parts ----------------------------------------------------------------------


class TimedStore(Store):
    """The real store, also adding up the time its database thread spends in transactions."""

    busy_seconds = 0.0
    busy_cpu_seconds = 0.0
    transactions = 0

    def _in_transaction(self, fn: Callable[[Tx], T], write: bool) -> T:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return super()._in_transaction(fn, write)
        finally:
            self.busy_seconds += time.perf_counter() - started
            self.busy_cpu_seconds += time.thread_time() - cpu
            self.transactions += 1


class LagRecorder:
    """Wraps a snapshot source: each read is a poll start; its lag is now − the account's due time.

    Both times are the monitor's own clock, so lag means "late by the monitor's schedule".
    """

    def __init__(self, source: Any, clock: Clock) -> None:
        self._source = source
        self._clock = clock
        self.lags: list[float] = []
        self.reads = 0
        self.failures = 0
        self.failure_states: Counter[str] = Counter()
        self.deferred = 0  # reads the venue's limits put off (no failure: nothing was sent)
        self.recording = True

    async def read(self, account: Account) -> AccountRead:
        lag = None
        if self.recording and account.next_poll_at is not None:
            lag = max(0.0, self._clock.now() - account.next_poll_at)
        try:
            result = await self._source.read(account)
        except ReadDeferred:
            # The venue's limits put the read off: nothing was sent, it is no poll (yet).
            self.deferred += 1
            raise
        except Exception as exc:
            self.failures += 1
            # The read state ("rate_limited", "auth_failed"...) or the type: never the text.
            self.failure_states[str(getattr(exc, "state", type(exc).__name__))] += 1
            self._count(lag)
            raise
        self._count(lag)
        return result

    def _count(self, lag: float | None) -> None:
        self.reads += 1
        if lag is not None:
            self.lags.append(lag)


class CountingTransport:
    """A chat platform that accepts everything instantly (delivery is alert_latency's subject)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, destination: object, message: object, key: str = "") -> None:
        self.sent += 1


def with_presenter(cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Add core's presenter when ``cls`` takes one (the monitor is being decoupled from core)."""
    if "presenter" in inspect.signature(cls).parameters and "presenter" not in kwargs:
        from bot.core.presenter import CorePresenter  # type: ignore[import-not-found]

        return {**kwargs, "presenter": CorePresenter()}
    return kwargs


class SteadyMonitor(Monitor):
    """The production monitor, started in its steady state: accounts keep their spread poll times.

    ``Monitor.start`` makes every account due at once (the start-up re-check); measured at 10,000
    accounts that is a one-off burst, not the schedule the monitor keeps afterwards.
    """

    async def recheck_all(self) -> int:
        return 0


def build_monitor(
    store: Store, source: Any, transports: Any, *, steady: bool = True, **kwargs: Any
) -> Monitor:
    """The production Monitor; ``steady=False`` keeps its start-up re-check of every account."""
    cls = SteadyMonitor if steady else Monitor
    return cls(store, source, transports, **with_presenter(Monitor, kwargs))


async def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.005) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(step)
    return True
