"""Soak: the whole product on an accelerated clock with random exchange and chat faults.

    python bench/soak.py                 # 30 simulated minutes, a table
    python bench/soak.py --json          # one JSON object
    python bench/soak.py --quick         # 4 simulated minutes (CI)
    python bench/soak.py --minutes 120 --speed 120 --seed 3

Real parts: the exchange simulator over HTTP, ccxt through the hub, SQLite in a temporary folder,
core linking the accounts, the monitor on its APScheduler tick with an AcceleratedClock, the
outbox and core's presenter. Only the chat is a stand-in: a transport that fails at random (a
429 with retry_after, a dropped connection, an outage window) and records each alert it accepts
by its idempotency key. Prices follow a seeded random walk; faults are drawn from the same seed.

After the run, faults stop and the outbox drains. ``alerts_expected`` is every alert the monitor
queued (outbox rows); ``alerts_delivered`` the distinct alerts the chat accepted; they must be
equal, and ``duplicates`` (alerts accepted more than once) must be 0. ``rss_growth_mb`` is the
process's resident memory after the run minus after the warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import load_average, rss_mb
from bot.core.identity import Caller
from bot.core.presenter import CorePresenter
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, Budget, ExchangeHub
from bot.exchanges.types import AccountRead
from bot.monitor.clock import AcceleratedClock
from bot.monitor.policy import AlertEvent
from bot.monitor.presenter import DigestFacts, Payload
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import DeliveryRetry, Destination, Transports
from bot.sim import Simulator
from bot.store import Account, Store, Vault, generate_key
from bot.store import Destination as StoredDestination

# The monitor logs every failed read and delivery: expected here by the hundred.
logging.getLogger("bot").setLevel(logging.CRITICAL)
logging.getLogger("apscheduler").setLevel(logging.ERROR)

KRAKEN_SECRET = "c29hay10ZXN0LWtyYWtlbi1zZWNyZXQ="
ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "venue": "kraken",
        "label": "spot",
        "owner": "trader-1",
        "state": {
            "api_key": "soak-kraken",
            "secret": KRAKEN_SECRET,
            "balances": {"ZUSD": 10000.0},
            "positions": [
                {"symbol": "BTC/USD", "vol": 0.6, "price": 60000.0, "type": "buy", "leverage": 5}
            ],
        },
    },
    {
        "venue": "binanceusdm",
        "label": "futures",
        "owner": "trader-1",
        "state": {
            "api_key": "soak-usdm",
            "secret": "soak-usdm-secret",
            "wallet_balance": 1535443.01,
            "positions": [
                {"symbol": "ETH/USDT:USDT", "size": 3683.979, "entry_price": 1456.84},
                {"symbol": "BTC/USDT:USDT", "size": 109.488, "entry_price": 32481.98},
            ],
        },
    },
    {
        "venue": "bybit",
        "label": "perps",
        "owner": "trader-2",
        "state": {
            "api_key": "soak-bybit",
            "secret": "soak-bybit-secret",
            "coins": {"USDT": 3000.0},
            "positions": [
                {
                    "symbol": "BTC/USDT:USDT",
                    "size": 0.5,
                    "entry": 60000.0,
                    "side": "Buy",
                    "leverage": 10,
                }
            ],
        },
    },
)
PRICES = {
    "kraken": {"BTC/USD": 60000.0},
    "binanceusdm": {"ETH/USDT": 1335.18, "BTC/USDT": 31967.27},
    "bybit": {"BTC/USDT:USDT": 60000.0, "BTC/USDT": 60000.0},
}
# Transient exchange faults (a revoked key would end the soak for that account).
EXCHANGE_FAULTS = ("rate_limit", "timeout", "server_error", "maintenance", "malformed_json")
SHARED_CHAT = "desk-channel"
KEY_FIELD = "_soak_key"  # carried in a payload from render_alert to the transport


@dataclass(frozen=True)
class Delivery:
    """What the soak presenter hands the transport: core's message and the alerts it holds."""

    message: Any
    keys: tuple[str, ...]


