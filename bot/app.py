"""`marginwatch run`: the composition root of the real service, and its orderly shutdown.

One process, one asyncio loop: the monitor's scheduler, the Telegram updater and the Discord
client share it. Any front end that dies takes the whole process down cleanly rather than
leaving the other half running; SIGTERM/SIGINT stop it in the order docs/architecture.md gives:
stop polling and let deliveries in flight finish, stop the chat front ends, close the exchange
sessions, close the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.ops import metrics
from bot.ops.metrics import set_exchange_mode, set_front_end
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("marginwatch.app")

NOTHING_CONFIGURED = """\
marginwatch run: no chat front end is configured.

Set MARGINWATCH_TELEGRAM_TOKEN and/or MARGINWATCH_DISCORD_TOKEN (in the environment or a .env
file; see .env.example), and a master key for stored exchange keys:

    marginwatch keys new        # prints a key; put it in MARGINWATCH_MASTER_KEYS

To see the product work without any of this, run the demo:

    marginwatch demo
"""


class StartupError(Exception):
    """The service cannot start; ``str()`` is one sentence for the operator."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file", default=".env", help="the .env file to read (default: ./.env if it exists)"
    )


def run(args: argparse.Namespace) -> int:
    from bot.settings import unknown_setting_sentences

    # A misspelt setting is often why the next message says something is unset: name it first.
    typos = unknown_setting_sentences(args.env_file)

    def refuse(*problems: str) -> int:
        for line in (*typos, *problems):
            print(f"marginwatch run: {line}", file=sys.stderr)
        return 2

    try:
        settings = load_settings(args.env_file)
    except SettingsError as exc:
        return refuse(*exc.problems)
    if not settings.front_ends():
        refuse()
        print(NOTHING_CONFIGURED, file=sys.stderr)
        return 2
    problems = settings.service_problems()
    if problems:
        return refuse(*problems)
    from bot.logs import setup_logging_from

    setup_logging_from(settings)
    for line in typos:
        # Usually a typo: the setting it was meant to be keeps its default, silently otherwise.
        log.warning("%s", line)
    try:
        return asyncio.run(Service(settings).serve())
    except StartupError as exc:
        print(f"marginwatch run: {exc}", file=sys.stderr)
        return 2


Closer = Callable[[], Awaitable[Any]]
# SIGTERM to exit, whatever is in flight: well inside deploy/marginwatch.service's TimeoutStopSec.
SHUTDOWN_SECONDS = 8.0


