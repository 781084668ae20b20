"""The whole product on one machine for fault tests: simulator, hub, store, core, monitor, chat."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.identity import Caller
from bot.core.messages import Message
from bot.core.presenter import CorePresenter
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import Destination, Transports
from bot.sim import Simulator
from bot.store import Account, Store, Vault, generate_key
from tests.support.limits import limits_on

USDM_KEY, USDM_SECRET = "rel-usdm-key-0001", "rel-usdm-secret-0001"
# Kraken's simulator checks signatures with a base64 secret.
KRAKEN_KEY, KRAKEN_SECRET = "rel-kraken-key-0001", "c2VjcmV0LXJlbGlhYmlsaXR5LWtyYWtlbg=="

# Binance's published USDⓈ-M example book: healthy, about 7.7 % from liquidation.
USDM_ACCOUNT: dict[str, Any] = {
    "api_key": USDM_KEY,
    "secret": USDM_SECRET,
    "wallet_balance": 1535443.01,
    "positions": [
        {"symbol": "ETH/USDT:USDT", "size": 3683.979, "entry_price": 1456.84},
        {"symbol": "BTC/USDT:USDT", "size": 109.488, "entry_price": 32481.98},
    ],
}
SCENARIO: dict[str, Any] = {
    "venues": {
        "binanceusdm": {
            "prices": {"ETH/USDT": 1335.18, "BTC/USDT": 31967.27},
            "accounts": [USDM_ACCOUNT],
        },
        "kraken": {
            "prices": {"BTC/USD": 60000.0},
            "accounts": [
                {
                    "api_key": KRAKEN_KEY,
                    "secret": KRAKEN_SECRET,
                    "balances": {"ZUSD": 10000.0},
                    "positions": [
                        {
                            "symbol": "BTC/USD",
                            "vol": 0.5,
                            "price": 60000.0,
                            "type": "buy",
                            "leverage": 5,
                        }
                    ],
                }
            ],
        },
    }
}
CREDENTIALS = {
    "binanceusdm": {"api_key": USDM_KEY, "secret": USDM_SECRET},
    "kraken": {"api_key": KRAKEN_KEY, "secret": KRAKEN_SECRET},
}
OWNER = Caller(
    platform="console",
    user_id="trader-1",
    chat_id="trader-1",
    is_private_chat=True,
    display_name="trader",
)


@dataclass
class Inbox:
    """The console transport: what the owner was told, in order."""

    sent: list[tuple[Destination, Message]] = field(default_factory=list)
    failures: int = 0  # the next sends that fail as a dropped connection would

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection reset by the chat platform")
        self.sent.append((destination, message))

    @property
    def titles(self) -> list[str]:
        return [m.title for _, m in self.sent]


@dataclass
class Rig:
    sim: Simulator
    hub: ExchangeHub
    store: Store
    clock: ManualClock
    core: Core
    monitor: Monitor
    inbox: Inbox

    async def link(self, venue: str, label: str) -> Account:
        """Link the simulator's account of ``venue`` through core, as a trader would."""
        await self.core.link(OWNER, venue, label, credentials=CREDENTIALS[venue])
        [account] = [a for a in await self.store.all_accounts() if a.label == label]
        return account

    async def poll(self, seconds: float = 61.0) -> None:
        """Let ``seconds`` of simulated time pass, then run every due poll and delivery."""
        self.clock.advance(seconds)
        await self.monitor.run_until_idle()

    async def account(self, account_id: int) -> Account:
        found = await self.store.get_account(account_id)
        assert found is not None
        return found

    async def history(self, account_id: int) -> int:
        return len(await self.store.health_series(account_id))


@asynccontextmanager
async def product(
    tmp_path: Path, scenario: dict[str, Any] | None = None, *, timeout_fault_seconds: float = 1.0
) -> AsyncIterator[Rig]:
    """Everything real but the exchange (the simulator) and the chat (an inbox)."""
    clock = ManualClock()
    # A deep copy: the simulator keeps the scenario's lists, and tests change positions.
    scenario = copy.deepcopy(scenario or SCENARIO)
    # The rig's clock jumps a minute or ten per poll: the venues' limits, in the simulator and
    # in the hub's budget alike, run on that same clock, so a window has passed between two
    # polls of a test as it would have.
    async with Simulator(scenario, timeout_fault_seconds=timeout_fault_seconds) as sim:
        hub = ExchangeHub(
            base_urls=sim.base_urls,
            timeout_ms=500,
            backoff_base=0.0,
            budget=limits_on(clock, sim),
        )
        async with hub:
            store = await Store.open(tmp_path / "rel.db", Vault.from_strings([generate_key()]))
            try:
                inbox = Inbox()
                transports = Transports()
                transports.register("console", inbox)
                monitor = Monitor(
                    store, HubSource(store, hub), transports, presenter=CorePresenter(), clock=clock
                )
                core = Core(store, hub, SUPPORTED_VENUES, clock=clock.now)
                yield Rig(sim, hub, store, clock, core, monitor, inbox)
            finally:
                await store.close()
