"""Linked exchange accounts: ownership, encrypted credentials, and the polling bookkeeping."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from bot.store.connection import StoreError
from bot.store.records import ACCOUNT_STATUSES, Account
from bot.store.vault import AccountSecrets, Vault, VaultError, associated_data

_COLUMNS = (
    "id, owner_id, venue, label, status, last_error, next_poll_at, last_polled_at, last_ok_at, "
    "consecutive_failures, credentials is not null as has_credentials, key_id, created_at"
)


class DuplicateAccount(StoreError):
    """The owner already has an account with this venue and label."""


class Accounts:
    def __init__(self, db: Database, vault: Vault) -> None:
        self._db = db
        self._vault = vault
        self._table = db.table("accounts")

    def add(
        self,
        owner_id: int,
        venue: str,
        label: str,
        secrets: AccountSecrets | None,
        *,
        now: float,
        next_poll_at: float | None = None,
    ) -> Account:
        """Link an account; credentials are encrypted bound to the new row's identity."""
        if self.find(owner_id, venue, label) is not None:
            raise DuplicateAccount(f"you already have a {venue} account named {label!r}")
        row_id = int(
            self._table.insert(
                {
                    "owner_id": owner_id,
                    "venue": venue,
                    "label": label,
                    "status": "active",
                    "consecutive_failures": 0,
                    "next_poll_at": now if next_poll_at is None else next_poll_at,
                    "created_at": now,
                }
            ).last_pk
        )
        if secrets is not None:
            self._write_credentials(row_id, owner_id, venue, secrets)
        return self._get_or_fail(row_id)

    def get(self, account_id: int) -> Account | None:
        rows = self._select("where id = ?", [account_id])
        return rows[0] if rows else None

    def find(self, owner_id: int, venue: str, label: str) -> Account | None:
        rows = self._select(
            "where owner_id = ? and venue = ? and label = ?", [owner_id, venue, label]
        )
        return rows[0] if rows else None

    def list_for_owner(self, owner_id: int) -> list[Account]:
        return self._select("where owner_id = ? order by id", [owner_id])

    def list_all(self, status: str | None = None) -> list[Account]:
        if status is None:
            return self._select("order by id", [])
        return self._select("where status = ? order by id", [status])

    def due(self, now: float, limit: int = 100) -> list[Account]:
        """Active accounts whose next poll has come, the most overdue first."""
        return self._select(
            "where status = 'active' and (next_poll_at is null or next_poll_at <= ?) "
            "order by coalesce(next_poll_at, 0), id limit ?",
            [now, limit],
        )

    def next_due_at(self) -> float | None:
        """When the earliest active account is due (for sleeping until then)."""
        row = self._db.execute(
            "select min(coalesce(next_poll_at, 0)) from accounts where status = 'active'"
        ).fetchone()
        return None if row is None else row[0]

    def count_by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(ACCOUNT_STATUSES, 0)
        for status, count in self._db.execute(
            "select status, count(*) from accounts group by status"
        ).fetchall():
            counts[status] = count
        return counts

    def credentials(self, account_id: int) -> AccountSecrets:
        """Decrypt an account's credentials; raises `VaultError` subclasses without secrets."""
        row = self._db.execute(
            "select owner_id, venue, credentials from accounts where id = ?", [account_id]
        ).fetchone()
        if row is None:
            raise LookupError(f"account {account_id} does not exist")
        owner_id, venue, blob = row
        if blob is None:
            raise LookupError(f"account {account_id} has no stored credentials")
        return self._vault.decrypt(bytes(blob), associated_data(account_id, owner_id, venue))

    def replace_credentials(self, account_id: int, secrets: AccountSecrets) -> Account:
        account = self._get_or_fail(account_id)
        self._write_credentials(account.id, account.owner_id, account.venue, secrets)
        return self._get_or_fail(account_id)

    def set_status(self, account_id: int, status: str, *, last_error: str | None = None) -> Account:
        if status not in ACCOUNT_STATUSES:
            raise ValueError(f"unknown account status {status!r}")
        self._update(account_id, {"status": status, "last_error": last_error})
        return self._get_or_fail(account_id)

    def schedule(self, account_id: int, next_poll_at: float) -> None:
        self._update(account_id, {"next_poll_at": next_poll_at})

    def record_poll_ok(self, account_id: int, *, now: float, next_poll_at: float) -> Account:
        """A successful read: failures reset, error cleared, next poll planned."""
        self._update(
            account_id,
            {
                "last_polled_at": now,
                "last_ok_at": now,
                "consecutive_failures": 0,
                "last_error": None,
                "next_poll_at": next_poll_at,
            },
        )
        return self._get_or_fail(account_id)

    def record_poll_failure(
        self,
        account_id: int,
        *,
        now: float,
        error: str,
        next_poll_at: float,
        status: str | None = None,
    ) -> Account:
        """A failed read; `status` (e.g. "key_invalid") also changes the account's status.

        `error` is shown to the owner: pass a classified sentence, never a raw exception text
        that could carry request details.
        """
        changes: dict[str, Any] = {
            "last_polled_at": now,
            "last_error": error,
            "next_poll_at": next_poll_at,
        }
        if status is not None:
            if status not in ACCOUNT_STATUSES:
                raise ValueError(f"unknown account status {status!r}")
            changes["status"] = status
        self._db.execute(
            "update accounts set consecutive_failures = consecutive_failures + 1 where id = ?",
            [account_id],
        )
        self._update(account_id, changes)
        return self._get_or_fail(account_id)

    def rotate_credentials(self) -> int:
        """Re-encrypt every row not yet under the newest key; returns how many changed.

        All or nothing: if any row cannot be opened, nothing is re-encrypted and the error names
        the accounts (ids only).
        """
        newest = self._vault.newest_key_id
        rows = self._db.execute(
            "select id, owner_id, venue, credentials from accounts "
            "where credentials is not null and (key_id is null or key_id != ?)",
            [newest],
        ).fetchall()
        self._check_all_open(rows)
        for account_id, owner_id, venue, blob in rows:
            new_blob, key_id = self._vault.reencrypt(
                bytes(blob), associated_data(account_id, owner_id, venue)
            )
            self._db.execute(
                "update accounts set credentials = ?, key_id = ? where id = ?",
                [new_blob, key_id, account_id],
            )
        return len(rows)

    def verify_all_credentials(self) -> int:
        """Decrypt every stored blob; returns how many, or raises naming the accounts that fail."""
        rows = self._db.execute(
            "select id, owner_id, venue, credentials from accounts where credentials is not null"
        ).fetchall()
        self._check_all_open(rows)
        return len(rows)

    def _check_all_open(self, rows: list[tuple[int, int, str, bytes]]) -> None:
        failing: list[int] = []
        first_error: VaultError | None = None
        for account_id, owner_id, venue, blob in rows:
            try:
                self._vault.decrypt(bytes(blob), associated_data(account_id, owner_id, venue))
            except VaultError as exc:
                failing.append(account_id)
                first_error = first_error or exc
        if first_error is not None:
            raise type(first_error)(
                f"the credentials of account(s) {', '.join(map(str, failing))} cannot be "
                f"decrypted ({first_error}); nothing was re-encrypted"
            )

    def _write_credentials(
        self, account_id: int, owner_id: int, venue: str, secrets: AccountSecrets
    ) -> None:
        blob, key_id = self._vault.encrypt(secrets, associated_data(account_id, owner_id, venue))
        self._db.execute(
            "update accounts set credentials = ?, key_id = ? where id = ?",
            [blob, key_id, account_id],
        )

    def _update(self, account_id: int, changes: dict[str, Any]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        cursor = self._db.execute(
            f"update accounts set {assignments} where id = ?", [*changes.values(), account_id]
        )
        if cursor.rowcount == 0:
            raise LookupError(f"account {account_id} does not exist")

    def _select(self, where: str, params: list[Any]) -> list[Account]:
        cursor = self._db.execute(f"select {_COLUMNS} from accounts {where}", params)
        return [_account(row) for row in cursor.fetchall()]

    def _get_or_fail(self, account_id: int) -> Account:
        account = self.get(account_id)
        if account is None:
            raise LookupError(f"account {account_id} does not exist")
        return account


def _account(row: tuple[Any, ...]) -> Account:
    (
        account_id,
        owner_id,
        venue,
        label,
        status,
        last_error,
        next_poll_at,
        last_polled_at,
        last_ok_at,
        failures,
        has_credentials,
        key_id,
        created_at,
    ) = row
    return Account(
        id=account_id,
        owner_id=owner_id,
        venue=venue,
        label=label,
        status=status,
        last_error=last_error,
        next_poll_at=next_poll_at,
        last_polled_at=last_polled_at,
        last_ok_at=last_ok_at,
        consecutive_failures=failures,
        has_credentials=bool(has_credentials),
        key_id=key_id,
        created_at=created_at,
    )
