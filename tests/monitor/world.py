"""A small world for monitor tests: a real store, a scripted exchange, a recording chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.core.messages import Message
from bot.core.presenter import CorePresenter
from bot.exchanges import ExchangeHub
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.types import AccountRead
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import Destination as DestinationLike
from bot.monitor.transport import Transports
from bot.sim import Simulator
from bot.store import Account, AccountSecrets, Destination, Store, Subscription
from risk.model import AccountSnapshot, Position
from tests.support.limits import limits_on

BTC = "BTC/USDT:USDT"


def binance_snapshot(margin_ratio: float, symbols: tuple[str, ...] = (BTC,)) -> AccountSnapshot:
    """A Binance USDⓈ-M account whose margin ratio is ``margin_ratio`` (0.85 = margin call).

    One unlevered-looking position per symbol at a 25 % maintenance rate keeps the move to
    liquidation wide enough that 0.85 is a margin call and only ~0.95 is within 5 % of it.
    """
    positions = tuple(
        Position(
            symbol=s,
            kind="linear",
            size=1.0,
            entry_price=50_000.0,
            mark_price=50_000.0,
            maintenance_rate=0.25,
        )
        for s in symbols
    )
    maintenance = 50_000.0 * 0.25 * len(symbols)
    wallet = maintenance / margin_ratio if symbols else 1_000.0
    return AccountSnapshot(
        venue="binanceusdm", settle="USDT", wallet_balance=wallet, positions=positions
    )


Script = AccountSnapshot | ExchangeReadError | Callable[[], AccountSnapshot]


class ScriptedExchange:
    """The in-process SnapshotSource: each account reads whatever the test set for it last."""

    def __init__(self) -> None:
        self.now: dict[int, Script] = {}
        self.reads: list[int] = []
        self.active: dict[str, int] = {}
        self.most_active: dict[str, int] = {}
        self.gate: asyncio.Event | None = None  # when set, reads wait for it

    def set(self, account: Account, script: Script) -> None:
        self.now[account.id] = script

    async def read(self, account: Account) -> AccountRead:
        self.reads.append(account.id)
        venue = account.venue
        self.active[venue] = self.active.get(venue, 0) + 1
        self.most_active[venue] = max(self.most_active.get(venue, 0), self.active[venue])
        try:
            if self.gate is not None:
                await self.gate.wait()
            script = self.now[account.id]
            if isinstance(script, ExchangeReadError):
                raise script
            snapshot = script() if callable(script) else script
            return AccountRead(snapshot=snapshot)
        finally:
            self.active[venue] -= 1


@dataclass
class RecordingChat:
    """A Transport that records what it was asked to send; ``failures`` are raised first."""

    sent: list[tuple[DestinationLike, Message]] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # every send's key, failed ones too

    async def send(self, destination: DestinationLike, message: Message, key: str = "") -> None:
        self.keys.append(key)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((destination, message))

    @property
    def titles(self) -> list[str]:
        return [message.title for _, message in self.sent]


async def link(
    store: Store,
    now: float,
    *,
    label: str = "main",
    venue: str = "binanceusdm",
    chat: str = "1001",
    owner: str = "42",
    dm: bool = True,
    share: str = "none",
) -> tuple[Account, Subscription]:
    """An owner with one account whose alerts go to ``chat`` (a private chat by default)."""
    user = await store.ensure_user("console", owner, now=now)
    account = await store.add_account(
        user.id, venue, label, AccountSecrets(api_key="k", secret="s"), now=now, next_poll_at=now
    )
    subscription = await store.add_subscription(
        account.id, Destination("console", chat, is_dm=dm), now=now, share=share
    )
    return account, subscription


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the real scheduler run until ``predicate`` holds (fails the test on timeout)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@asynccontextmanager
async def monitored_on_simulator(
    store: Store,
    clock: ManualClock,
    sim: Simulator,
    venue: str,
    label: str,
    secrets: AccountSecrets,
) -> AsyncIterator[tuple[Monitor, RecordingChat, Account, ExchangeHub]]:
    """The production read path under a monitor: one account on ``venue`` of ``sim``, read
    through a real hub (the venues' limits on the test's clock, no back-off), alerts to a
    recording console DM."""
    hub = ExchangeHub(
        base_urls=sim.base_urls,
        timeout_ms=3000,
        budget=limits_on(clock, sim),
        backoff_base=0.0,
    )
    async with hub:
        user = await store.ensure_user("console", "42", now=clock.now())
        account = await store.add_account(
            user.id, venue, label, secrets, now=clock.now(), next_poll_at=clock.now()
        )
        await store.add_subscription(
            account.id, Destination("console", "dm", is_dm=True), now=clock.now()
        )
        chat = RecordingChat()
        transports = Transports()
        transports.register("console", chat)
        monitor = Monitor(
            store, HubSource(store, hub), transports, presenter=CorePresenter(), clock=clock
        )
        yield monitor, chat, account, hub


class TickCount:
    """Counts the monitor's completed ticks as the real scheduler runs them (set up before
    ``start()``, which hands the scheduler the tick): tests wait for beats, not for time."""

    def __init__(self, monitor: Monitor) -> None:
        self.done = 0
        self._changed = asyncio.Condition()
        tick = monitor.tick

        async def counted() -> None:
            await tick()
            async with self._changed:
                self.done += 1
                self._changed.notify_all()

        monitor.tick = counted  # type: ignore[method-assign]

    async def wait_for(self, ticks: int, timeout: float = 5.0) -> None:
        """Return once ``ticks`` ticks have completed in all (fails the test on timeout)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.done >= ticks)