class KeyedPresenter:
    """Core's presenter, with each alert's idempotency key carried to the transport."""

    def __init__(self) -> None:
        self.inner = CorePresenter()

    def render_alert(
        self, event: AlertEvent, share: str, *, owner: str, owner_id: str = ""
    ) -> Payload:
        return {
            **self.inner.render_alert(event, share, owner=owner, owner_id=owner_id),
            KEY_FIELD: event.idempotency_key,
        }

    def render_digest(self, facts: DigestFacts) -> Payload:
        return self.inner.render_digest(facts)

    def render_destination_gone(self, label: str, platform: str, reason: str) -> Payload:
        return self.inner.render_destination_gone(label, platform, reason)

    def render_undelivered(self, label: str, platform: str, count: int, max_age: float) -> Payload:
        return self.inner.render_undelivered(label, platform, count, max_age)

    def render_refused(self, label: str, platform: str, refused: Payload) -> Payload:
        return self.inner.render_refused(label, platform, refused)

    def deliverable(self, payloads: Sequence[Payload]) -> Delivery:
        keys = tuple(str(p.get(KEY_FIELD, "")) for p in payloads)
        plain = [{k: v for k, v in p.items() if k != KEY_FIELD} for p in payloads]
        return Delivery(self.inner.deliverable(plain), keys)


@dataclass
class FlakyChat:
    """A chat platform that fails at random and goes down for whole windows."""

    rng: random.Random
    clock: AcceleratedClock
    failure_rate: float
    faults: Counter[str] = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    down_until: float = 0.0
    calm: bool = False  # after the run: no more faults, let the outbox drain

    async def send(self, destination: Destination, delivery: Delivery, key: str = "") -> None:
        now = self.clock.now()
        if not self.calm:
            if now < self.down_until:
                raise ConnectionError("chat API down (soak outage)")
            roll = self.rng.random()
            if roll < self.failure_rate / 20:
                self.faults["chat_outage"] += 1
                self.down_until = now + self.rng.uniform(60, 300)
                raise ConnectionError("chat API down (soak outage)")
            if roll < self.failure_rate / 2:
                self.faults["chat_429"] += 1
                raise DeliveryRetry(self.rng.uniform(1, 30))
            if roll < self.failure_rate:
                self.faults["chat_connection"] += 1
                raise ConnectionError("connection reset (soak)")
        self.accepted.extend(delivery.keys)


class CountingSource:
    """The production source, counting reads and failed reads."""

    def __init__(self, inner: HubSource) -> None:
        self.inner = inner
        self.polls = 0
        self.failures = 0

    async def read(self, account: Account) -> AccountRead:
        self.polls += 1
        try:
            return await self.inner.read(account)
        except Exception:
            self.failures += 1
            raise


async def soak(
    minutes: float, speed: float, seed: int, exchange_fault_rate: float, chat_failure_rate: float
) -> dict[str, Any]:
    rng = random.Random(seed)
    load_before = load_average()
    scenario = {"venues": {venue: {"prices": prices} for venue, prices in PRICES.items()}}
    clock = AcceleratedClock(speed)
    with tempfile.TemporaryDirectory(prefix="marginwatch-soak-") as folder:
        # The venues' limits run at the clock's speed in the simulator and in the hub's budget.
        async with Simulator(scenario, timeout_fault_seconds=0.5, limits_speed=speed) as sim:
            for spec in ACCOUNTS:
                state = dict(spec["state"])
                sim.add_account(
                    spec["venue"], api_key=state.pop("api_key"), secret=state.pop("secret"), **state
                )
            hub = ExchangeHub(
                base_urls=sim.base_urls,
                timeout_ms=300,
                backoff_base=0.2,
                backoff_cap=2.0,
                budget=Budget(speed=speed),
            )
            store = await Store.open(Path(folder) / "soak.db", Vault.from_strings([generate_key()]))
            try:
                return await _run(
                    sim,
                    hub,
                    store,
                    clock,
                    rng,
                    minutes,
                    speed,
                    seed,
                    exchange_fault_rate,
                    chat_failure_rate,
                    load_before,
                )
            finally:
                await hub.close()
                await store.close()


