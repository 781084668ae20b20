"""The use cases every chat calls: :class:`Core`, with ``run`` (a command) and ``act`` (a button)
as the two entry points that always answer with a Message and never raise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.core import registry, suggest, texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Message, Refusal, from_payload, message
from bot.core.refs import fill
from bot.core.registry import ArgType, Audience, Choice, Command, UseCase
from bot.core.usecases.accounts import AccountUseCases, LinkField, LinkForm, parse_bool
from bot.core.usecases.base import Limits, require_community, require_moderator, require_private
from bot.core.usecases.community import CommunityUseCases
from bot.core.usecases.preferences import PreferenceUseCases
from bot.core.usecases.reading import ReadingUseCases

log = logging.getLogger("marginwatch.core")


class Core(AccountUseCases, ReadingUseCases, PreferenceUseCases, CommunityUseCases):
    """All use cases. Build once: ``Core(store, hub, SUPPORTED_VENUES)``.

    Every method takes the :class:`Caller` first; arguments are strings as typed (core
    validates them). Methods raise :class:`Refusal`; :meth:`run` and :meth:`act` turn that into
    a private error message, so adapters can call those two and just render the answer.
    """

    async def help(self, caller: Caller) -> Message:
        audiences = [Audience.PRIVATE, Audience.MEMBER]
        if caller.is_moderator:
            audiences.append(Audience.MODERATOR)
        lines = (texts.HELP_INTRO, *registry.help_lines(caller.platform, audiences))
        return message(texts.HELP_TITLE, lines=lines, private=True)

    async def suggest(self, caller: Caller | None, kind: ArgType, typed: str) -> tuple[Choice, ...]:
        """What to offer while the caller types an option of this kind (Discord autocomplete):
        their own account labels (``caller`` needed), venues (any other exchange ccxt reads
        offered as ``generic:<id>``), venue lists, time zones, times of day."""
        if kind is ArgType.ACCOUNT:
            if caller is None:
                return ()
            wanted = typed.strip().casefold()
            labels = await self.account_labels(caller)
            return tuple(Choice(label, label) for label in labels if wanted in label.casefold())
        if kind is ArgType.VENUE:
            found = suggest.venues(self.venues, typed, generic=True)
            return tuple(Choice(v, label) for v, label in found)
        if kind is ArgType.VENUES:
            return tuple(Choice(v, label) for v, label in suggest.venue_lists(self.venues, typed))
        if kind is ArgType.TIMEZONE:
            return tuple(Choice(zone, zone) for zone in suggest.timezones(typed))
        if kind is ArgType.TIME:
            return tuple(Choice(t, t) for t in suggest.times(typed))
        return ()

    # --- entry points -------------------------------------------------------------------------

    async def run(
        self, caller: Caller, name: str, arguments: Mapping[str, str | None] | None = None
    ) -> Message:
        """Run command ``name`` (without the slash) with its arguments by name."""
        try:
            try:
                command = registry.command(name)
            except KeyError:
                raise Refusal(fill(texts.UNKNOWN_COMMAND, name=name.lstrip("/"))) from None
            if caller.platform not in command.platforms:
                raise Refusal(fill(texts.UNKNOWN_COMMAND, name=command.name))
            values = {k: v for k, v in (arguments or {}).items() if v is not None}
            registry.check_arguments(command, values)
            self._check_audience(caller, command)
            return await HANDLERS[command.usecase](self, caller, **values)
        except Refusal as refusal:
            return refusal.to_message()
        except Exception:
            # The exception text may hold anything (paths, request details): log it, show
            # the user only the catalogue's sentence.
            log.exception("command /%s failed", name)
            return message(texts.ERROR_TITLE, "error", lines=(texts.ERROR_INTERNAL,), private=True)

    async def run_text(self, caller: Caller, name: str, text: str) -> Message:
        """Run a command typed as text (Telegram, console): ``/alerts main 20% critical=5``."""
        try:
            command = registry.command(name)
        except KeyError:
            return Refusal(fill(texts.UNKNOWN_COMMAND, name=name.lstrip("/"))).to_message()
        try:
            arguments = registry.parse_text_arguments(command, text)
        except Refusal as refusal:
            return refusal.to_message()
        return await self.run(caller, command.name, arguments)

    @staticmethod
    def _check_audience(caller: Caller, command: Command) -> None:
        if command.audience is Audience.PRIVATE:
            # /help and /start answer anywhere; everything else about one's own accounts
            # answers only privately.
            if command.usecase is not UseCase.HELP:
                require_private(caller)
        elif command.audience is Audience.MEMBER:
            require_community(caller)
        else:
            require_moderator(caller)

    async def act(self, caller: Caller, action: Action | str) -> Message:
        """Run a button press (an :class:`Action`, or the string a chat stored with it)."""
        try:
            decoded = Action.decode(action) if isinstance(action, str) else action
            if decoded is None:
                raise Refusal(texts.UNKNOWN_ACTION)
            return await self._act(caller, decoded)
        except Refusal as refusal:
            return refusal.to_message()
        except Exception:
            log.exception("button %s failed", getattr(action, "id", "?"))
            return message(texts.ERROR_TITLE, "error", lines=(texts.ERROR_INTERNAL,), private=True)

    async def _act(self, caller: Caller, action: Action) -> Message:
        args = action.args
        if action.id is ActionId.CONFIRM_DELETE_MY_DATA:
            return await self.delete_my_data(caller, confirm="yes")
        if not args:
            raise Refusal(texts.UNKNOWN_ACTION)
        if action.id is ActionId.REFRESH_STATUS:
            return await self.refresh(caller, args[0])
        if action.id is ActionId.REFRESH_POSITIONS:
            return await self.refresh(caller, args[0], positions=True)
        _, account = await self._own_account_by_ref(caller, args[0])
        if action.id is ActionId.SNOOZE:
            return await self._snooze(account, args[1] if len(args) > 1 else None)
        if action.id is ActionId.UNSNOOZE:
            return await self._unsnooze(account)
        if action.id is ActionId.CONFIRM_UNLINK:
            return await self._unlink(account.id, account.venue, account.label)
        raise Refusal(texts.UNKNOWN_ACTION)

    @staticmethod
    def outbox_message(payload: Mapping[str, Any]) -> Message:
        """The Message an outbox payload holds (what a chat adapter delivers)."""
        return from_payload(payload)


# Which method runs each command, spelt out: a renamed method fails here at import, and
# tests/core/test_registry.py checks that every use case has one taking the command's arguments.
Handler = Callable[..., Awaitable[Message]]
HANDLERS: Mapping[UseCase, Handler] = {
    UseCase.HELP: Core.help,
    UseCase.LINK: Core.link,
    UseCase.LIST_ACCOUNTS: Core.list_accounts,
    UseCase.UNLINK: Core.unlink,
    UseCase.STATUS: Core.status,
    UseCase.POSITIONS: Core.positions,
    UseCase.CHART: Core.chart,
    UseCase.ALERTS: Core.alerts,
    UseCase.SNOOZE: Core.snooze,
    UseCase.UNSNOOZE: Core.unsnooze,
    UseCase.DIGEST: Core.digest,
    UseCase.SHARE: Core.share,
    UseCase.DELETE_MY_DATA: Core.delete_my_data,
    UseCase.SUBSCRIBE: Core.subscribe,
    UseCase.UNSUBSCRIBE: Core.unsubscribe,
    UseCase.SET_ALERT_CHANNEL: Core.set_alert_channel,
    UseCase.COMMUNITY_SETTINGS: Core.community_settings,
    UseCase.LIST_SUBSCRIBERS: Core.list_subscribers,
    UseCase.REMOVE_SUBSCRIBER: Core.remove_subscriber,
    UseCase.AUDIT_LOG: Core.audit_log,
}

__all__ = ["HANDLERS", "Core", "Limits", "LinkField", "LinkForm", "parse_bool"]
