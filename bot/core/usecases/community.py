"""A community's side: members sending their alerts to its channel, and moderators' controls.

Every moderator action is written to the community's audit log in the same transaction as the
change it describes.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core import format as fmt
from bot.core import registry, texts
from bot.core.identity import Caller
from bot.core.messages import Field, Message, Refusal, message
from bot.core.refs import ChannelRef, RoleRef, UserRef, clip, fill, join, ref_text
from bot.core.usecases.accounts import parse_bool
from bot.core.usecases.base import CoreBase, require_community, require_moderator
from bot.core.usecases.preferences import CRITICAL_RANGE, WATCH_RANGE, parse_percent_in, share_label
from bot.store.records import SHARE_LEVELS, AuditEntry, CommunitySettings, Destination, Subscription
from bot.store.tx import Tx


class CommunityUseCases(CoreBase):
    def _audit_in(
        self,
        tx: Tx,
        caller: Caller,
        action: str,
        *,
        target: str | None = None,
        detail: str | None = None,
    ) -> None:
        # The moderator gets a user row so the log can show a name next to the id.
        tx.users.ensure(
            caller.platform,
            caller.user_id,
            now=self.clock(),
            display_name=caller.display_name or None,
        )
        tx.audit.record(
            now=self.clock(),
            actor_platform=caller.platform,
            actor_id=caller.user_id,
            action=action,
            community_id=caller.community_id,
            target=target,
            detail=detail,
        )

    async def _settings(self, caller: Caller, community: str) -> CommunitySettings:
        return await self.store.read(lambda tx: tx.communities.get(caller.platform, community))

    # --- members ------------------------------------------------------------------------------

    async def subscribe(self, caller: Caller, account: str | None = None) -> Message:
        """Send one of the caller's own accounts' alerts to the community's alert channel."""
        community = require_community(caller)
        settings = await self._settings(caller, community)
        if not settings.enabled:
            raise Refusal(texts.COMMUNITY_DISABLED)
        if settings.alert_channel_id is None:
            raise Refusal(fill(texts.SUBSCRIBE_NO_CHANNEL))
        _, found = await self._own_account(caller, account)
        if settings.allowed_venues and found.venue not in settings.allowed_venues:
            raise Refusal(
                fill(texts.LINK_VENUE_NOT_ALLOWED, venues=", ".join(settings.allowed_venues))
            )
        destination = Destination(
            platform=caller.platform,
            chat_id=settings.alert_channel_id,
            thread_id=settings.alert_thread_id,
        )
        now = self.clock()

        def work(tx: Tx) -> Subscription | None:
            if tx.subscriptions.find(found.id, destination) is not None:
                return None
            # The owner's choice (kept on the private subscription) wins over the default.
            own = [
                s.share
                for s in tx.subscriptions.for_account(found.id)
                if s.destination.is_dm and s.share != "none"
            ]
            share = own[0] if own else settings.default_share
            return tx.subscriptions.add(
                found.id,
                destination,
                now=now,
                community_id=community,
                thresholds=settings.default_thresholds,
                share=share,
            )

        sub = await self.store.run(work)
        if sub is None:
            return message(fill(texts.SUBSCRIBE_ALREADY, label=found.label), "info")
        return message(
            fill(texts.SUBSCRIBE_DONE, label=found.label, level=share_label(sub.share)), "ok"
        )

    async def unsubscribe(self, caller: Caller, account: str | None = None) -> Message:
        community = require_community(caller)
        _, found = await self._own_account(caller, account)

        def work(tx: Tx) -> int:
            subs = [
                s
                for s in tx.subscriptions.for_account(found.id)
                if s.community_id == community and s.destination.platform == caller.platform
            ]
            return sum(tx.subscriptions.remove(s.id) for s in subs)

        removed = await self.store.run(work)
        text = texts.UNSUBSCRIBE_DONE if removed else texts.UNSUBSCRIBE_NOT
        return message(fill(text, label=found.label), "ok" if removed else "info")

    # --- moderators ---------------------------------------------------------------------------

    async def set_alert_channel(self, caller: Caller, channel: str | None = None) -> Message:
        """Make a channel (default: where the command was typed, in its topic) the community's
        alert channel; members' existing community subscriptions move with it."""
        community = require_moderator(caller)
        if channel:
            chat_id, thread_id = channel.strip(), None
        else:
            chat_id, thread_id = caller.chat_id, caller.topic_id
        where = _channel_ref(caller, chat_id, thread_id)
        now = self.clock()
        new_destination = Destination(
            platform=caller.platform, chat_id=chat_id, thread_id=thread_id
        )

        def work(tx: Tx) -> None:
            settings = tx.communities.get(caller.platform, community)
            tx.communities.save(
                replace(settings, alert_channel_id=chat_id, alert_thread_id=thread_id), now=now
            )
            for sub in tx.subscriptions.for_community(caller.platform, community):
                if sub.destination == new_destination:
                    continue
                tx.subscriptions.remove(sub.id)
                if tx.subscriptions.find(sub.account_id, new_destination) is None:
                    tx.subscriptions.add(
                        sub.account_id,
                        new_destination,
                        now=now,
                        community_id=community,
                        thresholds=sub.thresholds,
                        share=sub.share,
                    )
            detail = chat_id + (f" topic {thread_id}" if thread_id else "")
            self._audit_in(tx, caller, "set_alert_channel", target=chat_id, detail=detail)

        await self.store.run(work)
        # In a line, not the title: a chat renders mentions in the body only (Discord).
        return message(
            texts.SETTINGS_ALERT_CHANNEL, "ok", lines=(fill(texts.SETALERTS_DONE, channel=where),)
        )

    def _settings_message(
        self, caller: Caller, settings: CommunitySettings, saved: bool
    ) -> Message:
        channel: str = texts.SETTINGS_NO_CHANNEL
        if settings.alert_channel_id:
            channel = ref_text(
                _channel_ref(caller, settings.alert_channel_id, settings.alert_thread_id)
            )
        defaults = settings.default_thresholds
        fields: tuple[Field, ...] = (
            Field(texts.SETTINGS_ALERT_CHANNEL, channel),
            Field(
                texts.SETTINGS_ENABLED,
                texts.SETTINGS_ON if settings.enabled else texts.SETTINGS_OFF,
            ),
            Field(
                texts.SETTINGS_VENUES,
                ", ".join(settings.allowed_venues) or texts.SETTINGS_ALL_VENUES,
            ),
            Field(texts.SETTINGS_DEFAULT_WATCH, fmt.percent(defaults.watch_move)),
            Field(texts.SETTINGS_DEFAULT_CRITICAL, fmt.percent(defaults.critical_move)),
            Field(texts.SETTINGS_DEFAULT_SHARE, share_label(settings.default_share)),
        )
        if settings.platform == "discord":
            role = settings.moderator_role_id
            fields += (
                Field(
                    texts.SETTINGS_ROLE,
                    ref_text(RoleRef(role)) if role else texts.SETTINGS_NO_ROLE,
                ),
            )
        return message(
            texts.SETTINGS_TITLE,
            "ok" if saved else "info",
            lines=(texts.SETTINGS_SAVED,) if saved else (),
            fields=fields,
            private=True,
        )

    async def community_settings(
        self,
        caller: Caller,
        watch: str | None = None,
        critical: str | None = None,
        venues: str | None = None,
        enabled: str | None = None,
        share: str | None = None,
        role: str | None = None,
    ) -> Message:
        """Show the community's settings, or change the ones given (validated first)."""
        community = require_moderator(caller)
        settings = await self._settings(caller, community)
        if not (watch or critical or venues or enabled or share or role):
            return self._settings_message(caller, settings, saved=False)
        defaults = settings.default_thresholds
        changes: list[str] = []
        if watch:
            defaults = replace(defaults, watch_move=parse_percent_in("watch", watch, *WATCH_RANGE))
            changes.append(f"watch={fmt.percent(defaults.watch_move)}")
        if critical:
            defaults = replace(
                defaults, critical_move=parse_percent_in("critical", critical, *CRITICAL_RANGE)
            )
            changes.append(f"critical={fmt.percent(defaults.critical_move)}")
        if (
            defaults.watch_move is not None
            and defaults.critical_move is not None
            and defaults.critical_move >= defaults.watch_move
        ):
            raise Refusal(
                fill(
                    texts.ALERTS_ORDER,
                    critical=fmt.percent(defaults.critical_move),
                    watch=fmt.percent(defaults.watch_move),
                )
            )
        allowed = settings.allowed_venues
        if venues:
            allowed = self._parse_venues(venues)
            changes.append("venues=" + (",".join(allowed) or "all"))
        is_enabled = settings.enabled
        if enabled:
            is_enabled = parse_bool("enabled", enabled)
            changes.append(f"enabled={'on' if is_enabled else 'off'}")
        default_share = settings.default_share
        if share:
            default_share = share.strip().lower()
            if default_share not in SHARE_LEVELS:
                raise Refusal(
                    fill(
                        texts.ARGS_NOT_A_CHOICE,
                        name="share",
                        value=share,
                        allowed=", ".join(SHARE_LEVELS),
                    )
                )
            changes.append(f"share={default_share}")
        role_id = settings.moderator_role_id
        if role:
            if caller.platform != "discord":
                raise Refusal(texts.SETTINGS_ROLE_NOT_HERE)
            cleaned = role.strip().removeprefix("<@&").removesuffix(">")
            if cleaned.lower() == "none":
                role_id = None
            elif cleaned.isdigit():
                role_id = cleaned
            else:
                raise Refusal(fill(texts.SETTINGS_BAD_ROLE, value=role))
            changes.append(f"role={role_id or 'none'}")
        new = replace(
            settings,
            default_thresholds=defaults,
            allowed_venues=allowed,
            enabled=is_enabled,
            default_share=default_share,
            moderator_role_id=role_id,
        )
        now = self.clock()

        def work(tx: Tx) -> CommunitySettings:
            saved = tx.communities.save(new, now=now)
            if defaults != settings.default_thresholds:
                # Channel subscriptions follow the community's defaults.
                for sub in tx.subscriptions.for_community(caller.platform, community):
                    tx.subscriptions.set_thresholds(sub.id, defaults)
            self._audit_in(tx, caller, "settings", detail=" ".join(changes))
            return saved

        saved = await self.store.run(work)
        return self._settings_message(caller, saved, saved=True)

    def _parse_venues(self, text: str) -> tuple[str, ...]:
        if text.strip().lower() == "all":
            return ()
        known = ", ".join(sorted(self.venues))
        chosen: list[str] = []
        for part in text.replace(";", ",").replace(" ", ",").split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in self.venues:
                raise Refusal(fill(texts.SETTINGS_BAD_VENUE, venue=part.strip(), venues=known))
            if name not in chosen:
                chosen.append(name)
        if not chosen:
            raise Refusal(fill(texts.SETTINGS_BAD_VENUE, venue=text, venues=known))
        return tuple(chosen)

    async def moderator_role_ids(self, platform: str, community_id: str) -> tuple[str, ...]:
        """The role ids a community configured as moderators (Discord); checked by the adapter
        at run time next to Manage Server."""
        settings = await self.store.read(lambda tx: tx.communities.get(platform, community_id))
        return (settings.moderator_role_id,) if settings.moderator_role_id else ()

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> int:
        """A chat got a new id (Telegram: a group upgraded to a supergroup). Its subscriptions,
        queued alerts and community settings follow it; returns how many subscriptions moved."""
        now = self.clock()

        def work(tx: Tx) -> int:
            moved = tx.move_chat(platform, old_chat_id, new_chat_id)
            tx.audit.record(
                now=now,
                actor_platform=platform,
                actor_id="marginwatch",
                action="chat_moved",
                community_id=new_chat_id,
                target=old_chat_id,  # kept for support; moderators read only the count
                detail=f"{moved} subscription(s)",
            )
            return moved

        return await self.store.run(work)

    async def forget_community(self, platform: str, community_id: str) -> int:
        """The bot left a server or group: drop its settings and the subscriptions that posted
        there (members' accounts and private alerts stay). Returns how many were removed."""
        now = self.clock()

        def work(tx: Tx) -> int:
            subs = tx.subscriptions.for_community(platform, community_id)
            removed = sum(int(tx.subscriptions.remove(s.id)) for s in subs)
            tx.communities.remove(platform, community_id)
            tx.audit.record(
                now=now,
                actor_platform=platform,
                actor_id="marginwatch",
                action="community_forgotten",
                community_id=community_id,
                detail=f"{removed} subscription(s)",
            )
            return removed

        return await self.store.run(work)

    async def list_subscribers(self, caller: Caller) -> Message:
        """Who sends alerts here: member, account label, venue and what they share. Never a
        balance or any figure."""
        community = require_moderator(caller)

        def work(tx: Tx) -> list[str]:
            lines = []
            for sub in tx.subscriptions.for_community(caller.platform, community):
                account = tx.accounts.get(sub.account_id)
                if account is None:
                    continue
                owner = tx.users.get(account.owner_id)
                member = (
                    UserRef(owner.platform_user_id, owner.display_name or "")
                    if owner
                    else UserRef()
                )
                lines.append(
                    fill(
                        texts.SUBSCRIBER_LINE,
                        member=member,
                        label=account.label,
                        venue=self._venue_label(account.venue),
                        level=share_label(sub.share),
                    )
                )
            return lines

        lines = await self.store.read(work)
        return message(
            texts.SUBSCRIBERS_TITLE, lines=lines or (texts.SUBSCRIBERS_NONE,), private=True
        )

    async def remove_subscriber(
        self, caller: Caller, member: str | None = None, account: str | None = None
    ) -> Message:
        """Stop a member's alerts in this community (their accounts and DMs are untouched)."""
        community = require_moderator(caller)
        if not member or not member.strip():
            raise Refusal(texts.REMOVE_BAD_MEMBER)
        wanted = member.strip().lstrip("@")
        found: list[UserRef] = []

        def work(tx: Tx) -> int:
            removed = 0
            for sub in tx.subscriptions.for_community(caller.platform, community):
                acct = tx.accounts.get(sub.account_id)
                owner = None if acct is None else tx.users.get(acct.owner_id)
                if acct is None or owner is None:
                    continue
                # Adapters pass the member's platform id; a display name is accepted for
                # chats where a mention cannot be resolved to an id (Telegram @names).
                if wanted not in (owner.platform_user_id, owner.display_name):
                    continue
                if account and acct.label.casefold() != account.strip().casefold():
                    continue
                removed += int(tx.subscriptions.remove(sub.id))
                found[:] = [UserRef(owner.platform_user_id, owner.display_name or "")]
            if removed:
                self._audit_in(
                    tx,
                    caller,
                    "remove_subscriber",
                    target=found[0].id,  # the member's id, however the moderator named them
                    detail=f"{removed} subscription(s)"
                    + (f", account {account.strip()}" if account else ""),
                )
            return removed

        removed = await self.store.run(work)
        if not removed:
            # Echo who was meant: a Discord member option is an id (the chat mentions it, and
            # the name is known if they ever used the bot), a Telegram @name is a name.
            typed = clip(wanted)
            known = await self.store.read(lambda tx: tx.users.find(caller.platform, typed))
            name = (known.display_name or "") if known else ""
            person = UserRef(typed, name) if typed.isdigit() else UserRef("", typed)
            line = fill(texts.REMOVE_NONE, member=person)
            return message(texts.SUBSCRIBERS_TITLE, "info", lines=(line,), private=True)
        line = fill(texts.REMOVE_DONE, count=removed, member=found[0])
        return message(texts.SUBSCRIBERS_TITLE, "ok", lines=(line,), private=True)

    async def audit_log(self, caller: Caller, limit: str | None = None) -> Message:
        community = require_moderator(caller)
        # The registry checked the range (1-50) for every chat.
        count = int(limit) if limit else registry.AUDIT_ENTRIES_DEFAULT

        def work(tx: Tx) -> list[str]:
            lines = []
            for entry in tx.audit.for_community(caller.platform, community, limit=count):
                user = tx.users.find(caller.platform, entry.actor_id)
                actor = UserRef(entry.actor_id, (user.display_name or "") if user else "")
                if entry.actor_id == "marginwatch":  # the bot's own housekeeping
                    actor = UserRef("", texts.PRODUCT)
                lines.append(
                    fill(
                        texts.AUDIT_LINE,
                        time=fmt.utc_time(entry.at),
                        actor=actor,
                        action=entry.action.replace("_", " "),
                        detail=_audit_detail(tx, caller, entry),
                    )
                )
            return lines

        lines = await self.store.read(work)
        return message(texts.AUDIT_TITLE, lines=lines or (texts.AUDIT_NONE,), private=True)


