"""`Tx`: every repository bound to one connection, for one transaction-sized unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from bot.store.accounts import Accounts
from bot.store.alerts import AlertStates
from bot.store.audit import Audit
from bot.store.communities import Communities
from bot.store.history import History
from bot.store.outbox import Outbox
from bot.store.subscriptions import Subscriptions
from bot.store.users import Users
from bot.store.vault import Vault


@dataclass(frozen=True)
class Purged:
    """What a deletion removed (counts only)."""

    accounts: int = 0
    subscriptions: int = 0
    history_points: int = 0
    outbox_messages: int = 0
    users: int = 0


class Tx:
    """Handed to functions run through `Store.run`; all calls inside share one transaction."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.users = Users(db)
        self.accounts = Accounts(db, vault)
        self.subscriptions = Subscriptions(db)
        self.communities = Communities(db)
        self.alerts = AlertStates(db)
        self.outbox = Outbox(db)
        self.history = History(db)
        self.audit = Audit(db)

    def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> int:
        """A chat changed its id (a Telegram group upgraded to a supergroup): move its
        subscriptions, pending messages and, when the chat is a community, its settings.

        Returns how many subscriptions moved. Alert state stays with each subscription, so the
        new chat is not told again what the old one already knew.
        """
        if old_chat_id == new_chat_id:
            return 0
        db = self.db
        moved = db.execute(
            "UPDATE subscriptions SET chat_id = ? WHERE platform = ? AND chat_id = ?",
            [new_chat_id, platform, old_chat_id],
        ).rowcount
        db.execute(
            "UPDATE subscriptions SET community_id = ? WHERE platform = ? AND community_id = ?",
            [new_chat_id, platform, old_chat_id],
        )
        db.execute(
            "UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ? "
            "AND delivered_at IS NULL",
            [new_chat_id, platform, old_chat_id],
        )
        db.execute(
            "UPDATE community_settings SET community_id = ? WHERE platform = ? "
            "AND community_id = ?",
            [new_chat_id, platform, old_chat_id],
        )
        db.execute(
            "UPDATE community_settings SET alert_channel_id = ? WHERE platform = ? "
            "AND alert_channel_id = ?",
            [new_chat_id, platform, old_chat_id],
        )
        return moved

    def delete_account(self, account_id: int) -> Purged:
        """Unlink: the account, its secrets, subscriptions, alert state, messages and history."""
        execute = self.db.execute
        subscription_ids = "(select id from subscriptions where account_id = ?)"
        outbox = execute(
            f"delete from outbox where subscription_id in {subscription_ids}", [account_id]
        ).rowcount
        execute(
            f"delete from alert_state where subscription_id in {subscription_ids}", [account_id]
        )
        subscriptions = execute(
            "delete from subscriptions where account_id = ?", [account_id]
        ).rowcount
        history = execute("delete from health_history where account_id = ?", [account_id]).rowcount
        # Overwrite the blob first so no page anywhere keeps it (secure_delete covers the delete).
        execute("update accounts set credentials = null, key_id = null where id = ?", [account_id])
        accounts = execute("delete from accounts where id = ?", [account_id]).rowcount
        return Purged(
            accounts=accounts,
            subscriptions=subscriptions,
            history_points=history,
            outbox_messages=outbox,
        )

    def delete_user_data(self, user_id: int) -> Purged:
        """/deletemydata: every account (as `delete_account`), the user's personal audit entries,
        and the user row. Moderator actions in a community's audit log are kept: they are the
        community's record."""
        total = Purged()
        for account in self.accounts.list_for_owner(user_id):
            part = self.delete_account(account.id)
            total = Purged(
                accounts=total.accounts + part.accounts,
                subscriptions=total.subscriptions + part.subscriptions,
                history_points=total.history_points + part.history_points,
                outbox_messages=total.outbox_messages + part.outbox_messages,
            )
        user = self.users.get(user_id)
        users = 0
        if user is not None:
            self.db.execute(
                "delete from audit_log where actor_platform = ? and actor_id = ? "
                "and community_id is null",
                [user.platform, user.platform_user_id],
            )
            users = self.db.execute("delete from users where id = ?", [user_id]).rowcount
        return Purged(
            accounts=total.accounts,
            subscriptions=total.subscriptions,
            history_points=total.history_points,
            outbox_messages=total.outbox_messages,
            users=users,
        )