class Service:
    """Builds every part from the settings, runs until stopped, then shuts down in order."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop_event = asyncio.Event()
        # Filled as parts start; closed in this order (monitor first, database last).
        self._monitor_stop: Closer | None = None
        self._front_end_stops: list[Closer] = []
        self._late_closers: list[Closer] = []
        self._front_end_tasks: dict[str, asyncio.Task[Any]] = {}

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)
        self._announce_mode()
        try:
            await self._start()
        except Exception:  # release what did start, then report (StartupError: one sentence)
            await self._shutdown()
            raise
        log.info(
            "marginwatch is running (%s; %s mode)",
            ", ".join(self.settings.front_ends()),
            self.settings.exchange_mode,
        )
        stopper = asyncio.create_task(self.stop_event.wait(), name="stop-signal")
        watched = {stopper, *self._front_end_tasks.values()}
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        status = 0
        for name, task in self._front_end_tasks.items():
            if task in done:
                error = task.exception() if not task.cancelled() else None
                log.error(
                    "the %s front end stopped%s; shutting down",
                    name,
                    f": {type(error).__name__}" if error else "",
                )
                status = 1
        stopper.cancel()
        await self._shutdown()
        return status

    def _announce_mode(self) -> None:
        """Say which exchanges are read; outside live mode, mark every message made from here on
        (this task's context, inherited by every task the service starts)."""
        from bot.core import texts
        from bot.core.messages import mark_rehearsal
        from bot.exchanges.factory import mode_of

        mode = mode_of(self.settings)
        if mode.rehearsal:
            mark_rehearsal(texts.MODE_MARKERS[mode.name])
            log.warning("%s; no real account is read", mode.describe())
        else:
            log.info("%s", mode.describe())

    async def _start(self) -> None:
        from bot.core.presenter import CorePresenter
        from bot.core.usecases import Core
        from bot.exchanges import SUPPORTED_VENUES, Budget
        from bot.exchanges.factory import hub_for
        from bot.monitor.due import PollIntervals
        from bot.monitor.scheduler import Monitor
        from bot.monitor.source import HubSource
        from bot.monitor.transport import Transports
        from bot.store import Store, StoreError, VaultError

        settings = self.settings
        try:
            store = await Store.open(settings.database, settings.vault())
        except (StoreError, VaultError) as exc:
            raise StartupError(str(exc)) from None
        self._late_closers.append(store.close)
        hub = hub_for(
            settings,
            budget=Budget(reserve=settings.limits_reserve),
            proxies=settings.egress_proxy_list(),
        )
        self._late_closers.insert(0, hub.close)
        core = Core(store, hub, SUPPORTED_VENUES)
        transports = Transports()
        interval = settings.poll_interval
        monitor = Monitor(
            store,
            HubSource(store, hub),
            transports,
            presenter=CorePresenter(),
            intervals=PollIntervals.from_calm(interval),
            outbox_max_age=settings.outbox_max_age,
        )
        # Metrics first, so the front ends' "up" gauges land in the registry that is served.
        if settings.metrics_enabled():
            await self._start_ops(store, monitor, hub)
            set_exchange_mode(settings.exchange_mode)  # /healthz and /metrics say it
        if settings.telegram_token is not None:
            await self._start_telegram(core, transports)
        if settings.discord_token is not None:
            await self._start_discord(core, transports)
        await monitor.start()
        self._monitor_stop = monitor.stop

    async def _start_telegram(self, core: Any, transports: Any) -> None:
        from telegram.error import InvalidToken, NetworkError

        from bot.chat.telegram.app import TelegramFrontend
        from bot.chat.telegram.settings import TelegramSettings

        token = self.settings.telegram_token
        assert token is not None
        front = TelegramFrontend(
            TelegramSettings(
                token=token,
                api_url=self.settings.telegram_api_url,
                private_chat_pace=self.settings.telegram_private_chat_pace,
            ),
            core,
            on_chat_moved=lambda old, new: core.move_chat("telegram", old, new),
        )
        try:
            await front.start()
        except InvalidToken:
            raise StartupError(
                "Telegram refused MARGINWATCH_TELEGRAM_TOKEN: check it with @BotFather."
            ) from None
        except NetworkError as exc:  # also TimedOut
            raise StartupError(
                f"could not reach the Telegram Bot API at {self.settings.telegram_api_url} "
                f"({_reason(exc, token.get_secret_value())}): check "
                "MARGINWATCH_TELEGRAM_API_URL and this machine's network connection "
                "(DNS, firewall, proxy)."
            ) from None

        async def stop_telegram() -> None:
            metrics.record_replies_dropped(await front.stop())

        self._front_end_stops.append(stop_telegram)
        transports.register("telegram", front.transport)
        set_front_end("telegram", up=True)

    async def _start_discord(self, core: Any, transports: Any) -> None:
        import aiohttp
        import discord

        from bot.chat.discord.frontend import DiscordFrontEnd, FileStamp

        token = self.settings.discord_token
        assert token is not None
        stamp = FileStamp(self.settings.database.with_suffix(".discord-schema"))
        front = DiscordFrontEnd(core, token.get_secret_value(), stamp=stamp)
        task = front.start()
        ready = asyncio.create_task(front.wait_ready(timeout=60.0))
        done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            error = task.exception()
            if isinstance(error, discord.LoginFailure):
                raise StartupError(
                    "Discord refused MARGINWATCH_DISCORD_TOKEN: reset it in the "
                    "Developer Portal (Bot → Reset Token)."
                )
            if isinstance(error, OSError | aiohttp.ClientError | discord.GatewayNotFound):
                raise StartupError(
                    f"could not reach Discord at {_discord_host()} "
                    f"({_reason(error, token.get_secret_value())}): check this machine's "
                    "network connection to Discord (DNS, firewall, proxy)."
                )
            raise StartupError(
                f"the Discord front end stopped while starting: "
                f"{type(error).__name__ if error else 'closed'}"
            )
        try:
            ready.result()  # commands are synced at login, only when their schema hash changed
        except TimeoutError:
            await front.stop()
            raise StartupError(
                f"Discord accepted the token but its gateway at {_discord_host()} did not get "
                "ready within 60 s: check this machine's network connection to Discord "
                "(websockets through the firewall or proxy)."
            ) from None
        self._front_end_tasks["discord"] = task
        self._front_end_stops.append(front.stop)
        transports.register("discord", front.transport(alert_role=self.settings.discord_alert_role))
        set_front_end("discord", up=True)

    async def _start_ops(self, store: Any, monitor: Any, hub: Any) -> None:
        from bot.ops import metrics, start_ops_server

        port = self.settings.metrics_port
        assert port is not None
        try:
            service = await start_ops_server(
                port=port, host=self.settings.metrics_host, store=store, monitor=monitor
            )
        except OSError as exc:
            raise StartupError(
                f"cannot serve metrics on {self.settings.metrics_host}:{port}: "
                f"{exc.strerror or exc}"
            ) from None
        self._late_closers.insert(0, service.stop)
        # /metrics and /healthz report each venue's standing against its request limits.
        metrics.watch_venue_limits(hub.limits_report)
        log.info("metrics on %s/metrics", service.url)

    async def _shutdown(self) -> None:
        """Stop polling (deliveries in flight get a short grace), the chats (pending command
        replies are dropped), the exchanges, the database: all within SHUTDOWN_SECONDS.

        A step that overruns its share is cut short and logged; the database is closed last
        and always given its turn. Queued alerts stay in the outbox for the next start.
        """
        steps: list[Closer] = []
        if self._monitor_stop is not None:
            steps.append(self._monitor_stop)
        steps += self._front_end_stops + self._late_closers
        self._monitor_stop = None
        self._front_end_stops, self._late_closers = [], []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_SECONDS
        for index, step in enumerate(steps):
            # Every step but the last may use what is left, less a second kept for the rest.
            reserve = 0.0 if index == len(steps) - 1 else 1.0
            budget = max(0.5, deadline - loop.time() - reserve)
            try:
                await asyncio.wait_for(step(), budget)
            except TimeoutError:
                log.warning("shutdown: a step overran %.1fs and was cut short", budget)
            except Exception:
                log.exception("error while shutting down")
        for task in self._front_end_tasks.values():
            if not task.done():
                task.cancel()
        log.info("marginwatch stopped")


def _reason(error: BaseException, *secrets: str) -> str:
    """An exception's own words without its module path, and never a secret."""
    text = str(error).rsplit(": ", 1)[-1] or type(error).__name__
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _discord_host() -> str:
    """Where discord.py sends its requests (discord.com, unless redirected)."""
    from urllib.parse import urlsplit

    import discord.http

    return urlsplit(discord.http.Route.BASE).netloc
