"""The owner's alert preferences: thresholds, snooze, digest schedule and what a channel sees."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import replace

from bot.core import format as fmt
from bot.core import suggest, texts
from bot.core.identity import Caller
from bot.core.messages import (
    Action,
    ActionId,
    Field,
    Message,
    Refusal,
    account_ref,
    message,
)
from bot.core.refs import fill
from bot.core.registry import CRITICAL_PERCENT, WATCH_PERCENT, WEEKDAY_CHOICES
from bot.core.usecases.base import CoreBase, dm_subscription, require_private
from bot.core.views import critical_distance
from bot.monitor.policy import AlertRules
from bot.store.records import SHARE_LEVELS, Account, Subscription, Thresholds
from bot.store.tx import Tx
from risk.profiles import PROFILES, VenueProfile

# The registry's bounds for "a move of X % would liquidate me", as fractions.
WATCH_RANGE = (WATCH_PERCENT[0] / 100, WATCH_PERCENT[1] / 100)
CRITICAL_RANGE = (CRITICAL_PERCENT[0] / 100, CRITICAL_PERCENT[1] / 100)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|h|hr|hrs|d|day|days)?\s*$", re.I)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
WEEKDAYS: tuple[str, ...] = tuple(c.value for c in WEEKDAY_CHOICES)


def profile_of(venue: str) -> VenueProfile:
    """The venue's rule profile; venues read through ccxt's unified calls use ``generic``."""
    return PROFILES.get(venue) or PROFILES["generic"]


def parse_percent_in(name: str, value: str, low: float, high: float) -> float:
    parsed = fmt.parse_percent(value)
    if parsed is None or not low <= parsed <= high:
        raise Refusal(
            fill(
                texts.ALERTS_BAD_PERCENT,
                name=name.capitalize(),
                low=fmt.percent(low),
                high=fmt.percent(high),
                value=value,
            )
        )
    return parsed


def parse_level(value: str, venue: str, venue_label: str) -> float:
    """A watch level in the venue's ratio, checked to lie on the safe side of liquidation."""
    profile = profile_of(venue)
    ratio = texts.RATIO_NAMES.get(profile.ratio_name, profile.ratio_name)
    example = fmt.ratio(profile.warning, venue)
    parsed = fmt.parse_ratio(value, venue)
    if parsed is None:
        raise Refusal(
            fill(
                texts.ALERTS_BAD_LEVEL, venue=venue_label, ratio=ratio, example=example, value=value
            )
        )
    if profile.safer == "lower":
        inside = 0 < parsed < profile.liquidation
        far = fmt.ratio(0.0, venue)
    else:
        inside = profile.liquidation < parsed <= profile.liquidation * 20
        far = fmt.ratio(profile.liquidation * 20, venue)
    if not inside:
        raise Refusal(
            fill(
                texts.ALERTS_LEVEL_OUTSIDE,
                venue=venue_label,
                liquidation=fmt.ratio(profile.liquidation, venue),
                far=far,
                value=fmt.ratio(parsed, venue),
            )
        )
    return parsed


def parse_duration(value: str | None, low: float, high: float) -> float:
    """``30m``, ``4h``, ``1d`` (a bare number is hours) -> seconds within [low, high]."""
    match = _DURATION.match(value or "1h")
    if match is None:
        raise Refusal(fill(texts.SNOOZE_BAD, value=value))
    unit = (match.group(2) or "h")[0].lower()
    seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if not low <= seconds <= high:
        raise Refusal(fill(texts.SNOOZE_BAD, value=value))
    return seconds


def parse_time(value: str) -> str:
    match = _TIME.match(value)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Refusal(fill(texts.DIGEST_BAD_TIME, value=value))
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_timezone(value: str) -> str:
    name = value.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        sentence = fill(texts.DIGEST_BAD_TIMEZONE, value=value)
        # A close name, when there is one, is the fastest way to a valid answer.
        close = suggest.timezones(name.replace(" ", "_"), limit=3) if len(name) >= 3 else ()
        if close:
            sentence += " " + fill(
                texts.DIGEST_TIMEZONE_GUESS, zones=texts.DIGEST_TIMEZONE_OR.join(close)
            )
        raise Refusal(sentence) from None
    return name


def share_label(share: str) -> str:
    return texts.SHARE_LEVEL_NAMES.get(share, share)