def _channel_ref(caller: Caller, chat_id: str, thread_id: str | None) -> ChannelRef:
    """A channel as a reference, marked ``here`` when it is where the caller is typing."""
    here = chat_id == caller.chat_id and (thread_id or None) == (caller.topic_id or None)
    return ChannelRef(chat_id, thread_id, here=here)


_ROLE_SETTING = re.compile(r"\brole=(\d+)")
_OLD_MOVE_DETAIL = re.compile(r"^from -?\d+: ")  # how chat_moved rows were written before


def _audit_detail(tx: Tx, caller: Caller, entry: AuditEntry) -> str:
    """An audit entry's detail for moderators to read: channels, roles and members as
    references (the stored detail keeps the ids for support)."""
    detail = entry.detail or ""
    if entry.action == "set_alert_channel" and entry.target:
        thread = detail.split(" topic ", 1)[1] if " topic " in detail else None
        return ref_text(_channel_ref(caller, entry.target, thread))
    if entry.action == "remove_subscriber" and entry.target:
        user = tx.users.find(caller.platform, entry.target)
        if user is not None:
            person = UserRef(entry.target, user.display_name or "")
        elif entry.target.isdigit():
            person = UserRef(entry.target)
        else:  # written by a version that kept the name typed
            person = UserRef("", entry.target)
        return join(" ", [ref_text(person), detail])
    if entry.action == "chat_moved":
        return _OLD_MOVE_DETAIL.sub("", detail)
    pieces: list[str] = []
    last = 0
    for match in _ROLE_SETTING.finditer(detail):
        pieces += [detail[last : match.start()], "role=", ref_text(RoleRef(match.group(1)))]
        last = match.end()
    pieces.append(detail[last:])
    return join("", pieces)
