"""Accounts: linking, polling bookkeeping, and the due-account queue."""

from __future__ import annotations

import pytest

from bot.store import DuplicateAccount, HealthPoint, Store
from tests.store.conftest import sample_secrets


async def test_an_owner_cannot_link_two_accounts_with_the_same_venue_and_label(
    store: Store,
) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    await store.add_account(owner.id, "okx", "main", sample_secrets(), now=0.0)
    with pytest.raises(DuplicateAccount, match="already have a okx account named 'main'"):
        await store.add_account(owner.id, "okx", "main", sample_secrets(), now=0.0)
    other = await store.ensure_user("discord", "2", now=0.0)
    await store.add_account(other.id, "okx", "main", sample_secrets(), now=0.0)
    assert len(await store.all_accounts()) == 2


async def test_due_accounts_are_the_active_ones_whose_time_has_come_most_overdue_first(
    store: Store,
) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    later = await store.add_account(owner.id, "okx", "later", None, now=0.0, next_poll_at=50.0)
    soon = await store.add_account(owner.id, "okx", "soon", None, now=0.0, next_poll_at=20.0)
    soonest = await store.add_account(owner.id, "okx", "soonest", None, now=0.0, next_poll_at=10.0)
    paused = await store.add_account(owner.id, "okx", "paused", None, now=0.0, next_poll_at=1.0)
    await store.set_account_status(paused.id, "paused")

    assert [a.id for a in await store.due_accounts(30.0)] == [soonest.id, soon.id]
    assert [a.id for a in await store.due_accounts(30.0, limit=1)] == [soonest.id]
    assert await store.next_due_at() == 10.0
    assert later.id not in [a.id for a in await store.due_accounts(49.0)]
    assert (await store.account_counts())["paused"] == 1


async def test_failures_count_up_and_a_success_resets_them(store: Store) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    account = await store.add_account(owner.id, "bybit", "main", None, now=0.0)
    for n in (1, 2):
        failed = await store.record_poll_failure(
            account.id, now=float(n), error="exchange down", next_poll_at=n + 30.0
        )
        assert failed.consecutive_failures == n and failed.last_error == "exchange down"
    revoked = await store.record_poll_failure(
        account.id, now=3.0, error="key revoked", next_poll_at=99.0, status="key_invalid"
    )
    assert revoked.status == "key_invalid" and revoked.consecutive_failures == 3
    point = HealthPoint(account_id=account.id, at=4.0, state="ok", equity=1000.0, ratio=0.2)
    ok = await store.record_poll_ok(account.id, now=4.0, next_poll_at=34.0, point=point)
    assert (ok.consecutive_failures, ok.last_error, ok.last_ok_at, ok.next_poll_at) == (
        0,
        None,
        4.0,
        34.0,
    )
    assert await store.health_series(account.id) == [point]


async def test_an_unknown_status_is_refused(store: Store) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    account = await store.add_account(owner.id, "bybit", "main", None, now=0.0)
    with pytest.raises(ValueError, match="unknown account status 'sleepy'"):
        await store.set_account_status(account.id, "sleepy")


async def test_replacing_credentials_keeps_them_bound_to_the_same_row(store: Store) -> None:
    owner = await store.ensure_user("discord", "1", now=0.0)
    account = await store.add_account(owner.id, "bybit", "main", None, now=0.0)
    assert account.has_credentials is False
    updated = await store.replace_credentials(account.id, sample_secrets())
    assert updated.has_credentials and updated.key_id is not None
    assert await store.account_credentials(account.id) == sample_secrets()


async def test_users_are_created_once_per_platform_identity(store: Store) -> None:
    first = await store.ensure_user("telegram", "42", now=1.0, display_name="ann")
    again = await store.ensure_user("telegram", "42", now=2.0)
    renamed = await store.ensure_user("telegram", "42", now=3.0, display_name="anna")
    elsewhere = await store.ensure_user("discord", "42", now=4.0)
    assert first.id == again.id == renamed.id != elsewhere.id
    assert renamed.display_name == "anna" and renamed.created_at == 1.0
    assert await store.get_user(first.id) == renamed
