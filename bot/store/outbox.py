"""The outbox: alerts awaiting delivery, claimed with a lease, retried with backoff, deduplicated.

Delivery is at least once: a message is claimed (leased), sent, then marked delivered. A crash
between sending and marking means it is sent again after the lease. The first claim gives the
rows of one chat a ``send_token`` they keep until delivered, so the resend is the same send
(same rows, same token) and a platform that deduplicates by it (Discord's nonce) drops the
copy itself. Enqueueing the same idempotency key twice stores it once.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from bot.store.audit import Audit
from bot.store.records import Destination, NewMessage, OutboxMessage, Subscription
from bot.store.subscriptions import Subscriptions

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 15 * 60.0
DEFAULT_LEASE_SECONDS = 60.0
# A pending row older than this was never accepted by its chat (retried all along): dropped.
DEFAULT_MAX_AGE_SECONDS = 24 * 3600.0
EXPIRED_ERROR = "expired: the chat did not accept it in time"


def new_send_token() -> str:
    """A send's token: 24 hex characters (Discord takes a nonce of at most 25)."""
    return secrets.token_hex(12)


def backoff_seconds(attempts: int) -> float:
    """Delay after `attempts` failed tries: 5 s, 10 s, 20 s, … capped at 15 minutes."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._table = db.table("outbox")

    def enqueue(self, message: NewMessage, *, now: float) -> int | None:
        """Store a message; returns its id, or None if its idempotency key is already stored."""
        cursor = self._db.execute(
            "insert into outbox (idempotency_key, subscription_id, platform, chat_id, thread_id, "
            "is_dm, priority, payload, status, created_at, attempts, next_attempt_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?) "
            "on conflict (idempotency_key) do nothing",
            [
                message.idempotency_key,
                message.subscription_id,
                message.destination.platform,
                str(message.destination.chat_id),
                _thread(message.destination.thread_id),
                int(message.destination.is_dm),
                message.priority,
                json.dumps(dict(message.payload), separators=(",", ":")),
                now,
                now,
            ],
        )
        return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None

    def enqueue_many(self, messages: Iterable[NewMessage], *, now: float) -> list[int]:
        """Ids of the messages that were new (duplicates are skipped)."""
        ids = []
        for message in messages:
            new_id = self.enqueue(message, now=now)
            if new_id is not None:
                ids.append(new_id)
        return ids

    def get(self, message_id: int) -> OutboxMessage | None:
        rows = self._select("where id = ?", [message_id])
        return rows[0] if rows else None

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        rows = self._select("where idempotency_key = ?", [idempotency_key])
        return rows[0] if rows else None

    def claim(
        self, *, now: float, limit: int = 50, lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> list[OutboxMessage]:
        """Lease the due messages, most urgent first, then oldest first.

        A claimed message is invisible to other claims until the lease ends, so a crashed sender's
        messages come back by themselves; `release_claims()` at start-up brings them back at once.
        """
        due = self._select(
            "where status = 'pending' and next_attempt_at <= ? "
            "and (claimed_until is null or claimed_until <= ?) "
            "order by priority desc, created_at, id limit ?",
            [now, now, limit],
        )
        # A chat's messages travel together: once one is due, the chat's other waiting ones go
        # with it, so a message that backed off longer never arrives after a newer one.
        claimed = {m.id for m in due}
        for chat in dict.fromkeys(_chat_key(m.destination) for m in list(due)):
            waiting = self._select(
                "where status = 'pending' and platform = ? and chat_id = ? and thread_id = ? "
                "and (claimed_until is null or claimed_until <= ?) order by id",
                [*chat, now],
            )
            due.extend(m for m in waiting if m.id not in claimed)
            claimed.update(m.id for m in waiting)
        if due:
            self._db.execute(
                f"update outbox set claimed_until = ? where id in ({_marks(due)})",
                [now + lease_seconds, *(m.id for m in due)],
            )
            self._give_send_tokens(due)
        return [self._refresh(m.id) for m in due]

    def _give_send_tokens(self, claimed: Sequence[OutboxMessage]) -> None:
        # Rows claimed for the first time become one send per chat; a row that has a token
        # keeps it, so a resend after a crash goes out exactly as the first send did.
        fresh: dict[tuple[str, str, str], list[int]] = {}
        for m in claimed:
            if m.send_token is None:
                fresh.setdefault(_chat_key(m.destination), []).append(m.id)
        for ids in fresh.values():
            self._db.execute(
                f"update outbox set send_token = ? where id in ({_marks(ids)})",
                [new_send_token(), *ids],
            )

    def mark_delivered(self, message_ids: Sequence[int], *, now: float) -> None:
        if not message_ids:
            return
        self._db.execute(
            f"update outbox set status = 'delivered', delivered_at = ?, claimed_until = null, "
            f"attempts = attempts + 1, last_error = null where id in ({_marks(message_ids)})",
            [now, *message_ids],
        )

    def mark_failed(
        self,
        message_id: int,
        *,
        now: float,
        error: str,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> OutboxMessage:
        """A failed try: count it and schedule the next, honouring the transport's `retry_after`.

        A send the platform refused is forgotten (the row may go out with others next time);
        one whose outcome is unknown (``outcome_unknown``: it timed out, the connection broke)
        keeps its send token, so the retry is the same send and Discord can drop it if the
        first one did arrive.
        """
        current = self._refresh(message_id)
        attempts = current.attempts + 1
        delay = retry_after if retry_after is not None else backoff_seconds(attempts)
        self._db.execute(
            "update outbox set attempts = ?, next_attempt_at = ?, claimed_until = null, "
            "last_error = ?, send_token = case when ? then send_token end where id = ?",
            [attempts, now + max(delay, 0.0), error, int(outcome_unknown), message_id],
        )
        return self._refresh(message_id)

    def release(self, message_ids: Sequence[int]) -> None:
        """Give claimed messages back untried (e.g. shutting down before sending them)."""
        if message_ids:
            self._db.execute(
                f"update outbox set claimed_until = null where id in ({_marks(message_ids)})",
                list(message_ids),
            )

    def release_claims(self) -> int:
        """Drop every lease (call once at start-up: nothing else is sending yet)."""
        return self._db.execute(
            "update outbox set claimed_until = null "
            "where status = 'pending' and claimed_until is not null"
        ).rowcount

    def disable_destination(
        self, destination: Destination, *, now: float, reason: str
    ) -> list[Subscription]:
        """A chat is gone: disable its subscriptions, drop its pending messages, audit it.

        Returns the subscriptions that were disabled, so the caller can tell their owners
        somewhere else.
        """
        subscriptions = Subscriptions(self._db)
        affected = [
            subscriptions.set_enabled(s.id, False, reason=reason)
            for s in subscriptions.for_destination(destination)
            if s.enabled
        ]
        self._db.execute(
            "update outbox set status = 'dropped', claimed_until = null, last_error = ? "
            "where status = 'pending' and platform = ? and chat_id = ? and thread_id = ?",
            [
                reason,
                destination.platform,
                str(destination.chat_id),
                _thread(destination.thread_id),
            ],
        )
        Audit(self._db).record(
            now=now,
            actor_platform=destination.platform,
            actor_id="marginwatch",
            action="destination_disabled",
            community_id=affected[0].community_id if affected else None,
            target=str(destination.chat_id),
            detail=reason,
        )
        return affected

    def for_subscription(
        self, subscription_id: int, *, since: float, delivered_only: bool = True
    ) -> list[OutboxMessage]:
        """The messages of one subscription created since a time, oldest first (what was
        sent to that chat: charts mark alerts with it). Rows older than the outbox's retention
        are gone."""
        status = "and status = 'delivered' " if delivered_only else ""
        return self._select(
            f"where subscription_id = ? and created_at >= ? {status}order by created_at, id",
            [subscription_id, since],
        )

    def pending_count(self) -> int:
        return self._db.execute("select count(*) from outbox where status = 'pending'").fetchone()[
            0
        ]

    def oldest_pending_created_at(self) -> float | None:
        """For the delivery-lag metric."""
        return self._db.execute(
            "select min(created_at) from outbox where status = 'pending'"
        ).fetchone()[0]

    def expire(self, *, now: float, max_age: float) -> list[OutboxMessage]:
        """Drop the pending rows queued more than ``max_age`` ago that no send holds right now.

        Such a row was retried all along and its chat never took it (a platform that keeps
        refusing it, a chat that answers errors only): keeping it would retry it forever and
        keep its chat's newer alerts behind it. Returns the dropped rows, so the caller can
        count them and tell their owners somewhere else.
        """
        expired = self._select(
            "where status = 'pending' and created_at < ? "
            "and (claimed_until is null or claimed_until <= ?) order by id",
            [now - max_age, now],
        )
        if expired:
            self._db.execute(
                f"update outbox set status = 'dropped', claimed_until = null, last_error = ? "
                f"where id in ({_marks(expired)})",
                [EXPIRED_ERROR, *(m.id for m in expired)],
            )
        return expired

    def prune(self, *, older_than: float) -> int:
        """Forget delivered/dropped messages created before a time (and their idempotency keys)."""
        return self._db.execute(
            "delete from outbox where status != 'pending' and created_at < ?", [older_than]
        ).rowcount

    def _refresh(self, message_id: int) -> OutboxMessage:
        message = self.get(message_id)
        if message is None:
            raise LookupError(f"outbox message {message_id} does not exist")
        return message

    def _select(self, where: str, params: list[Any]) -> list[OutboxMessage]:
        cursor = self._db.execute(f"select * from outbox {where}", params)
        names = [d[0] for d in cursor.description]
        return [_message(dict(zip(names, row, strict=True))) for row in cursor]


def _message(row: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        destination=Destination(
            platform=row["platform"],
            chat_id=row["chat_id"],
            thread_id=row["thread_id"] or None,
            is_dm=bool(row["is_dm"]),
        ),
        payload=json.loads(row["payload"]),
        priority=row["priority"],
        subscription_id=row["subscription_id"],
        status=row["status"],
        created_at=row["created_at"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        claimed_until=row["claimed_until"],
        delivered_at=row["delivered_at"],
        last_error=row["last_error"],
        send_token=row["send_token"],
    )


def _marks(items: Sequence[object]) -> str:
    return ", ".join("?" for _ in items)


def _chat_key(destination: Destination) -> tuple[str, str, str]:
    return destination.platform, str(destination.chat_id), _thread(destination.thread_id)


def _thread(thread_id: str | None) -> str:
    return "" if thread_id is None else str(thread_id)
