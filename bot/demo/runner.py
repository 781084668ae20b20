"""The demo's composition: simulator, store, hub, core, monitor and the console, wired as in
production, and the scripted market that drives them."""

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
from bot.monitor.clock import AcceleratedClock
from bot.monitor.scheduler import Monitor
from bot.monitor.source import HubSource
from bot.monitor.transport import Transports
from bot.sim import Simulator
from bot.store import Store
from bot.store.vault import Vault, generate_key

# After the last step: let the monitor take a few more polls so the last alerts arrive.
SETTLE_POLLS = 3


class DemoRunner:
    """Runs one demo; ``run()`` returns the exit status, ``close()`` stops everything."""

    def __init__(
        self,
        scenario: dict[str, Any],
        *,
        speed: float,
        seconds: float | None,
        out_dir: Path,
        colour: bool,
        metrics_port: int | None,
        stream: TextIO,
    ) -> None:
        self.scenario = scenario
        self.demo: dict[str, Any] = scenario["demo"]
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
        step_seconds = float(self.demo.get("step_seconds", 60))
        clock = AcceleratedClock(self.speed)
        self.say(
            "marginwatch demo: a local exchange simulator, a temporary database, and your "
            "terminal as the alert chat."
        )
        self.say(
            f"Time runs {self.speed:g}x faster: one market step is {step_seconds:g} "
            f"simulated seconds. Ctrl-C stops it.\n"
        )

        self.out_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(self.out_dir / "demo.db", Vault.from_strings([generate_key()]))
        self._closers.append(store.close)
        # The venues' limits run at the demo's speed in the simulator and in the hub's budget,
        # as its clock does: the same story as real time, only faster.
        sim = Simulator(self.scenario, limits_speed=self.speed)
        await sim.start()
        self._closers.append(sim.stop)
        hub = ExchangeHub(base_urls=sim.base_urls, budget=Budget(speed=self.speed))
        self._closers.append(hub.close)
        core = Core(store, hub, SUPPORTED_VENUES, clock=clock.now)
        transports = Transports()
        transports.register(
            "console",
            ConsoleTransport(self.stream, colour=self.colour, on_delivered=self._delivered),
        )
        monitor = Monitor(
            store,
            HubSource(store, hub),
            transports,
            presenter=CorePresenter(),
            clock=clock,
            tick_seconds=max(0.25, min(1.0, 5.0 / self.speed)),
        )
        await self._start_metrics(store, monitor)

        if not await self._link_accounts(core):
            await self.close()
            return 1
        await monitor.start()
        self._closers.insert(0, monitor.stop)

        steps = list(sim.scenario.steps)
        for index, step in enumerate(steps):
            if deadline is not None and time.monotonic() >= deadline:
                self.say(f"(--seconds reached after {index} of {len(steps)} market steps)")
                break
            await asyncio.sleep(step_seconds / self.speed)
            if "phase" in step:
                if index:
                    await self._status_cards(core)
                self.say(f"=== market: {step['phase']} ===")
            sim.step()
            self.say(f"    {self._prices(sim)}")
        await asyncio.sleep(SETTLE_POLLS * 10.0 / self.speed)
        await monitor.deliver()

        await self._summary(core)
        await self.close()
        self.say(
            f"\nDone in {time.monotonic() - started:.0f} s. Alerts delivered: "
            + ", ".join(f"{n} {sev}" for sev, n in sorted(self.alerts.items()))
        )
        self.say(f"Charts and the demo database are in {self.out_dir}")
        return 0

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
        alerts = self.demo.get("alerts") or {}
        for account in self.demo["accounts"]:
            credentials = {
                k: account.get(k)
                for k in ("api_key", "secret", "passphrase", "wallet_address")
                if account.get(k)
            }
            try:
                card = await core.link(
                    self.caller, account["venue"], account.get("label"), credentials=credentials
                )
            except Refusal as refusal:
                self.show(refusal.to_message())
                return False
            self.show(card)
            label = account.get("label") or account["venue"]
            self.labels.append(label)
            if alerts:
                self.show(await core.run(self.caller, "alerts", {"account": label, **alerts}))
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
            path.write_bytes(chart.image.data)
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
