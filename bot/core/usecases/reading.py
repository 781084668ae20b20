"""Reading an account now: status, the liquidation-price summary, and the history chart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import risk
from bot.core import format as fmt
from bot.core import registry, texts
from bot.core.chart import SentAlert, chart_data, render_png
from bot.core.identity import Caller
from bot.core.messages import (
    Action,
    ActionId,
    Field,
    Image,
    Message,
    Severity,
    account_ref,
    louder,
    message,
)
from bot.core.presenter import ALERT_KEY
from bot.core.refs import fill
from bot.core.usecases.base import CoreBase, dm_destination, pick_account, require_private
from bot.core.views import (
    AccountView,
    headline,
    positions_message,
    ratio_name,
    severity_of,
    status_message,
)
from bot.exchanges.budget import Priority
from bot.exchanges.errors import ExchangeReadError, bad_response
from bot.exchanges.types import AccountRead, Credentials
from bot.monitor.history import health_point
from bot.monitor.policy import AlertRules, judge_level
from bot.store.records import Account, HealthPoint, Subscription, Thresholds
from bot.store.tx import Tx
from bot.store.vault import VaultError


@dataclass(frozen=True, slots=True)
class Reading:
    """One fresh read of an account, judged."""

    account: Account
    view: AccountView
    read: AccountRead
    health: risk.Health
    level: str


class ReadingUseCases(CoreBase):
    async def _subscription(self, caller: Caller, account: Account) -> Subscription | None:
        destination = dm_destination(caller.platform, caller.user_id)
        return await self.store.read(lambda tx: tx.subscriptions.find(account.id, destination))

    async def _read(self, caller: Caller, account: Account) -> Reading:
        """Decrypt, read through the hub, assess, judge by the caller's thresholds, record.

        Raises ``ExchangeReadError``; a key the vault cannot open reads as a refused key.
        """
        try:
            secrets = await self.store.read(lambda tx: tx.accounts.credentials(account.id))
        except (LookupError, VaultError):
            raise ExchangeReadError("auth_failed") from None
        creds = Credentials(
            api_key=secrets.api_key or "",
            secret=secrets.secret or "",
            passphrase=secrets.passphrase,
            wallet_address=secrets.wallet_address,
        )
        # A person is waiting: the read may use the limits' reserve (Priority.LINK).
        read = await self.exchanges.read_account(account.venue, creds, priority=Priority.LINK)
        try:
            health = read.health()
        except risk.SnapshotError as exc:  # figures no account can have (e.g. they overflow)
            raise bad_response(str(exc)) from None
        sub = await self._subscription(caller, account)
        rules = AlertRules(thresholds=sub.thresholds) if sub else AlertRules()
        level = judge_level(health, rules)
        now = self.clock()
        await self.store.run(lambda tx: tx.history.add(health_point(account.id, health, now)))
        cadence = read.pace.cadence if read.pace is not None else None
        stretched = cadence is not None and cadence.stretched
        view = AccountView(
            account.id,
            account.label,
            account.venue,
            self._venue_label(account.venue),
            sub.snoozed_until if sub else None,
            limited_every=cadence.interval if cadence is not None and stretched else None,
            exchange=read.pace.exchange if read.pace is not None else "",
        )
        return Reading(account, view, read, health, level)

    def _failed(self, account: Account, exc: ExchangeReadError, refresh: ActionId) -> Message:
        return message(
            fill(texts.STATUS_TITLE, label=account.label, venue=self._venue_label(account.venue)),
            "error",
            lines=(fill(texts.STATUS_READ_FAILED, label=account.label, reason=exc.user_message),),
            actions=(Action(refresh, texts.BUTTON_REFRESH, (account_ref(account.id),)),),
            private=True,
        )

    async def _status_of(self, caller: Caller, account: Account) -> Message:
        try:
            r = await self._read(caller, account)
        except ExchangeReadError as exc:
            return self._failed(account, exc, ActionId.REFRESH_STATUS)
        return status_message(
            r.view,
            r.health,
            now=self.clock(),
            notes=r.read.notes,
            approximate=r.read.approximate,
            level=r.level,
        )

    async def _positions_of(self, caller: Caller, account: Account) -> Message:
        try:
            r = await self._read(caller, account)
        except ExchangeReadError as exc:
            return self._failed(account, exc, ActionId.REFRESH_POSITIONS)
        marks = {p.symbol: (p.size, p.mark_price) for p in r.read.snapshot.positions}
        return positions_message(
            r.view,
            r.health,
            marks,
            now=self.clock(),
            notes=r.read.notes,
            approximate=r.read.approximate,
            level=r.level,
        )

    async def status(self, caller: Caller, account: str | None = None) -> Message:
        """One account's card; with several accounts and none named, one line for each."""
        require_private(caller)
        user = await self._user(caller)
        accounts = await self.store.read(lambda tx: tx.accounts.list_for_owner(user.id))
        if account or len(accounts) <= 1:
            return await self._status_of(caller, pick_account(accounts, account))
        return await self._overview(caller, accounts)

    async def _overview(self, caller: Caller, accounts: list[Account]) -> Message:
        async def one(account: Account) -> Reading | ExchangeReadError:
            try:
                return await self._read(caller, account)
            except ExchangeReadError as exc:
                return exc

        results = await asyncio.gather(*(one(a) for a in accounts))
        fields = []
        severity: Severity = "info"
        for account, result in zip(accounts, results, strict=True):
            name = fill(
                texts.STATUS_TITLE, label=account.label, venue=self._venue_label(account.venue)
            )
            if isinstance(result, ExchangeReadError):
                fields.append(Field(name, result.user_message, inline=False))
                severity = louder(severity, "error")
                continue
            health = result.health
            value = "; ".join(
                (
                    headline(health, result.level),
                    f"{ratio_name(health)} {fmt.ratio(health.ratio.value, account.venue)}",
                    f"{texts.STATUS_MOVE_LIQUIDATION}: "
                    + (
                        texts.STATUS_NO_MOVE
                        if health.move_to_liquidation is None
                        else fmt.move(health.move_to_liquidation)
                    ),
                )
            )
            fields.append(Field(name, value, inline=False))
            severity = louder(severity, severity_of(health, result.level))
        return message(
            texts.ACCOUNTS_TITLE,
            severity,
            fields=fields,
            private=True,
            footer=fill(texts.STATUS_AS_OF, time=fmt.utc_time(self.clock())),
        )

    async def positions(self, caller: Caller, account: str | None = None) -> Message:
        """The liquidation-price summary of one account."""
        require_private(caller)
        _, found = await self._own_account(caller, account)
        return await self._positions_of(caller, found)

    async def chart(
        self, caller: Caller, account: str | None = None, days: str | None = None
    ) -> Message:
        """The account's health history as a picture, with its figures in words beside it
        (the caption, and the picture's alt text)."""
        require_private(caller)
        # The registry checked the range (1-90) for every chat.
        span = int(days) if days else registry.CHART_DAYS_DEFAULT
        _, found = await self._own_account(caller, account)
        since = self.clock() - span * 86400
        sub = await self._subscription(caller, found)

        def gather(tx: Tx) -> tuple[list[HealthPoint], list[SentAlert]]:
            points = tx.history.series(found.id, since=since)
            sent = [] if sub is None else _sent_alerts(tx, sub.id, since)
            return points, sent

        points, sent = await self.store.read(gather)
        if not points:
            return message(
                fill(texts.CHART_TITLE, label=found.label),
                lines=(fill(texts.CHART_NO_HISTORY, label=found.label),),
                private=True,
            )
        data = chart_data(
            points,
            label=found.label,
            venue=found.venue,
            venue_label=self._venue_label(found.venue),
            thresholds=sub.thresholds if sub is not None else Thresholds(),
            alerts=sent,
            timezone=sub.timezone if sub is not None else "UTC",
            days=span,
        )
        png = await asyncio.to_thread(render_png, data)
        alt = " ".join(data.caption)
        return message(
            fill(texts.CHART_TITLE, label=found.label),
            _CHART_SEVERITY[data.level],
            lines=data.caption,
            image=Image(png, f"{found.label}-health.png".replace(" ", "_"), alt),
            private=True,
        )

    async def refresh(self, caller: Caller, ref: str, *, positions: bool = False) -> Message:
        """A refresh button: the same card, read again (only for the account's owner)."""
        _, account = await self._own_account_by_ref(caller, ref)
        if positions:
            return await self._positions_of(caller, account)
        return await self._status_of(caller, account)


# A chart's colour follows the level the account is at now (calm history reads neutral).
_CHART_SEVERITY: dict[str, Severity] = {
    "ok": "info",
    "watch": "watch",
    "margin_call": "margin_call",
    "critical": "critical",
}


def _sent_alerts(tx: Tx, subscription_id: int, since: float) -> list[SentAlert]:
    """The alerts delivered to the owner's private chat since a time (what the chart marks)."""
    out = []
    for row in tx.outbox.for_subscription(subscription_id, since=since):
        alert = row.payload.get(ALERT_KEY)
        if isinstance(alert, dict) and alert.get("level") in _CHART_SEVERITY:
            out.append(
                SentAlert(
                    row.delivered_at or row.created_at,
                    str(alert["level"]),
                    str(alert.get("kind", "")),
                )
            )
    return out
