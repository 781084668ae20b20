"""Linking, listing, unlinking accounts and deleting a user's data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core import format as fmt
from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Message, Refusal, account_ref, message
from bot.core.refs import fill
from bot.core.usecases.base import CoreBase, dm_destination, pick_account, require_private
from bot.core.views import AccountView, status_message
from bot.exchanges.budget import Priority
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.types import AccountRead, Credentials, VenueInfo
from bot.monitor.history import health_point
from bot.store.accounts import DuplicateAccount
from bot.store.records import User
from bot.store.tx import Tx
from bot.store.vault import AccountSecrets, VaultError

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$")
_TRUE = frozenset({"yes", "y", "true", "on", "1", "confirm"})
_FALSE = frozenset({"no", "n", "false", "off", "0"})
CREDENTIAL_FIELDS: tuple[str, ...] = ("api_key", "secret", "passphrase", "wallet_address")
_MAX_FIELD = 512


@dataclass(frozen=True, slots=True)
class LinkField:
    """One thing to ask for when linking: ``name`` is the credentials key core expects."""

    name: str
    label: str
    prompt: str
    secret: bool = True


@dataclass(frozen=True, slots=True)
class LinkForm:
    """What a chat must collect to link ``venue`` (a Discord modal, a Telegram conversation)."""

    venue: str
    venue_label: str
    fields: tuple[LinkField, ...]
    hint: str

    def title(self, limit: int) -> str:
        """The form's title within ``limit`` characters (Discord's modal takes 45): the
        longest catalogue wording that fits whole, never a word cut in half."""
        names = [self.venue_label]
        short = self.venue_label.split(" (")[0].strip()
        if short and short != self.venue_label:
            names.append(short)
        # The venue's full name matters more than the longer wording around it.
        for name in names:
            for template in texts.LINK_FORM_TITLES:
                title = fill(template, venue=name)
                if len(title) <= limit:
                    return title
        return fmt.clip_words(fill(texts.LINK_FORM_TITLES[-1], venue=names[-1]), limit)


def parse_bool(name: str, value: str | None) -> bool:
    if value is None or value == "":
        return False
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Refusal(fill(texts.NOT_A_BOOLEAN, name=name, value=value))


def required_fields(info: VenueInfo) -> tuple[str, ...]:
    """The credential parts a venue needs (see ``VenueAdapter.ccxt_credentials``)."""
    if info.needs_wallet_address:
        return ("wallet_address",)
    fields = ["api_key"]
    if info.needs_secret:
        fields.append("secret")
    if info.needs_passphrase:
        fields.append("passphrase")
    return tuple(fields)


class AccountUseCases(CoreBase):
    # --- venues -------------------------------------------------------------------------------

    def _venue(self, venue: str | None) -> VenueInfo:
        known = f"{', '.join(sorted(self.venues))}, {texts.LINK_GENERIC_VENUES}"
        wanted = (venue or "").strip().lower()
        info = self.venues.get(wanted)
        if info is None:
            # Accept the exchange's display name too ("Kraken", "OKX").
            info = next((v for v in self.venues.values() if v.label.lower() == wanted), None)
        if info is None:
            raise Refusal(fill(texts.LINK_UNKNOWN_VENUE, venue=venue or "?", venues=known))
        return info

    def _linkable(self, venue: str | None) -> VenueInfo:
        """The venue, if it can be linked here; refuses an unknown one, and one this process's
        exchange mode cannot read (no testnet), before any key is asked for."""
        info = self._venue(venue)
        reason = self.exchanges.unavailable(info.venue)
        if reason is not None:
            raise Refusal(reason)
        return info

    def link_form(self, venue: str | None) -> LinkForm:
        """The fields a chat must ask for to link ``venue``; refuses an unknown venue."""
        info = self._linkable(venue)
        fields = tuple(
            LinkField(
                name=name,
                label=texts.LINK_FIELD_NAMES[name],
                prompt=fill(texts.LINK_ASK_FIELD, field=texts.LINK_FIELD_NAMES[name]),
                secret=name != "wallet_address",
            )
            for name in required_fields(info)
        )
        return LinkForm(
            venue=info.venue,
            venue_label=info.label,
            fields=fields,
            hint=fill(texts.LINK_READ_ONLY_HINT, venue=info.label),
        )

    async def account_labels(self, caller: Caller) -> tuple[str, ...]:
        """The caller's account labels (for autocomplete); never anyone else's."""
        user = await self.store.read(lambda tx: tx.users.find(caller.platform, caller.user_id))
        if user is None:
            return ()
        accounts = await self.store.read(lambda tx: tx.accounts.list_for_owner(user.id))
        return tuple(a.label for a in accounts)

    # --- link ---------------------------------------------------------------------------------

    def _credentials(self, info: VenueInfo, given: Mapping[str, str | None]) -> Credentials:
        needed = required_fields(info)
        # A wallet-address venue may also take an optional API key pair (ccxt passes it on).
        allowed = set(needed) | ({"api_key", "secret"} if info.needs_wallet_address else set())
        for name, value in given.items():
            if name not in CREDENTIAL_FIELDS or (value and name not in allowed):
                field_name = texts.LINK_FIELD_NAMES.get(name, name)
                raise Refusal(fill(texts.LINK_UNEXPECTED_FIELD, venue=info.label, field=field_name))
        cleaned: dict[str, str] = {}
        for name in CREDENTIAL_FIELDS:
            value = (given.get(name) or "").strip()
            if not value:
                if name in needed:
                    raise Refusal(
                        fill(
                            texts.LINK_MISSING_FIELD,
                            venue=info.label,
                            field=texts.LINK_FIELD_NAMES[name],
                        )
                    )
                continue
            if any(ch.isspace() for ch in value) or len(value) > _MAX_FIELD:
                raise Refusal(fill(texts.LINK_BAD_FIELD, field=texts.LINK_FIELD_NAMES[name]))
            cleaned[name] = value
        return Credentials(
            api_key=cleaned.get("api_key", ""),
            secret=cleaned.get("secret", ""),
            passphrase=cleaned.get("passphrase"),
            wallet_address=cleaned.get("wallet_address"),
        )

    async def prepare_link(
        self, caller: Caller, venue: str | None, label: str | None = None
    ) -> LinkForm:
        """Everything :meth:`link` checks before it needs a key: private chat, a known venue
        this community allows, a valid label not yet taken, room for one more account.

        Chats call it before they open their key form (Discord's modal, Telegram's key
        conversation), so nobody pastes a key and secret only to be told the label was wrong.
        """
        require_private(caller)
        info = self._linkable(venue)
        await self._may_link(caller, info, label)
        return self.link_form(info.venue)

    async def _may_link(
        self, caller: Caller, info: VenueInfo, label: str | None
    ) -> tuple[User, str]:
        """The caller's user row and the label to use, or a Refusal saying what is wrong."""
        if caller.community_id is not None:
            settings = await self.store.read(
                lambda tx: tx.communities.get(caller.platform, caller.community_id or "")
            )
            if settings.allowed_venues and info.venue not in settings.allowed_venues:
                allowed = ", ".join(settings.allowed_venues)
                raise Refusal(fill(texts.LINK_VENUE_NOT_ALLOWED, venues=allowed))
        # A venue id may hold a ":" (generic:<id>), which a label may not.
        chosen = (label or info.venue.replace(":", "-")).strip()
        if not _LABEL.match(chosen):
            raise Refusal(fill(texts.LINK_BAD_LABEL, label=chosen))
        user = await self._user(caller)
        accounts = await self.store.read(lambda tx: tx.accounts.list_for_owner(user.id))
        if any(a.label.casefold() == chosen.casefold() for a in accounts):
            raise Refusal(fill(texts.LINK_LABEL_TAKEN, label=chosen))
        if len(accounts) >= self.limits.max_accounts_per_user:
            raise Refusal(
                fill(texts.LINK_TOO_MANY_ACCOUNTS, limit=self.limits.max_accounts_per_user)
            )
        return user, chosen

    async def link(
        self,
        caller: Caller,
        venue: str | None = None,
        label: str | None = None,
        credentials: Mapping[str, str | None] | None = None,
    ) -> Message:
        """Validate, check the key's rights, read once, then store the key encrypted.

        Nothing is written until the key passed the rights check and the first read worked,
        so every refusal leaves the store as it was. The checks of :meth:`prepare_link` run
        again here: time has passed since the form opened.
        """
        require_private(caller)
        info = self._linkable(venue)
        user, label = await self._may_link(caller, info, label)
        creds = self._credentials(info, credentials or {})

        lines: list[str] = []
        try:
            check = await self.exchanges.check_key(info.venue, creds)
            if not check.ok:
                raise Refusal(fill(texts.LINK_KEY_REFUSED, reason=check.message))
            if not check.can_report_rights:
                # The probe's own sentence says how to make the key read-only on that venue.
                lines.append(check.message or fill(texts.LINK_KEY_CANNOT_CHECK, venue=info.label))
            read: AccountRead = await self.exchanges.read_account(
                info.venue, creds, priority=Priority.LINK
            )
        except ExchangeReadError as exc:
            self.exchanges.forget(info.venue, creds)
            raise Refusal(fill(texts.LINK_READ_FAILED, reason=exc.user_message)) from None
        except Refusal:
            self.exchanges.forget(info.venue, creds)
            raise
        health = read.health()
        now = self.clock()
        secrets = AccountSecrets(
            api_key=creds.api_key or None,
            secret=creds.secret or None,
            passphrase=creds.passphrase,
            wallet_address=creds.wallet_address,
        )

        def store_it(tx: Tx) -> tuple[int, float | None]:
            account = tx.accounts.add(user.id, info.venue, label, secrets, now=now)
            sub = tx.subscriptions.add(
                account.id, dm_destination(caller.platform, caller.user_id), now=now
            )
            tx.history.add(health_point(account.id, health, now))
            return account.id, sub.snoozed_until

        try:
            account_id, snoozed = await self.store.run(store_it)
        except DuplicateAccount:
            raise Refusal(fill(texts.LINK_LABEL_TAKEN, label=label)) from None
        view = AccountView(account_id, label, info.venue, info.label, snoozed)
        card = status_message(
            view,
            health,
            now=now,
            notes=read.notes,
            approximate=read.approximate or info.approximate,
        )
        lines.insert(0, fill(texts.LINK_DONE, label=label, venue=info.label))
        return _prepend(card, lines)

    # --- list, unlink, delete -----------------------------------------------------------------

    async def list_accounts(self, caller: Caller) -> Message:
        require_private(caller)
        user = await self._user(caller)
        accounts = await self.store.read(lambda tx: tx.accounts.list_for_owner(user.id))
        if not accounts:
            return message(texts.ACCOUNTS_TITLE, lines=(fill(texts.ACCOUNTS_NONE),), private=True)
        lines = []
        for account in accounts:
            status = texts.ACCOUNT_STATUS.get(account.status, account.status)
            line = fill(
                texts.ACCOUNT_LINE,
                label=account.label,
                venue=self._venue_label(account.venue),
                status=status,
            )
            if account.last_error:
                line += f" ({account.last_error})"
            lines.append(line)
        return message(texts.ACCOUNTS_TITLE, lines=lines, private=True)

    async def unlink(
        self, caller: Caller, account: str | None = None, confirm: str | None = None
    ) -> Message:
        require_private(caller)
        _, found = await self._own_account(caller, account)
        if not parse_bool("confirm", confirm):
            return message(
                texts.LINK_TITLE,
                "watch",
                lines=(fill(texts.UNLINK_CONFIRM, label=found.label),),
                actions=(
                    Action(
                        ActionId.CONFIRM_UNLINK,
                        fill(texts.UNLINK_BUTTON, label=found.label),
                        (account_ref(found.id),),
                    ),
                ),
                private=True,
            )
        return await self._unlink(found.id, found.venue, found.label)

    async def _forget_cached(self, account_id: int, venue: str) -> None:
        """Drop the hub's client for an account about to be deleted (it holds the key)."""
        try:
            secrets = await self.store.read(lambda tx: tx.accounts.credentials(account_id))
        except (LookupError, ValueError, VaultError):
            return  # nothing usable was stored, so nothing is cached under it
        self.exchanges.forget(
            venue,
            Credentials(
                api_key=secrets.api_key or "",
                secret=secrets.secret or "",
                passphrase=secrets.passphrase,
                wallet_address=secrets.wallet_address,
            ),
        )

    async def _unlink(self, account_id: int, venue: str, label: str) -> Message:
        await self._forget_cached(account_id, venue)
        await self.store.delete_account(account_id)
        return message(
            texts.LINK_TITLE, "ok", lines=(fill(texts.UNLINK_DONE, label=label),), private=True
        )

    async def delete_my_data(self, caller: Caller, confirm: str | None = None) -> Message:
        require_private(caller)
        user = await self.store.read(lambda tx: tx.users.find(caller.platform, caller.user_id))
        if user is None:
            return message(texts.DONE, lines=(texts.DELETE_NOTHING,), private=True)
        if not parse_bool("confirm", confirm):
            return message(
                texts.DELETE_BUTTON,
                "watch",
                lines=(fill(texts.DELETE_CONFIRM),),
                actions=(Action(ActionId.CONFIRM_DELETE_MY_DATA, texts.DELETE_BUTTON),),
                private=True,
            )
        accounts = await self.store.read(lambda tx: tx.accounts.list_for_owner(user.id))
        for account in accounts:
            await self._forget_cached(account.id, account.venue)
        purged = await self.store.delete_user_data(user.id)
        return message(
            texts.DONE,
            "ok",
            lines=(fill(texts.DELETE_DONE, accounts=purged.accounts),),
            private=True,
        )


def _prepend(card: Message, lines: list[str]) -> Message:
    from dataclasses import replace

    return replace(card, lines=(*lines, *card.lines))


__all__ = ["AccountUseCases", "LinkField", "LinkForm", "parse_bool", "pick_account"]
