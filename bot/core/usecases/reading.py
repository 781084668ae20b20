"""Reading an account now: status, the liquidation-price summary, and the history chart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import risk
from bot.core import format as fmt
from bot.core import texts
from bot.core.chart import health_chart
from bot.core.identity import Caller
from bot.core.messages import (
    Action,
    ActionId,
    Field,
    Image,
    Message,
    Refusal,
    Severity,
    account_ref,
    louder,
    message,
)
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
from bot.monitor.policy import AlertRules, UserThresholds, judge_level
from bot.store.records import Account, Subscription
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
        thresholds = UserThresholds(**sub.thresholds.as_dict()) if sub else UserThresholds()
        level = judge_level(health, AlertRules(thresholds=thresholds))
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
            texts.STATUS_TITLE.format(label=account.label, venue=self._venue_label(account.venue)),
            "error",
            lines=(texts.STATUS_READ_FAILED.format(label=account.label, reason=exc.user_message),),
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
            name = texts.STATUS_TITLE.format(
                label=account.label, venue=self._venue_label(account.venue)
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
            footer=texts.STATUS_AS_OF.format(time=fmt.utc_time(self.clock())),
        )

    async def positions(self, caller: Caller, account: str | None = None) -> Message:
        """The liquidation-price summary of one account."""
        require_private(caller)
        _, found = await self._own_account(caller, account)
        return await self._positions_of(caller, found)

    async def chart(
        self, caller: Caller, account: str | None = None, days: str | None = None
    ) -> Message:
        require_private(caller)
        span = 7
        if days:
            if not days.strip().isdigit() or not 1 <= int(days) <= self.limits.chart_max_days:
                raise Refusal(texts.CHART_BAD_DAYS.format(value=days))
            span = int(days)
        _, found = await self._own_account(caller, account)
        since = self.clock() - span * 86400
        points = await self.store.read(lambda tx: tx.history.series(found.id, since=since))
        if not points:
            return message(
                texts.CHART_TITLE.format(label=found.label),
                lines=(texts.CHART_NO_HISTORY.format(label=found.label),),
                private=True,
            )
        name = points[-1].ratio_name or ""
        label = texts.RATIO_NAMES.get(name, name.replace("_", " ").title())
        title = texts.CHART_TITLE.format(label=found.label)
        png = await asyncio.to_thread(
            health_chart, points, venue=found.venue, title=title, ratio_label=label
        )
        return message(
            title,
            image=Image(png, f"{found.label}-health.png".replace(" ", "_"), title),
            private=True,
        )

    async def refresh(self, caller: Caller, ref: str, *, positions: bool = False) -> Message:
        """A refresh button: the same card, read again (only for the account's owner)."""
        _, account = await self._own_account_by_ref(caller, ref)
        if positions:
            return await self._positions_of(caller, account)
        return await self._status_of(caller, account)
