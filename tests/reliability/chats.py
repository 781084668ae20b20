"""Both chat platforms behind the real outbox: the real transports on the fake Bot API and the
fake Discord, an in-process exchange, and a record of what each platform really accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.ext import ApplicationBuilder

from bot.chat.discord.frontend import DiscordFrontEnd, MemoryStamp
from bot.chat.discord.transport import DiscordTransport
from bot.chat.telegram.pace import PacedRateLimiter, PrivateChatPace
from bot.chat.telegram.transport import TelegramTransport
from bot.core.messages import Message
from bot.core.presenter import CorePresenter
from bot.monitor.clock import ManualClock
from bot.monitor.scheduler import Monitor
from bot.monitor.transport import Destination as Where
from bot.monitor.transport import Transports
from bot.store import Account, AccountSecrets, Destination, Store, Subscription, Vault, generate_key
from tests.discord.conftest import RecordingCore
from tests.fakes.discord_api import FakeDiscord, make_guild, redirect_discord
from tests.fakes.telegram_api import BotApiError, FakeTelegramAPI, FakeTelegramServer
from tests.monitor.world import ScriptedExchange, binance_snapshot

TELEGRAM_TRADER = 7001
TELEGRAM_GROUP = -7002


@dataclass
class Accepted:
    """Wraps a real transport: the messages its platform accepted, in order."""

    inner: Any
    messages: list[tuple[str, Message]] = field(default_factory=list)
    attempts: int = 0

    async def send(self, destination: Where, message: Message, key: str = "") -> None:
        self.attempts += 1
        await self.inner.send(destination, message)
        self.messages.append((destination.chat_id, message))


def alert_titles(message: Message) -> list[str]:
    """The alerts one delivered message holds (a coalesced one lists them as bullets)."""
    bullets = [line[2:] for line in message.lines if line.startswith("• ")]
    return bullets or [message.title]


@dataclass
class Platform:
    name: str
    transport: Accepted
    dm: str  # a private chat's id on this platform
    group: str  # a shared channel / group id
    down: Callable[[], None]  # every send fails as if the platform's API were down
    up: Callable[[], None]
    rate_limit: Callable[[float], None]  # the next send is answered 429 with this retry_after
    blocked: Callable[[str], None]  # the chat refuses the bot for good


@asynccontextmanager
async def telegram() -> AsyncIterator[tuple[Platform, FakeTelegramAPI]]:
    async with FakeTelegramServer() as api:
        api.private_chat(TELEGRAM_TRADER)
        api.group(TELEGRAM_GROUP, "Desk")
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .rate_limiter(PacedRateLimiter(PrivateChatPace(0.0)))
            .build()
        )
        async with app:
            accepted = Accepted(TelegramTransport(app.bot))

            def down() -> None:
                api.fail_next("sendMessage", BotApiError(502, "Bad Gateway"), times=10**6)

            def up() -> None:
                api.faults.clear()

            def rate_limit(seconds: float) -> None:
                api.fail_next(
                    "sendMessage",
                    BotApiError(
                        429,
                        f"Too Many Requests: retry after {int(seconds)}",
                        {"retry_after": int(seconds)},
                    ),
                )

            def blocked(chat_id: str) -> None:
                api.blocked_by.add(int(chat_id))

            yield (
                Platform(
                    "telegram",
                    accepted,
                    str(TELEGRAM_TRADER),
                    str(TELEGRAM_GROUP),
                    down,
                    up,
                    rate_limit,
                    blocked,
                ),
                api,
            )


@asynccontextmanager
async def discord_() -> AsyncIterator[tuple[Platform, FakeDiscord]]:
    async with FakeDiscord([make_guild("Traders")]) as fake:
        with redirect_discord(fake):
            front = DiscordFrontEnd(
                RecordingCore(),
                "fake-token",
                stamp=MemoryStamp(),
                client_options={"guild_ready_timeout": 0.05},
            )
            task = asyncio.create_task(front.run())
            await front.wait_ready(5)
            try:
                guild = fake.guilds[0]
                accepted = Accepted(DiscordTransport(front.client))
                sends = r"^/(channels/\d+/messages|users/@me/channels)$"

                def down() -> None:
                    fake.fail_next("POST", sends, 503, times=10**6)

                def up() -> None:
                    fake._faults.clear()

                def rate_limit(seconds: float) -> None:
                    fake.fail_next("POST", sends, 429, retry_after=seconds)

                def blocked(chat_id: str) -> None:
                    fake.fail_next("POST", rf"^/channels/{chat_id}/messages$", 403, times=10**6)

                yield (
                    Platform(
                        "discord",
                        accepted,
                        str(guild.member("alice").user_id),
                        str(guild.channel("alerts")),
                        down,
                        up,
                        rate_limit,
                        blocked,
                    ),
                    fake,
                )
            finally:
                await front.stop()
                await asyncio.wait_for(task, 5)


PLATFORMS: dict[str, Callable[[], Any]] = {"telegram": telegram, "discord": discord_}


@dataclass
class Desk:
    """A store, a scripted exchange and the monitor delivering to one platform."""

    store: Store
    clock: ManualClock
    exchange: ScriptedExchange
    monitor: Monitor
    platform: Platform

    async def account(
        self, label: str, *, owner: str = "1", group: bool = False
    ) -> tuple[Account, Subscription]:
        now = self.clock.now()
        user = await self.store.ensure_user(self.platform.name, owner, now=now)
        account = await self.store.add_account(
            user.id,
            "binanceusdm",
            label,
            AccountSecrets(api_key="k", secret="s"),
            now=now,
            next_poll_at=now,
        )
        destination = (
            Destination(self.platform.name, self.platform.group, is_dm=False)
            if group
            else Destination(self.platform.name, self.platform.dm, is_dm=True)
        )
        subscription = await self.store.add_subscription(
            account.id, destination, now=now, share="state" if group else "none"
        )
        self.exchange.set(account, binance_snapshot(0.3))
        return account, subscription

    async def tick(self, seconds: float = 5.0) -> None:
        self.clock.advance(seconds)
        await self.monitor.run_until_idle()

    async def rows(self) -> list[dict[str, Any]]:
        def read(tx: Any) -> list[dict[str, Any]]:
            cursor = tx.db.execute("select * from outbox order by id")
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        return await self.store.read(read)


@asynccontextmanager
async def desk(tmp_path: Path, platform: Platform) -> AsyncIterator[Desk]:
    clock = ManualClock()
    store = await Store.open(tmp_path / "chat.db", Vault.from_strings([generate_key()]))
    try:
        transports = Transports()
        transports.register(platform.name, platform.transport)
        exchange = ScriptedExchange()
        monitor = Monitor(store, exchange, transports, presenter=CorePresenter(), clock=clock)
        yield Desk(store, clock, exchange, monitor, platform)
    finally:
        await store.close()
