"""The Discord front end: a discord.py client whose slash commands parse, call core and render.

Lifecycle (one shared asyncio loop; the composition root supervises the task)::

    front = DiscordFrontEnd(core, token, stamp=FileStamp(path))
    task = asyncio.create_task(front.run())   # async with client + client.start(token)
    await front.wait_ready()
    ...
    await front.stop()                        # close the client; run() returns
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.chat.discord import caller as callers
from bot.chat.discord.commands import (
    NotModerator,
    build_groups,
    schema_hash,
)
from bot.chat.discord.guard import guard_message
from bot.chat.discord.link_modal import MAX_TITLE, LinkModal
from bot.chat.discord.port import CorePort
from bot.chat.discord.render import ActionButton, render
from bot.chat.discord.transport import DiscordTransport
from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Message, Refusal, message
from bot.core.refs import fill
from bot.core.registry import ArgType, Audience, Choice, Command

log = logging.getLogger(__name__)

# A longer wait than this surfaces as discord.RateLimited (the outbox reschedules the alert)
# instead of holding a delivery worker asleep; 30 s is discord.py's minimum.
MAX_RATELIMIT_WAIT_SECONDS = 30.0
# Not exchange calls, but matplotlib on a busy machine can take seconds: defer these too.
_RENDERS_IMAGES = frozenset({"chart"})
# Refreshing edits the message the button sits on; every other action answers privately.
_EDITING_ACTIONS = frozenset({ActionId.REFRESH_STATUS, ActionId.REFRESH_POSITIONS})
# What discord.py raises for an interaction that does not match the commands this version
# registered: a client still showing an older command list (or options that no longer exist).
_STALE = (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)
# A flood of stale interactions triggers one resync, not one per interaction.
RESYNC_COOLDOWN_SECONDS = 600.0


class SchemaStamp(Protocol):
    """Remembers the hash of the last command schema pushed to Discord."""

    def load(self) -> str | None: ...

    def save(self, digest: str) -> None: ...


class FileStamp:
    """A schema stamp in a small text file (next to the database, say)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except FileNotFoundError:
            return None

    def save(self, digest: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(digest + "\n")


class MemoryStamp:
    """A schema stamp that forgets on restart (tests, demo)."""

    def __init__(self, digest: str | None = None) -> None:
        self.digest = digest

    def load(self) -> str | None:
        return self.digest

    def save(self, digest: str) -> None:
        self.digest = digest


class MarginTree(app_commands.CommandTree["MarginClient"]):
    """The command tree; turns check failures and crashes into one private sentence."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, _STALE):
            await self.client.front.answer_stale(interaction, error)
            return
        if isinstance(error, NotModerator):
            reply = Refusal(texts.NEEDS_MODERATOR).to_message()
        elif isinstance(error, app_commands.NoPrivateMessage):
            reply = Refusal(texts.NEEDS_COMMUNITY).to_message()
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            # Log the type only: an exception text may quote user input (a key).
            log.error(
                "discord command /%s failed: %s",
                command,
                type(error).__name__,
                exc_info=error if not isinstance(error, app_commands.CheckFailure) else None,
            )
            reply = message(texts.ERROR_TITLE, "error", lines=(texts.ERROR_INTERNAL,), private=True)
        try:
            await self.client.front.reply(interaction, reply, ephemeral=True)
        except discord.HTTPException as exc:  # the interaction expired or Discord is down
            log.warning("discord: could not tell the user about a failure (HTTP %s)", exc.status)


class MarginClient(discord.Client):
    """discord.py client wired to one :class:`DiscordFrontEnd`."""

    def __init__(self, front: DiscordFrontEnd, *, guard_keys: bool, **options: Any) -> None:
        intents = discord.Intents.default()
        # Privileged: Discord refuses the connection unless it is enabled in the Developer
        # Portal, so it is opt-in. Without it the bot cannot see (or delete) a pasted key.
        intents.message_content = guard_keys
        super().__init__(intents=intents, **options)
        self.guard_keys = guard_keys
        self.front = front
        self.tree = MarginTree(self)
        self.synced: bool | None = None  # None: not decided yet; False: schema unchanged

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ActionButton)
        for group in build_groups(self.front):
            self.tree.add_command(group)
        try:
            self.synced = await self.front.sync_if_changed()
        except discord.HTTPException as exc:
            # Stale commands beat no bot: keep serving; the stamp is unchanged, so the next
            # start tries again.
            log.warning("discord: command sync failed (HTTP %s); commands may be stale", exc.status)

    async def on_ready(self) -> None:
        self.front.ready.set()

    async def on_message(self, message: discord.Message) -> None:
        if self.guard_keys:
            await guard_message(message)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.front.forget_guild(guild.id)

    async def handle_action(self, interaction: discord.Interaction, action: Action) -> None:
        await self.front.run_action(interaction, action)


class DiscordFrontEnd:
    """Parse a Discord interaction, call core, render the answer.

    ``core`` satisfies :class:`bot.chat.discord.port.CorePort` (``bot.core.usecases.Core``).
    """

    def __init__(
        self,
        core: CorePort,
        token: str,
        *,
        stamp: SchemaStamp | None = None,
        guard_keys: bool = False,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        """``guard_keys``: read server messages to delete pasted keys (needs the privileged
        Message Content intent switched on for the bot in the Developer Portal)."""
        self.core = core
        self._token = token
        self.stamp: SchemaStamp = stamp if stamp is not None else MemoryStamp()
        options = {"max_ratelimit_timeout": MAX_RATELIMIT_WAIT_SECONDS, **(client_options or {})}
        self.ready = asyncio.Event()  # set on READY (guilds cached), before any alert goes out
        self.client = MarginClient(self, guard_keys=guard_keys, **options)
        self._resync_lock = asyncio.Lock()
        self._last_resync = -RESYNC_COOLDOWN_SECONDS
        self._background: set[asyncio.Task[bool]] = set()

    def __repr__(self) -> str:  # never show the token
        return f"<DiscordFrontEnd user={self.client.user}>"

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Log in, connect and serve until :meth:`stop`; raises LoginFailure on a bad token."""
        async with self.client:
            await self.client.start(self._token)

    def start(self) -> asyncio.Task[None]:
        """``run()`` as a task for the supervisor; it ends on :meth:`stop` or a fatal error."""
        return asyncio.create_task(self.run(), name="discord-front-end")

    def transport(self, **options: Any) -> DiscordTransport:
        """The outbox transport delivering through this front end's client."""
        return DiscordTransport(self.client, **options)

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Until READY and the guilds arrived; before that the channel cache is empty."""
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError:
            raise TimeoutError("Discord did not become ready") from None

    async def stop(self) -> None:
        await self.client.close()

    async def sync_if_changed(self) -> bool:
        """Push the commands to Discord only when their schema hash differs from the stamp."""
        digest = schema_hash(self.client.tree)
        if self.stamp.load() == digest:
            log.info("discord command schema unchanged; not syncing")
            return False
        await self._sync(digest)
        log.info(
            "discord command schema changed; synced %d commands",
            len(self.client.tree.get_commands()),
        )
        return True

    async def _sync(self, digest: str) -> None:
        await self.client.tree.sync()
        self.stamp.save(digest)
        self._last_resync = time.monotonic()

    async def resync(self) -> bool:
        """Push the commands again (a user's interaction showed Discord serving an older list),
        at most once per :data:`RESYNC_COOLDOWN_SECONDS`; True if it pushed."""
        async with self._resync_lock:
            if time.monotonic() - self._last_resync < RESYNC_COOLDOWN_SECONDS:
                return False
            self._last_resync = time.monotonic()
            try:
                await self._sync(schema_hash(self.client.tree))
            except discord.HTTPException as exc:
                log.warning("discord: command resync failed (HTTP %s)", exc.status)
                return False
            log.info("discord: command list resynced after a stale command")
            return True

    async def answer_stale(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """A command (or option set) this version does not have: say the list changed, resync.

        Expected after every schema change until each user's client refetches the list, so
        it is logged at INFO without a traceback, and the user gets no "something went wrong".
        """
        data = interaction.data or {}
        name = " ".join(
            [str(data.get("name", "?"))] + [str(o.get("name")) for o in _subcommands(data)]
        )
        log.info("discord: stale command /%s (%s); told the user", name, type(error).__name__)
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                reply = message(
                    texts.STALE_COMMAND_TITLE,
                    "info",
                    lines=(fill(texts.STALE_COMMAND),),
                    private=True,
                )
                await self.reply(interaction, reply, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("discord: could not answer a stale command (HTTP %s)", exc.status)
        # After the answer: Discord gives three seconds for it, a sync can take longer.
        task = asyncio.create_task(self.resync(), name="discord-resync")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ identity

    async def moderator_roles(self, guild_id: int) -> tuple[str, ...]:
        return tuple(await self.core.moderator_role_ids("discord", str(guild_id)))

    async def is_moderator(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            return False
        if callers.has_manage_server(interaction):
            return True
        roles = await self.moderator_roles(interaction.guild_id)
        return callers.is_moderator(interaction, roles)

    async def caller(self, interaction: discord.Interaction) -> Caller:
        return callers.caller_for(interaction, moderator=await self.is_moderator(interaction))

    # ------------------------------------------------------------------ replying

    async def reply(
        self, interaction: discord.Interaction, answer: Message, *, ephemeral: bool
    ) -> None:
        """Answer an interaction whether or not it was deferred; ``ephemeral``: caller only."""
        rendered = render(answer).kwargs()
        if interaction.response.is_done():
            await interaction.followup.send(**rendered, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(**rendered, ephemeral=ephemeral)

    async def _answer(
        self,
        interaction: discord.Interaction,
        produce: Awaitable[Message | Sequence[Message]],
        *,
        ephemeral: bool,
    ) -> None:
        """Await core's answer (``produce``) and send it; a Refusal becomes a private sentence."""
        try:
            result = await produce
        except Refusal as refusal:
            await self.reply(interaction, refusal.to_message(), ephemeral=True)
            return
        except Exception as exc:
            # The text may quote what the user typed (a key): log the type, show the catalogue.
            log.error("discord: core failed with %s", type(exc).__name__)
            await self.reply(interaction, _not_available(), ephemeral=True)
            return
        answers: Sequence[Message] = result if isinstance(result, (list, tuple)) else (result,)
        for answer in answers:
            await self.reply(interaction, answer, ephemeral=ephemeral or answer.private)

    # ------------------------------------------------------------------ commands

    async def admitted(self, interaction: discord.Interaction) -> bool:
        """Core's per-user flood control, asked before any other work.

        Discord wants an answer to every interaction within 3 s, so a refused one is answered
        too: with the slow-down notice, privately (only the flooder sees it).
        """
        admission = self.core.admit(
            callers.caller_for(interaction, moderator=False), must_answer=True
        )
        if admission.answer:
            return True
        notice = admission.notice or Refusal(texts.SLOW_DOWN_TITLE).to_message()
        await self.reply(interaction, notice, ephemeral=True)
        return False

    async def run_command(
        self, interaction: discord.Interaction, command: Command, values: dict[str, str | None]
    ) -> None:
        if not await self.admitted(interaction):
            return
        # Your-own-account answers are for the caller only; moderators see theirs privately too.
        ephemeral = command.audience is not Audience.MEMBER or interaction.guild_id is None
        if command.slow or command.name in _RENDERS_IMAGES:
            # Exchange calls and chart rendering can exceed Discord's 3-second deadline.
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        caller = await self.caller(interaction)
        # Core's one entry point: checks arguments and audience, never raises. Its help (and
        # every other answer) names commands as references, which render() spells for Discord.
        await self._answer(
            interaction, self.core.run(caller, command.name, values), ephemeral=ephemeral
        )

    async def suggest(
        self, interaction: discord.Interaction, kind: ArgType, typed: str
    ) -> Sequence[Choice]:
        """What core suggests for the option being typed. Only an account depends on who asks
        (the caller's own labels), so only then is the caller looked up."""
        caller = await self.caller(interaction) if kind is ArgType.ACCOUNT else None
        return tuple(await self.core.suggest(caller, kind, typed))

    async def open_link_modal(
        self, interaction: discord.Interaction, values: dict[str, str | None]
    ) -> None:
        """Ask for the key in a modal: it never appears in the channel, and only the caller
        sees the answer. Venue and label are checked first, so nobody types a key into a form
        that was bound to be refused."""
        if not await self.admitted(interaction):
            return
        venue = values.get("venue") or ""
        try:
            caller = await self.caller(interaction)
            form = await self.core.prepare_link(caller, venue, values.get("label"))
        except Refusal as refusal:  # say what is wrong before asking for any key
            await self.reply(interaction, refusal.to_message(), ephemeral=True)
            return
        fields = tuple((f.name, f.label) for f in form.fields)

        async def submitted(submit: discord.Interaction, credentials: dict[str, str]) -> None:
            await submit.response.defer(ephemeral=True, thinking=True)  # link reads the venue
            caller = await self.caller(submit)
            await self._answer(
                submit,
                self.core.link(
                    caller, venue=form.venue, label=values.get("label"), credentials=credentials
                ),
                ephemeral=True,
            )

        await interaction.response.send_modal(
            LinkModal(title=form.title(MAX_TITLE), fields=fields, on_submit=submitted)
        )

    # ------------------------------------------------------------------ buttons

    async def run_action(self, interaction: discord.Interaction, action: Action) -> None:
        """A button press: core answers (never raises); a refresh replaces the card in place."""
        if not await self.admitted(interaction):
            return
        caller = await self.caller(interaction)
        if action.id not in _EDITING_ACTIONS:
            await self._answer(interaction, self.core.act(caller, action), ephemeral=True)
            return
        await interaction.response.defer()  # the refresh reads the exchange
        answer: Message = await self.core.act(caller, action)
        if answer.severity == "error":  # a refusal: keep the card, tell only the presser
            await interaction.followup.send(**render(answer).kwargs(), ephemeral=True)
            return
        rendered = render(answer)
        await interaction.edit_original_response(
            embed=rendered.embed,
            view=rendered.view,
            attachments=[rendered.file] if rendered.file else [],
        )

    # ------------------------------------------------------------------ guilds

    async def forget_guild(self, guild_id: int) -> None:
        """The bot left or was removed from a server: core drops that community's settings."""
        removed = await self.core.forget_community("discord", str(guild_id))
        log.info(
            "discord: left a server; core dropped its settings and %s subscription(s)", removed
        )


def _subcommands(data: Any) -> list[dict[str, Any]]:
    """The subcommand (and group) options of an interaction's data, outermost first."""
    found: list[dict[str, Any]] = []
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):
        found.append(options[0])
        options = options[0].get("options") or []
    return found


def _not_available() -> Message:
    return message(texts.ERROR_TITLE, "error", lines=(texts.ERROR_INTERNAL,), private=True)