async def _run(
    sim: Simulator,
    hub: ExchangeHub,
    store: Store,
    clock: AcceleratedClock,
    rng: random.Random,
    minutes: float,
    speed: float,
    seed: int,
    exchange_fault_rate: float,
    chat_failure_rate: float,
    load_before: list[float],
) -> dict[str, Any]:
    core = Core(store, hub, SUPPORTED_VENUES, clock=clock.now)
    for spec in ACCOUNTS:
        owner = Caller(
            platform="console",
            user_id=spec["owner"],
            chat_id=spec["owner"],
            is_private_chat=True,
            display_name=spec["owner"],
        )
        credentials = {"api_key": spec["state"]["api_key"], "secret": spec["state"]["secret"]}
        await core.link(owner, spec["venue"], spec["label"], credentials=credentials)
    for account in await store.all_accounts():  # every account also alerts a shared channel
        await store.add_subscription(
            account.id, StoredDestination("console", SHARED_CHAT), now=clock.now(), share="ratio"
        )
    chat = FlakyChat(random.Random(rng.random()), clock, chat_failure_rate)
    transports = Transports()
    transports.register("console", chat)
    source = CountingSource(HubSource(store, hub))
    monitor = Monitor(
        store,
        source,
        transports,
        presenter=KeyedPresenter(),
        clock=clock,
        tick_seconds=max(0.1, min(1.0, 10.0 / speed)),
    )
    faults: Counter[str] = Counter()
    await monitor.start()
    await asyncio.sleep(2 * 60 / speed)  # warm-up: first polls, markets loaded
    rss_start = rss_mb()
    started = time.monotonic()
    step_seconds = 15.0  # simulated seconds between market moves and fault draws
    steps = int(minutes * 60 / step_seconds)
    for step in range(steps):
        # A random walk with a slow swing, so accounts cross levels both ways.
        swing = -0.004 if (step // 40) % 2 == 0 else 0.004
        for venue in PRICES:
            sim.move_prices(max(0.5, 1 + swing + rng.gauss(0, 0.006)), venue)
        if rng.random() < exchange_fault_rate:
            venue = rng.choice(sorted(PRICES))
            kind = rng.choice(EXCHANGE_FAULTS)
            sim.inject_fault(
                venue,
                kind,
                count=rng.randint(1, 4),
                retry_after=0.2 if kind == "rate_limit" else None,
            )
            faults[f"exchange_{kind}"] += 1
        await asyncio.sleep(step_seconds / speed)
    # The run is over: no more faults; the outbox must drain completely.
    sim.clear_faults()
    chat.calm = True
    drained_within = None
    for _ in range(int(20 * 60 / step_seconds)):  # up to 20 simulated minutes
        await asyncio.sleep(step_seconds / speed)
        if not await store.outbox_depth():
            drained_within = round(clock.now(), 0)
            break
    await monitor.stop()
    expected = await store.read(
        lambda tx: [
            row[0]
            for row in tx.db.execute(
                "select idempotency_key from outbox where status != 'dropped'"
            ).fetchall()
        ]
    )
    pending = await store.outbox_depth()
    delivered = Counter(chat.accepted)
    faults.update(chat.faults)
    return {
        "simulated_minutes": minutes,
        "speed": speed,
        "limits": "on (the venues' limits at the clock's speed)",
        "seed": seed,
        "accounts": len(ACCOUNTS),
        "polls": source.polls,
        "failed_reads": source.failures,
        "faults": sum(faults.values()),
        "faults_by_kind": dict(sorted(faults.items())),
        "alerts_expected": len(set(expected)),
        "alerts_delivered": len(delivered),
        "alerts_not_queued_but_delivered": len(set(delivered) - set(expected)),
        "duplicates": sum(n - 1 for n in delivered.values()),
        "pending_after_drain": pending,
        "drained": drained_within is not None,
        "rss_start_mb": round(rss_start, 1),
        "rss_growth_mb": round(rss_mb() - rss_start, 1),
        "real_seconds": round(time.monotonic() - started, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def table(result: Mapping[str, Any]) -> str:
    rows = [
        ("simulated minutes", result["simulated_minutes"]),
        ("speed / seed", f"{result['speed']:g}x / {result['seed']}"),
        ("accounts", result["accounts"]),
        ("polls (failed reads)", f"{result['polls']} ({result['failed_reads']})"),
        ("faults injected", result["faults"]),
        *((f"  {kind}", n) for kind, n in result["faults_by_kind"].items()),
        ("alerts expected", result["alerts_expected"]),
        ("alerts delivered", result["alerts_delivered"]),
        ("duplicates", result["duplicates"]),
        ("pending after drain", result["pending_after_drain"]),
        ("RSS growth (MB)", f"{result['rss_growth_mb']} (from {result['rss_start_mb']})"),
        ("real seconds", result["real_seconds"]),
        (
            "load average before/after",
            f"{result['load_average_before']} / {result['load_average_after']}",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="simulated minutes")
    parser.add_argument("--speed", type=float, default=60.0, help="clock acceleration")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--exchange-fault-rate",
        type=float,
        default=0.15,
        help="chance of an exchange fault per 15 simulated seconds",
    )
    parser.add_argument(
        "--chat-failure-rate", type=float, default=0.3, help="chance a delivery attempt fails"
    )
    parser.add_argument("--quick", action="store_true", help="4 simulated minutes at 120x")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    minutes, speed = (4.0, 120.0) if args.quick else (args.minutes, args.speed)
    result = asyncio.run(
        soak(minutes, speed, args.seed, args.exchange_fault_rate, args.chat_failure_rate)
    )
    print(json.dumps(result) if args.json else table(result))
    ok = (
        result["alerts_expected"] == result["alerts_delivered"]
        and result["duplicates"] == 0
        and result["alerts_not_queued_but_delivered"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
