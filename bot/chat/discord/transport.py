"""Outbox delivery to Discord: DMs and alert channels, paced, with permanent failures told apart."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import discord

from bot.chat.discord.render import render
from bot.core.delivery import DeliveryRetry, Destination, DestinationGone
from bot.core.messages import Message

log = logging.getLogger(__name__)

# Discord allows 50 requests/s per bot, but discord.py only reacts to a global 429 instead of
# pacing; stay under it so a fan-out of alerts never trips the global limit.
DEFAULT_PACE_PER_SECOND = 40.0
# The role pinged (for critical alerts only) in a community's alert channel, by name.
DEFAULT_ALERT_ROLE = "margin-alerts"
# A server error is not the chat's fault: try again soon rather than backing off for minutes.
_SERVER_ERROR_RETRY_SECONDS = 5.0


class Pace:
    """At most ``per_second`` starts per second, shared by every send of this transport."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


class DiscordTransport:
    """The outbox's Transport for ``platform == "discord"``.

    ``destination.is_dm``: ``chat_id`` is the user id and the message goes to their DMs.
    Otherwise ``chat_id`` is a channel id (``thread_id``, when set, a thread in it).
    """

    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        pace_per_second: float = DEFAULT_PACE_PER_SECOND,
        alert_role: str = DEFAULT_ALERT_ROLE,
        ready_timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.alert_role = alert_role
        self._pace = Pace(pace_per_second)
        self._ready_timeout = ready_timeout

    async def send(self, destination: Destination, message: Message, key: str = "") -> None:
        """Send once; ``key`` goes as the message nonce with ``enforce_nonce``, so Discord itself
        drops a resend of the same send (after a crash or a timeout) within its nonce window of a
        few minutes and answers with the message it already has."""
        await self._until_ready()
        await self._pace.wait()
        try:
            target, role = await self._target(destination)
            mention = role is not None and message.mention and message.severity == "critical"
            rendered = render(message, content=role.mention if mention and role else None)
            allowed = discord.AllowedMentions(
                everyone=False, users=False, roles=[role] if mention and role else False
            )
            # discord.py sends enforce_nonce=true with every nonce it is given.
            await target.send(
                **rendered.kwargs(), allowed_mentions=allowed, nonce=_nonce(key) or None
            )
        except discord.Forbidden as exc:
            raise DestinationGone(_gone_reason(destination, exc)) from None
        except discord.NotFound as exc:
            raise DestinationGone(_gone_reason(destination, exc)) from None
        except discord.RateLimited as exc:
            raise DeliveryRetry(exc.retry_after) from None
        except discord.DiscordServerError:
            raise DeliveryRetry(_SERVER_ERROR_RETRY_SECONDS) from None
        except discord.HTTPException as exc:
            if exc.status == 429:  # still limited after discord.py's own five tries
                raise DeliveryRetry(_SERVER_ERROR_RETRY_SECONDS) from None
            raise
        except (aiohttp.ClientError, ConnectionError) as exc:
            # No answer at all: transient; the outbox backs off. Say what, never the payload.
            raise ConnectionError(f"Discord unreachable: {type(exc).__name__}") from None

    async def _until_ready(self) -> None:
        # Before READY the channel cache is empty and sends would look like missing channels.
        deadline = time.monotonic() + self._ready_timeout
        while not self.client.is_ready():
            if self.client.is_closed() or time.monotonic() > deadline:
                raise DeliveryRetry(5.0)
            await asyncio.sleep(0.05)

    async def _target(
        self, destination: Destination
    ) -> tuple[discord.abc.Messageable, discord.Role | None]:
        if destination.is_dm:
            # discord.py caches the DM channel per user: one POST /users/@me/channels per user
            # per run, and no user lookup (without the members intent users are rarely cached).
            return await self.client.create_dm(discord.Object(int(destination.chat_id))), None
        channel_id = int(destination.thread_id or destination.chat_id)
        channel = self.client.get_channel(channel_id)
        if channel is None:
            # Not cached (a thread, or the cache is cold): send blind, without a role mention.
            return self.client.get_partial_messageable(channel_id), None
        guild = getattr(channel, "guild", None)
        role = discord.utils.get(guild.roles, name=self.alert_role) if guild else None
        return channel, role  # type: ignore[return-value]


# Discord refuses a longer nonce (400 Invalid Form Body).
NONCE_MAX_LENGTH = 25


def _nonce(key: str) -> str:
    if len(key) > NONCE_MAX_LENGTH:
        raise ValueError(f"a Discord nonce has at most {NONCE_MAX_LENGTH} characters")
    return key


def _gone_reason(destination: Destination, exc: discord.HTTPException) -> str:
    where = "DMs" if destination.is_dm else "channel"
    if exc.status == 403:
        return f"Discord refused to deliver to this {where} (missing access or DMs closed)"
    return f"Discord says this {where} no longer exists"
