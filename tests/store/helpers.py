"""Small builders shared by the store tests."""

from __future__ import annotations

from bot.store import Destination, Store, Subscription

CHAT = Destination(platform="telegram", chat_id="-100200", thread_id="7")
DM = Destination(platform="discord", chat_id="dm-111", is_dm=True)


async def subscribed_account(
    store: Store, *, user: str = "111", destination: Destination = CHAT
) -> Subscription:
    """A user with one Kraken account subscribed to `destination` (no credentials needed)."""
    owner = await store.ensure_user("telegram", user, now=1.0)
    account = await store.add_account(owner.id, "kraken", f"acct-{user}", None, now=1.0)
    return await store.add_subscription(
        account.id, destination, now=1.0, community_id="-100200" if not destination.is_dm else None
    )
