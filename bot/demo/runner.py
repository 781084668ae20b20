"""The demo's composition: simulator, store, hub, core, monitor and the console, wired as in
production, and the scripted market that drives them.

One clock tells the story. The market's steps and the monitor's polls, alert reminders and
snoozes all read the same simulated clock, which only the market moves: each step sets the
prices, then the clock runs through the step's simulated seconds, polling every account when it
is due (as the real scheduler would) and delivering what the polls queued. Real time only paces
what is printed, so the same scenario tells the same story, alert for alert, at every
``--speed``; a fast machine and a slow one differ only in how long the pauses are.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from bot.chat.console import ConsoleTransport, render
from bot.core.identity import Caller
from bot.core.messages import Message, Refusal
from bot.core.presenter import CorePresenter
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, Budget, ExchangeHub
from bot.exchanges.budget import FollowingClock
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import Transports
from bot.sim import Simulator
from bot.sim.accounts import SimulatedAccount
from bot.store import Store
from bot.store.vault import Vault, generate_key

from .scenario import DemoScenario

# Accounts are first polled this many simulated seconds apart, as a real schedule spreads them:
# alerts of one instant then arrive in a fixed order, not in the order the exchanges answered.
STAGGER_SECONDS = 1.0
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


class DemoRunner:
    """Runs one demo; ``run()`` returns the exit status, ``close()`` stops everything."""

    def __init__(
        self,
        scenario: DemoScenario,
        *,
        speed: float,
        seconds: float | None,
        out_dir: Path,
        colour: bool,
        metrics_port: int | None,
        stream: TextIO,
    ) -> None:
        self.scenario = scenario
        self.speed = speed
        self.seconds = seconds
        self.out_dir = out_dir
        self.colour = colour
        self.metrics_port = metrics_port
        self.stream = stream
        self.alerts: Counter[str] = Counter()
        self.caller = Caller(
            platform="console",
            user_id="demo-trader",
            chat_id="demo-trader",
            is_private_chat=True,
            display_name="demo trader",
        )
        self._closers: list[Any] = []
        self.labels: list[str] = []
        self.clock = ManualClock(start=time.time())
        self._store: Store | None = None
        self._monitor: Monitor | None = None
        self._core: Core | None = None
        self._refused = False
        self._steps_done = 0
        self._opened: list[SimulatedAccount] = []

    # --- output -------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def show(self, msg: Message) -> None:
        self.say(render(msg, colour=self.colour))
        self.say()

    def _delivered(self, _destination: object, msg: Message) -> None:
        self.alerts[msg.severity] += 1

    # --- the run ------------------------------------------------------------------------------

    async def run(self) -> int:
        started = time.monotonic()
        deadline = started + self.seconds if self.seconds is not None else None
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                await self._play()
        except TimeoutError:
            steps = len(self.scenario.steps)
            self.say(f"(--seconds reached after {self._steps_done} of {steps} market steps)")
        if self._core is not None:
            await self._summary(self._core)
        await self.close()
        self.say(
            f"\nDone in {time.monotonic() - started:.0f} s. Alerts delivered: "
            + ", ".join(f"{n} {sev}" for sev, n in sorted(self.alerts.items()))
        )
        self.say(f"Charts and the demo database are in {self.out_dir}")
        return 1 if self._refused else 0

    async def _play(self) -> None:
        """Link the accounts, then play the market step by step."""
        step_seconds = self.scenario.step_seconds
        clock = self.clock
        self.say(
            "marginwatch demo: a local exchange simulator, a temporary database, and your "
            "terminal as the alert chat."
        )
        self.say(
            f"Time runs {self.speed:g}x faster: one market step is {step_seconds:g} "
            f"simulated seconds. Ctrl-C stops it.\n"
        )

        # Each run starts afresh: an earlier run's database (--out reused) was encrypted under
        # that run's throwaway master key.
        database = self.out_dir / "demo.db"
        for leftover in (database, *(database.with_name(f"demo.db{s}") for s in SQLITE_SIDECARS)):
            leftover.unlink(missing_ok=True)
        store = await Store.open(database, Vault.from_strings([generate_key()]))
        self._closers.append(store.close)
        sim, self._opened = self.scenario.simulator()
        # The venues' limits, the simulator's and the hub's budget alike, run on the story's
        # clock: the same limits as in real time, whatever the speed.
        sim.limits.clock = clock.now
        await sim.start()
        self._closers.append(sim.stop)
        hub = ExchangeHub(base_urls=sim.base_urls, budget=Budget(clock=FollowingClock(clock)))
        self._closers.append(hub.close)
        core = Core(store, hub, SUPPORTED_VENUES, clock=clock.now)
        transports = Transports()
        transports.register(
            "console",
            ConsoleTransport(self.stream, colour=self.colour, on_delivered=self._delivered),
        )
        # The monitor's own scheduler is not started: the market's clock drives it (_advance).
        monitor = Monitor(
            store,
            HubSource(store, hub),
            transports,
            presenter=CorePresenter(),
            clock=clock,
        )
        self._store, self._monitor = store, monitor
        await self._start_metrics(store, monitor)

        if not await self._link_accounts(core):
            self._refused = True
            return
        self._core = core
        self._closers.insert(0, monitor.stop)
        await self._schedule_first_polls()

        pace = step_seconds / self.speed
        played_from = time.monotonic()
        for index, step in enumerate(self.scenario.steps):
            # Real time paces the output only; being behind (a slow machine) skips the pause.
            await asyncio.sleep(max(0.0, played_from + index * pace - time.monotonic()))
            if step.get("phase"):
                if index:
                    await self._status_cards(core)
                self.say(f"=== market: {step['phase']} ===")
            sim.step()
            self.say(f"    {self._prices(sim)}")
            await self._advance(step_seconds)
            self._steps_done = index + 1
        # The last step lasts its time too, as every other step did.
        steps = len(self.scenario.steps)
        await asyncio.sleep(max(0.0, played_from + steps * pace - time.monotonic()))

    async def _schedule_first_polls(self) -> None:
        """Every account due now, one STAGGER_SECONDS after the other, in the order linked."""
        assert self._store is not None
        start = self.clock.now()
        accounts = await self._store.all_accounts("active")

        def work(tx: Any) -> None:
            for offset, account in enumerate(sorted(accounts, key=lambda a: a.id)):
                tx.accounts.schedule(account.id, start + offset * STAGGER_SECONDS)

        await self._store.run(work)

    async def _advance(self, seconds: float) -> None:
        """Run the simulated clock ``seconds`` forward, polling each account when it is due and
        delivering what its poll queued before the clock moves on."""
        assert self._store is not None and self._monitor is not None
        end = self.clock.now() + seconds
        while True:
            await self._monitor.run_until_idle()
            due = await self._store.read(lambda tx: tx.accounts.next_due_at())
            if due is None or due >= end:
                break
            # Something still due now (a poll that failed and retries at once) must not spin.
            self.clock.advance(max(due - self.clock.now(), 0.001))
        self.clock.advance(end - self.clock.now())

    async def close(self) -> None:
        """Stop the monitor, then the exchange side, then the store: the shutdown order."""
        while self._closers:
            closer = self._closers.pop(0)
            try:
                await closer()
            except Exception as exc:  # a demo must always release the terminal
                self.say(f"(while shutting down: {type(exc).__name__})")

    # --- steps --------------------------------------------------------------------------------

    async def _link_accounts(self, core: Core) -> bool:
        self.say("Linking the demo accounts (key check, encryption, first read):\n")
        alerts = self.scenario.alerts
        for account in self._opened:
            credentials = (
                {"wallet_address": account.key}
                if account.uses_address
                else {"api_key": account.key, "secret": account.secret}
            )
            if account.passphrase:
                credentials["passphrase"] = account.passphrase
            try:
                card = await core.link(
                    self.caller, account.venue, account.label, credentials=credentials
                )
            except Refusal as refusal:
                self.show(refusal.to_message())
                return False
            self.show(card)
            self.labels.append(account.label)
            if alerts:
                self.show(
                    await core.run(self.caller, "alerts", {"account": account.label, **alerts})
                )
        return True

    async def _status_cards(self, core: Core) -> None:
        for label in self.labels:
            self.show(await core.run(self.caller, "status", {"account": label}))

    async def _summary(self, core: Core) -> None:
        self.say("=== liquidation-price summary ===")
        for label in self.labels:
            self.show(await core.run(self.caller, "positions", {"account": label}))
        for label in self.labels:
            chart = await core.run(self.caller, "chart", {"account": label, "days": "1"})
            if chart.image is None:
                self.show(chart)
                continue
            path = self.out_dir / chart.image.filename
            try:
                path.write_bytes(chart.image.data)
            except OSError as exc:
                self.say(f"(chart of {label} not written to {path}: {exc.strerror or exc})")
                continue
            self.say(f"chart of {label}'s margin health: {path}")

    @staticmethod
    def _prices(sim: Simulator) -> str:
        seen: dict[str, float] = {}
        for venue in sim.base_urls:
            for symbol, price in sim.venue(venue).prices.items():
                base = symbol.split("/")[0]
                if base in ("BTC", "ETH") and base not in seen:
                    seen[base] = price
        return "  ".join(f"{base} {price:,.0f}" for base, price in sorted(seen.items()))

    async def _start_metrics(self, store: Store, monitor: Monitor) -> None:
        if self.metrics_port is None:
            return
        from bot.ops import start_ops_server

        try:
            server = await start_ops_server(port=self.metrics_port, store=store, monitor=monitor)
        except OSError as exc:
            self.say(f"(metrics not served: port {self.metrics_port}: {exc.strerror or exc})")
            return
        self._closers.append(server.stop)
        self.say(f"metrics: {server.url}/metrics  health: {server.url}/healthz\n")


def _loop_time(deadline: float | None) -> float | None:
    """A ``time.monotonic()`` deadline on the running loop's clock, for ``asyncio.timeout_at``."""
    if deadline is None:
        return None
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())
