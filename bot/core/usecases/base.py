"""What every use case shares: dependencies, who the caller is, and the ownership rule."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import texts
from bot.core.flood import Admission, FloodGate
from bot.core.identity import Caller
from bot.core.messages import Refusal, parse_ref
from bot.core.ports import ExchangePort, StorePort, VenueCatalogue
from bot.core.refs import fill
from bot.store.records import Account, Destination, Subscription, User
from bot.store.tx import Tx

log = logging.getLogger("marginwatch.core")


@dataclass(frozen=True, slots=True)
class Limits:
    """Product limits a community operator may want to tune."""

    max_accounts_per_user: int = 10
    snooze_min_seconds: float = 5 * 60
    snooze_max_seconds: float = 7 * 86400


def dm_destination(caller_platform: str, user_id: str) -> Destination:
    """A user's private alerts: on every platform the DM is addressed by the user's own id
    (Telegram's private chat id equals the user id; Discord adapters open the DM channel)."""
    return Destination(platform=caller_platform, chat_id=user_id, is_dm=True)


def require_private(caller: Caller) -> None:
    if not caller.replies_privately:
        raise Refusal(texts.NEEDS_PRIVATE)


def require_community(caller: Caller) -> str:
    if caller.community_id is None:
        raise Refusal(texts.NEEDS_COMMUNITY)
    return caller.community_id


def require_moderator(caller: Caller) -> str:
    community = require_community(caller)
    if not caller.is_moderator:
        raise Refusal(texts.NEEDS_MODERATOR)
    return community


def pick_account(accounts: Sequence[Account], label: str | None) -> Account:
    """The caller's account called ``label`` (case-insensitive), or their only account.

    ``accounts`` must be the caller's own: this is the one rule that keeps one user away from
    another's accounts, so every use case resolves accounts through it.
    """
    if not accounts:
        raise Refusal(fill(texts.ACCOUNTS_NONE))
    labels = ", ".join(a.label for a in accounts)
    if label is None or not label.strip():
        if len(accounts) == 1:
            return accounts[0]
        raise Refusal(fill(texts.ACCOUNT_NEEDED, labels=labels))
    wanted = label.strip().casefold()
    for account in accounts:
        if account.label.casefold() == wanted:
            return account
    raise Refusal(fill(texts.ACCOUNT_UNKNOWN, label=label.strip(), labels=labels))


def dm_subscription(
    tx: Tx, account: Account, platform: str, user_id: str, *, now: float
) -> Subscription:
    """The account's private subscription, created if a past failure left it missing."""
    destination = dm_destination(platform, user_id)
    found = tx.subscriptions.find(account.id, destination)
    if found is not None:
        return found
    return tx.subscriptions.add(account.id, destination, now=now)


class CoreBase:
    """Dependencies and helpers shared by the use-case mixins of :class:`bot.core.Core`."""

    def __init__(
        self,
        store: StorePort,
        exchanges: ExchangePort,
        venues: VenueCatalogue,
        *,
        clock: Callable[[], float] = time.time,
        limits: Limits = Limits(),
        flood: FloodGate | None = None,
    ) -> None:
        self.store = store
        self.exchanges = exchanges
        self.venues = venues
        self.clock = clock
        self.limits = limits
        self.flood = flood or FloodGate()

    def admit(self, caller: Caller, *, must_answer: bool = False) -> Admission:
        """Whether to answer this update of ``caller`` (per-user flood control, shared by every
        chat): adapters ask first and, when refused, send only the notice it carries, if any."""
        return self.flood.admit(caller, must_answer=must_answer)

    # --- the caller -------------------------------------------------------------------------

    async def _user(self, caller: Caller) -> User:
        """The caller's user row, created on first contact."""
        now = self.clock()
        return await self.store.run(
            lambda tx: tx.users.ensure(
                caller.platform, caller.user_id, now=now, display_name=caller.display_name or None
            )
        )

    async def _own_account(self, caller: Caller, label: str | None) -> tuple[User, Account]:
        user = await self._user(caller)
        accounts = await self.store.read(lambda tx: tx.accounts.list_for_owner(user.id))
        return user, pick_account(accounts, label)

    async def _own_account_by_ref(self, caller: Caller, ref: str) -> tuple[User, Account]:
        """Resolve a button's ``a12`` (account) or ``s34`` (subscription) for the caller.

        A reference to someone else's account reads exactly like a stale button, so a button
        forwarded to another person neither works nor reveals that the account exists.
        """
        user = await self._user(caller)

        parsed = parse_ref(ref)

        def find(tx: Tx) -> Account | None:
            account_id: int | None = None
            if parsed is not None and parsed[0] == "account":
                account_id = parsed[1]
            elif parsed is not None:
                sub = tx.subscriptions.get(parsed[1])
                account_id = None if sub is None else sub.account_id
            account = None if account_id is None else tx.accounts.get(account_id)
            return account if account is not None and account.owner_id == user.id else None

        account = await self.store.read(find)
        if account is None:
            raise Refusal(texts.UNKNOWN_ACTION)
        return user, account

    def _venue_label(self, venue: str) -> str:
        info = self.venues.get(venue)
        return info.label if info is not None else venue

    async def _audit(
        self, caller: Caller, action: str, *, target: str | None = None, detail: str | None = None
    ) -> None:
        now = self.clock()
        await self.store.run(
            lambda tx: tx.audit.record(
                now=now,
                actor_platform=caller.platform,
                actor_id=caller.user_id,
                action=action,
                community_id=caller.community_id,
                target=target,
                detail=detail,
            )
        )