class PreferenceUseCases(CoreBase):
    async def _own_dm(self, caller: Caller, label: str | None) -> tuple[Account, Subscription]:
        _, account = await self._own_account(caller, label)
        now = self.clock()
        sub = await self.store.run(
            lambda tx: dm_subscription(tx, account, caller.platform, caller.user_id, now=now)
        )
        return account, sub

    # --- thresholds ---------------------------------------------------------------------------

    def _thresholds_message(self, account: Account, thresholds: Thresholds, saved: bool) -> Message:
        venue = account.venue
        venue_label = self._venue_label(venue)
        profile = profile_of(venue)
        critical = critical_distance(thresholds)
        ratio = texts.RATIO_NAMES.get(profile.ratio_name, profile.ratio_name)
        watch = []
        if thresholds.watch_ratio is not None:
            watch.append(
                fill(
                    texts.ALERTS_WATCH_LEVEL,
                    ratio=ratio,
                    level=fmt.ratio(thresholds.watch_ratio, venue),
                )
            )
        if thresholds.watch_move is not None:
            watch.append(fill(texts.ALERTS_WATCH, move=fmt.percent(thresholds.watch_move)))
        if not watch:
            watch.append(
                fill(
                    texts.ALERTS_WATCH_DEFAULT, ratio=ratio, level=fmt.ratio(profile.warning, venue)
                )
            )
        fields = [Field(texts.ALERTS_WATCH_NAME, "; ".join(watch), inline=False)]
        if critical is not None:
            fields.append(
                Field(
                    texts.ALERTS_CRITICAL_NAME,
                    fill(texts.ALERTS_CRITICAL, move=fmt.percent(critical)),
                    inline=False,
                )
            )
        lines = [
            fill(
                texts.ALERTS_VENUE_LEVELS,
                venue=venue_label,
                call=fmt.ratio(profile.margin_call, venue),
                liquidation=fmt.ratio(profile.liquidation, venue),
            )
        ]
        if saved:
            lines.insert(0, texts.ALERTS_SAVED)
        return message(
            fill(texts.ALERTS_TITLE, label=account.label),
            "ok" if saved else "info",
            lines=lines,
            fields=fields,
            private=True,
        )

    async def alerts(
        self,
        caller: Caller,
        account: str | None = None,
        watch: str | None = None,
        critical: str | None = None,
        level: str | None = None,
    ) -> Message:
        """Show the account's thresholds, or set the ones given (all validated before saving)."""
        require_private(caller)
        found, sub = await self._own_dm(caller, account)
        current = sub.thresholds
        if not (watch or critical or level):
            return self._thresholds_message(found, current, saved=False)
        new = current
        if watch:
            new = replace(new, watch_move=parse_percent_in("watch", watch, *WATCH_RANGE))
        if critical:
            new = replace(
                new, critical_move=parse_percent_in("critical", critical, *CRITICAL_RANGE)
            )
        if level:
            new = replace(
                new, watch_ratio=parse_level(level, found.venue, self._venue_label(found.venue))
            )
        effective_critical = new.critical_move or AlertRules().default_critical_move
        if new.watch_move is not None and effective_critical >= new.watch_move:
            raise Refusal(
                fill(
                    texts.ALERTS_ORDER,
                    critical=fmt.percent(effective_critical),
                    watch=fmt.percent(new.watch_move),
                )
            )
        saved = await self.store.run(lambda tx: tx.subscriptions.set_thresholds(sub.id, new))
        return self._thresholds_message(found, saved.thresholds, saved=True)

    # --- snooze -------------------------------------------------------------------------------

    async def snooze(
        self, caller: Caller, account: str | None = None, duration: str | None = None
    ) -> Message:
        require_private(caller)
        _, found = await self._own_account(caller, account)
        return await self._snooze(found, duration)

    async def _snooze(self, account: Account, duration: str | None) -> Message:
        seconds = parse_duration(
            duration, self.limits.snooze_min_seconds, self.limits.snooze_max_seconds
        )
        until = self.clock() + seconds

        # Every subscription of the account: reminders are the owner's to pause, wherever
        # they go. The policy still lets an escalation to critical through.
        def work(tx: Tx) -> None:
            for sub in tx.subscriptions.for_account(account.id):
                tx.subscriptions.snooze(sub.id, until)

        await self.store.run(work)
        return message(
            fill(texts.SNOOZE_DONE, label=account.label, until=fmt.utc_time(until)),
            "info",
            actions=(Action(ActionId.UNSNOOZE, texts.BUTTON_UNSNOOZE, (account_ref(account.id),)),),
            private=True,
        )

    async def unsnooze(self, caller: Caller, account: str | None = None) -> Message:
        require_private(caller)
        _, found = await self._own_account(caller, account)
        return await self._unsnooze(found)

    async def _unsnooze(self, account: Account) -> Message:
        now = self.clock()

        def work(tx: Tx) -> bool:
            was = False
            for sub in tx.subscriptions.for_account(account.id):
                if sub.snoozed_until is not None and sub.snoozed_until > now:
                    was = True
                if sub.snoozed_until is not None:
                    tx.subscriptions.snooze(sub.id, None)
            return was

        was_snoozed = await self.store.run(work)
        text = texts.UNSNOOZE_DONE if was_snoozed else texts.UNSNOOZE_NOT_SNOOZED
        return message(fill(text, label=account.label), "info", private=True)

    # --- digest -------------------------------------------------------------------------------

    def _digest_message(self, account: Account, sub: Subscription, saved: bool) -> Message:
        if sub.digest == "off":
            line = fill(texts.DIGEST_OFF, label=account.label)
        elif sub.digest == "weekly":
            day = WEEKDAY_CHOICES[sub.digest_weekday or 0].label
            line = fill(
                texts.DIGEST_ON_WEEKLY, weekday=day, time=sub.digest_time, timezone=sub.timezone
            )
        else:
            line = fill(texts.DIGEST_ON_DAILY, time=sub.digest_time, timezone=sub.timezone)
        lines = [texts.SETTINGS_SAVED, line] if saved else [line]
        return message(
            fill(texts.DIGEST_TITLE, label=account.label),
            "ok" if saved else "info",
            lines=lines,
            private=True,
        )

    async def digest(
        self,
        caller: Caller,
        account: str | None = None,
        schedule: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        weekday: str | None = None,
    ) -> Message:
        require_private(caller)
        found, sub = await self._own_dm(caller, account)
        if not (schedule or time or timezone or weekday):
            return self._digest_message(found, sub, saved=False)
        new_schedule = sub.digest
        if schedule:
            new_schedule = schedule.strip().lower()
            if new_schedule not in ("off", "daily", "weekly"):
                raise Refusal(
                    fill(
                        texts.ARGS_NOT_A_CHOICE,
                        name="schedule",
                        value=schedule,
                        allowed="off, daily, weekly",
                    )
                )
        new_time = parse_time(time) if time else sub.digest_time
        new_zone = parse_timezone(timezone) if timezone else sub.timezone
        new_weekday = sub.digest_weekday
        if weekday:
            key = weekday.strip().lower()[:3]
            if key not in WEEKDAYS:
                raise Refusal(
                    fill(
                        texts.ARGS_NOT_A_CHOICE,
                        name="weekday",
                        value=weekday,
                        allowed=", ".join(WEEKDAYS),
                    )
                )
            new_weekday = WEEKDAYS.index(key)
            if not schedule:
                new_schedule = "weekly"
        if new_schedule == "off" and not schedule and (time or timezone):
            new_schedule = "daily"  # giving a time asks for a digest
        if new_schedule == "weekly" and new_weekday is None:
            new_weekday = 0
        saved = await self.store.run(
            lambda tx: tx.subscriptions.set_digest(
                sub.id,
                new_schedule,
                digest_time=new_time,
                digest_weekday=new_weekday if new_schedule == "weekly" else None,
                timezone=new_zone,
            )
        )
        return self._digest_message(found, saved, saved=True)

    # --- share --------------------------------------------------------------------------------

    async def share(
        self, caller: Caller, account: str | None = None, level: str | None = None
    ) -> Message:
        """What community channels see of this account's alerts (never balances).

        The private subscription keeps the owner's choice; every community subscription of the
        account follows it at once.
        """
        require_private(caller)
        found, sub = await self._own_dm(caller, account)
        title = fill(texts.SHARE_TITLE, label=found.label)
        if not level:
            return message(
                title, lines=(fill(texts.SHARE_NOW, level=share_label(sub.share)),), private=True
            )
        choice = level.strip().lower()
        if choice not in SHARE_LEVELS:
            raise Refusal(
                fill(
                    texts.ARGS_NOT_A_CHOICE,
                    name="level",
                    value=level,
                    allowed=", ".join(SHARE_LEVELS),
                )
            )

        def work(tx: Tx) -> None:
            for each in tx.subscriptions.for_account(found.id):
                tx.subscriptions.set_share(each.id, choice)

        await self.store.run(work)
        return message(
            title, "ok", lines=(fill(texts.SHARE_SAVED, level=share_label(choice)),), private=True
        )
