"""Health history stays bounded; unlinking and /deletemydata leave nothing of the user behind."""

from __future__ import annotations

from pathlib import Path

from bot.store import AlertState, HealthPoint, NewMessage, Store, Vault
from tests.store.conftest import KNOWN_SECRET, sample_secrets
from tests.store.helpers import CHAT


def _point(account_id: int, at: float) -> HealthPoint:
    return HealthPoint(account_id=account_id, at=at, state="ok", equity=100.0 + at, ratio=0.3)


async def test_series_returns_the_newest_points_oldest_first(store: Store) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    account = await store.add_account(owner.id, "okx", "main", None, now=0.0)
    await store.run(lambda tx: tx.history.add_many(_point(account.id, t) for t in range(10)))
    assert [p.at for p in await store.health_series(account.id, since=6.0)] == [6, 7, 8, 9]
    assert [p.at for p in await store.health_series(account.id, limit=3)] == [7, 8, 9]


async def test_pruning_drops_old_points_and_caps_each_account(store: Store) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    busy = await store.add_account(owner.id, "okx", "busy", None, now=0.0)
    quiet = await store.add_account(owner.id, "okx", "quiet", None, now=0.0)
    await store.run(
        lambda tx: tx.history.add_many(
            [
                *(_point(busy.id, 100.0 + t) for t in range(20)),
                _point(quiet.id, 1.0),
                _point(quiet.id, 110.0),
            ]
        )
    )
    removed = await store.prune_history(
        now=150.0, retention_seconds=100.0, max_points_per_account=5
    )
    assert removed == 1 + 15  # quiet's sample at t=1 is too old; busy keeps its newest 5
    assert [p.at for p in await store.health_series(busy.id)] == [115, 116, 117, 118, 119]
    assert [p.at for p in await store.health_series(quiet.id)] == [110.0]


async def _user_with_everything(store: Store) -> tuple[int, int, int]:
    owner = await store.ensure_user("telegram", "77", now=0.0)
    account = await store.add_account(owner.id, "kraken", "main", sample_secrets(), now=0.0)
    sub = await store.add_subscription(account.id, CHAT, now=0.0, community_id="-100200")
    await store.transition(
        AlertState(subscription_id=sub.id, level="watch"),
        [NewMessage("w1", CHAT, {"title": "Watch"}, subscription_id=sub.id)],
        now=1.0,
    )
    await store.add_health(_point(account.id, 1.0))
    await store.audit(now=1.0, actor_platform="telegram", actor_id="77", action="link")
    await store.audit(
        now=1.0,
        actor_platform="telegram",
        actor_id="77",
        action="set_channel",
        community_id="-100200",
    )
    return owner.id, account.id, sub.id


async def test_unlinking_purges_the_accounts_secret_subscriptions_state_and_history(
    store: Store,
) -> None:
    owner_id, account_id, sub_id = await _user_with_everything(store)
    purged = await store.delete_account(account_id)
    assert (
        purged.accounts,
        purged.subscriptions,
        purged.history_points,
        purged.outbox_messages,
    ) == (1, 1, 1, 1)
    assert await store.get_account(account_id) is None
    assert await store.get_subscription(sub_id) is None
    assert await store.alert_states_for_account(account_id) == {}
    assert await store.outbox_depth() == 0
    assert await store.get_user(owner_id) is not None  # unlink keeps the user


async def test_deleting_my_data_leaves_no_trace_of_the_user_or_their_secret_on_disk(
    db_path: Path, vault: Vault
) -> None:
    store = await Store.open(db_path, vault)
    owner_id, account_id, _ = await _user_with_everything(store)
    blob = await store.read(
        lambda tx: tx.db.execute(
            "select credentials from accounts where id = ?", [account_id]
        ).fetchone()[0]
    )
    purged = await store.delete_user_data(owner_id)
    assert purged.users == 1 and purged.accounts == 1
    assert await store.get_user(owner_id) is None
    assert await store.find_user("telegram", "77") is None
    # The moderator action stays in the community's record; the personal one is gone.
    assert [e.action for e in await store.audit_for_community("telegram", "-100200")] == [
        "set_channel"
    ]
    personal = await store.read(lambda tx: tx.audit.for_actor("telegram", "77"))
    assert [e.action for e in personal] == ["set_channel"]
    await store.close()
    raw = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    # secure_delete + checkpoint: not even the ciphertext survives in free pages.
    assert bytes(blob) not in raw
    assert KNOWN_SECRET.encode() not in raw
