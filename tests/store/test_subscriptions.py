"""Subscriptions and community settings: stored as given, refused with a sentence when invalid."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.store import CommunitySettings, Destination, DuplicateSubscription, Store, Thresholds
from tests.store.helpers import CHAT, DM, subscribed_account


async def test_a_subscription_keeps_its_destination_thresholds_and_preferences(
    store: Store,
) -> None:
    sub = await subscribed_account(store)
    assert sub.destination == CHAT and sub.community_id == "-100200"
    assert (sub.share, sub.digest, sub.timezone, sub.enabled) == ("none", "off", "UTC", True)

    limits = Thresholds(margin_call_ratio=0.7, critical_move=0.05)
    await store.set_thresholds(sub.id, limits)
    await store.snooze(sub.id, 500.0)
    await store.set_share(sub.id, "ratio")
    await store.set_digest(
        sub.id, "weekly", digest_time="07:30", digest_weekday=0, timezone="Europe/Berlin"
    )
    await store.mark_digest_sent(sub.id, 400.0)
    stored = await store.get_subscription(sub.id)
    assert stored is not None
    assert stored.thresholds == limits and stored.snoozed_until == 500.0
    assert (stored.share, stored.digest, stored.digest_time, stored.digest_weekday) == (
        "ratio",
        "weekly",
        "07:30",
        0,
    )
    assert stored.timezone == "Europe/Berlin" and stored.last_digest_at == 400.0
    assert [s.id for s in await store.digest_subscriptions()] == [sub.id]
    unsnoozed = await store.snooze(sub.id, None)
    assert unsnoozed.snoozed_until is None


async def test_the_same_account_cannot_subscribe_the_same_chat_twice(store: Store) -> None:
    sub = await subscribed_account(store)
    with pytest.raises(DuplicateSubscription):
        await store.add_subscription(sub.account_id, CHAT, now=2.0)
    # Another topic of the same group is a different destination.
    other_topic = Destination(platform="telegram", chat_id="-100200", thread_id="8")
    assert await store.add_subscription(sub.account_id, other_topic, now=2.0)


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"digest": "hourly"}, "digest must be one of off, daily, weekly"),
        ({"digest": "daily", "digest_time": "25:00"}, "digest time must be HH:MM"),
        ({"digest": "weekly"}, "a weekly digest needs a weekday"),
        ({"digest": "daily", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ],
)
async def test_invalid_digest_settings_are_refused_and_change_nothing(
    store: Store, change: dict[str, str], sentence: str
) -> None:
    sub = await subscribed_account(store)
    digest = change.pop("digest")
    with pytest.raises(ValueError, match=sentence):
        await store.set_digest(sub.id, digest, **change)  # type: ignore[arg-type]
    assert await store.get_subscription(sub.id) == sub


async def test_an_unknown_share_level_is_refused(store: Store) -> None:
    sub = await subscribed_account(store)
    with pytest.raises(ValueError, match="sharing must be one of none, state, ratio, positions"):
        await store.set_share(sub.id, "balances")


async def test_lookups_by_owner_destination_and_community(store: Store) -> None:
    group_sub = await subscribed_account(store, user="1")
    dm_sub = await subscribed_account(store, user="2", destination=DM)
    owner = await store.find_user("telegram", "1")
    assert owner is not None
    assert [s.id for s in await store.subscriptions_for_owner(owner.id)] == [group_sub.id]
    assert [s.id for s in await store.subscriptions_for_destination(DM)] == [dm_sub.id]
    assert [s.id for s in await store.subscriptions_for_community("telegram", "-100200")] == [
        group_sub.id
    ]
    await store.set_subscription_enabled(group_sub.id, False, reason="moderator removed it")
    assert await store.subscriptions_for_account(group_sub.account_id, enabled_only=True) == []
    assert await store.remove_subscription(dm_sub.id) is True
    assert await store.get_subscription(dm_sub.id) is None


async def test_a_community_never_configured_gets_the_defaults(store: Store) -> None:
    settings = await store.community_settings("discord", "guild-1")
    assert settings == CommunitySettings(platform="discord", community_id="guild-1")
    assert settings.enabled and settings.allowed_venues == ()


async def test_community_settings_round_trip(store: Store) -> None:
    settings = replace(
        await store.community_settings("discord", "guild-1"),
        alert_channel_id="chan-9",
        moderator_role_id="role-3",
        default_thresholds=Thresholds(critical_move=0.03),
        default_share="positions",
        allowed_venues=("kraken", "okx"),
        enabled=False,
    )
    saved = await store.save_community_settings(settings, now=12.0)
    assert await store.community_settings("discord", "guild-1") == saved
    assert saved.updated_at == 12.0
    with pytest.raises(ValueError, match="sharing must be one of"):
        await store.save_community_settings(replace(saved, default_share="all"), now=13.0)
