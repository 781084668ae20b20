"""A stand-in for bot.core's use cases, shaped like core's facade, for the adapter's own tests.

It answers with core's real Message, Refusal, texts and buttons and records every call, so the
tests check what the adapter hands to core (the Caller, the arguments) and what it does with the
answer. The end-to-end test runs the real core instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Field, Message, Refusal, message


@dataclass(frozen=True)
class StubField:
    name: str
    label: str
    prompt: str
    secret: bool = True


@dataclass(frozen=True)
class StubForm:
    venue: str
    venue_label: str
    fields: tuple[StubField, ...]
    hint: str


def _field(name: str, secret: bool = True) -> StubField:
    label = texts.LINK_FIELD_NAMES[name]
    return StubField(name, label, texts.LINK_ASK_FIELD.format(field=label), secret)


_FORMS = {
    "kraken": ("Kraken", (_field("api_key"), _field("secret"))),
    "okx": ("OKX", (_field("api_key"), _field("secret"), _field("passphrase"))),
    "hyperliquid": ("Hyperliquid", (_field("wallet_address", secret=False),)),
}


def card(label: str, equity: str = "1,000.00", *, snoozed: bool = False) -> Message:
    ref = "a1"
    actions = [Action(ActionId.REFRESH_STATUS, texts.BUTTON_REFRESH, (ref,))]
    if snoozed:
        actions.append(Action(ActionId.UNSNOOZE, texts.BUTTON_UNSNOOZE, (ref,)))
    else:
        actions += [Action(ActionId.SNOOZE, texts.BUTTON_SNOOZE.format(duration=d), (ref, d))
                    for d in ("1h", "4h", "24h")]
    return message(texts.STATUS_TITLE.format(label=label, venue="Kraken"), "ok",
                   lines=(texts.STATUS_STATE["ok"],),
                   fields=(Field(texts.STATUS_EQUITY, equity),), actions=actions, private=True)


class StubCore:
    """Records (use case, caller, arguments); answers like core would for one account."""

    venues: ClassVar[dict[str, None]] = {"kraken": None, "okx": None, "hyperliquid": None}

    def __init__(self) -> None:
        self.calls: list[tuple[str, Caller, dict[str, Any]]] = []
        self.label = "main <acct>"
        self.equity = "1,000.00"
        self.fail_with: Exception | None = None

    def _record(self, name: str, caller: Caller, **arguments: Any) -> None:
        self.calls.append((name, caller, arguments))
        if self.fail_with is not None:
            raise self.fail_with

    def called(self, name: str) -> list[tuple[Caller, dict[str, Any]]]:
        return [(caller, args) for called, caller, args in self.calls if called == name]

    async def help(self, caller: Caller) -> Message:
        self._record("help", caller)
        return message(texts.HELP_TITLE, lines=(texts.HELP_INTRO,), private=True)

    async def status(self, caller: Caller, account: str | None = None) -> Message:
        self._record("status", caller, account=account)
        if not caller.replies_privately:
            raise Refusal(texts.NEEDS_PRIVATE)
        return card(self.label, self.equity)

    async def set_alert_channel(self, caller: Caller, channel: str | None = None) -> Message:
        self._record("set_alert_channel", caller, channel=channel)
        where = texts.SETALERTS_WHERE_TOPIC if caller.topic_id else texts.SETALERTS_WHERE_CHANNEL
        return message(texts.SETTINGS_TITLE, lines=(texts.SETALERTS_DONE.format(where=where),))

    def link_form(self, venue: str) -> StubForm:
        if venue not in _FORMS:
            raise Refusal(texts.LINK_UNKNOWN_VENUE.format(venue=venue,
                                                          venues=", ".join(sorted(_FORMS))))
        label, fields = _FORMS[venue]
        return StubForm(venue, label, fields, texts.LINK_READ_ONLY_HINT.format(venue=label))

    async def link(self, caller: Caller, venue: str | None = None, label: str | None = None,
                   credentials: dict[str, str] | None = None) -> Message:
        self._record("link", caller, venue=venue, label=label, credentials=dict(credentials or {}))
        return message(texts.LINK_TITLE, lines=(texts.LINK_DONE.format(
            label=label or venue, venue=_FORMS[venue or ""][0]),), private=True)

    async def act(self, caller: Caller, action: Action) -> Message:
        self._record("act", caller, action=action)
        if action.id is ActionId.REFRESH_STATUS:
            return card(self.label, self.equity)
        if action.id is ActionId.SNOOZE:
            return message(texts.SNOOZE_DONE.format(label=self.label, until="12:00"),
                           actions=(Action(ActionId.UNSNOOZE, texts.BUTTON_UNSNOOZE, ("a1",)),))
        raise Refusal(texts.UNKNOWN_ACTION)
