"""Members subscribe their own accounts to a community; moderators control it, audited."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.refs import ChannelRef, UserRef, fill
from bot.core.usecases import Core
from bot.store import Destination, Store
from tests.core.conftest import ALICE, ALICE_KRAKEN, BOB, BOB_BYBIT, in_group

GROUP = "-100500"
MOD = in_group("9", moderator=True, name="mod")
ALICE_IN_GROUP = in_group(ALICE.user_id, name="alice")
BOB_IN_GROUP = in_group(BOB.user_id, name="bob")

MODERATOR_COMMANDS = [
    ("setalerts", {}),
    ("settings", {}),
    ("settings", {"enabled": "off"}),
    ("subscribers", {}),
    ("remove", {"member": ALICE.user_id}),
    ("audit", {}),
]


async def _community_subs(store: Store) -> list:
    return await store.read(lambda tx: tx.subscriptions.for_community("telegram", GROUP))


@pytest.mark.parametrize(("name", "arguments"), MODERATOR_COMMANDS)
async def test_a_member_is_refused_every_moderator_command(
    core: Core, store: Store, name: str, arguments: dict[str, str]
) -> None:
    before = await store.read(lambda tx: tx.communities.get("telegram", GROUP))
    reply = await core.run(BOB_IN_GROUP, name, arguments)
    assert reply.severity == "error" and reply.private
    assert reply.lines == (texts.NEEDS_MODERATOR,)
    assert await store.read(lambda tx: tx.communities.get("telegram", GROUP)) == before
    assert await store.read(lambda tx: tx.audit.for_community("telegram", GROUP)) == []


async def test_moderator_commands_need_a_community(core: Core) -> None:
    reply = await core.run(BOB, "setalerts", {})
    assert reply.lines == (texts.NEEDS_COMMUNITY,)


async def test_members_subscribe_to_the_alert_channel_and_moderators_see_no_balances(
    core: Core, store: Store
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.link(BOB, "bybit", "futures", BOB_BYBIT)
    reply = await core.run(ALICE_IN_GROUP, "subscribe", {})
    assert reply.lines == (fill(texts.SUBSCRIBE_NO_CHANNEL),)

    reply = await core.run(in_group("9", moderator=True, topic="77"), "setalerts", {})
    [line] = reply.lines
    assert line == fill(texts.SETALERTS_DONE, channel=ChannelRef(GROUP, "77", here=True))
    assert line == "Shared alerts of this community now go to this topic."
    await core.run(ALICE, "share", {"level": "positions"})
    reply = await core.run(ALICE_IN_GROUP, "subscribe", {"account": "main"})
    assert reply.title == texts.SUBSCRIBE_DONE.format(
        label="main", level="level, ratio, distance and liquidation prices"
    )
    await core.run(BOB_IN_GROUP, "subscribe", {})
    subs = await _community_subs(store)
    assert {(s.destination.chat_id, s.destination.thread_id) for s in subs} == {(GROUP, "77")}
    assert sorted(s.share for s in subs) == ["positions", "state"]  # Bob: community default

    listing = await core.run(MOD, "subscribers", {})
    assert listing.private
    assert listing.lines == (
        "alice — main on Kraken (spot margin) (shares: level, ratio, distance and liquidation "
        "prices)",
        "bob — futures on Bybit (unified trading account) (shares: alert level only)",
    )
    assert "USD" not in listing.text and "10,000" not in listing.text

    # Moving the alert channel moves the subscriptions with it.
    await core.run(MOD, "setalerts", {"channel": "-100777"})
    subs = await _community_subs(store)
    assert {(s.destination.chat_id, s.destination.thread_id) for s in subs} == {("-100777", None)}


async def test_a_moderator_removes_a_members_subscription_and_it_is_audited(
    core: Core, store: Store
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.run(MOD, "setalerts", {})
    await core.run(ALICE_IN_GROUP, "subscribe", {})
    reply = await core.run(MOD, "remove", {"member": "@alice"})
    [line] = reply.lines
    assert line == fill(texts.REMOVE_DONE, count=1, member=UserRef(ALICE.user_id, "alice"))
    assert UserRef(ALICE.user_id, "alice") in line.parts  # a mention, not an id
    assert await _community_subs(store) == []
    # Alice's own account and private alerts are untouched.
    assert await core.account_labels(ALICE) == ("main",)
    reply = await core.run(MOD, "remove", {"member": "alice"})
    assert reply.lines == (fill(texts.REMOVE_NONE, member=UserRef("", "alice")),)

    audit = await core.run(MOD, "audit", {})
    assert all(" mod: " in line for line in audit.lines)
    assert all(UserRef(MOD.user_id, "mod") in line.parts for line in audit.lines)
    actions = [line.split(": ", 1)[1] for line in audit.lines]
    # the channel is where the moderator typed it ("this chat"), the member a reference
    assert actions == ["remove subscriber alice 1 subscription(s)", "set alert channel this chat"]


async def test_settings_are_validated_then_saved_and_audited(core: Core, store: Store) -> None:
    for arguments, expected in [
        ({"venues": "kraken,mtgox"}, "'mtgox' is not a venue I support"),
        ({"watch": "200%"}, "Watch must be a percentage"),
        ({"watch": "5", "critical": "6"}, "must be closer to liquidation"),
        ({"enabled": "maybe"}, texts.NOT_A_BOOLEAN.format(name="enabled", value="maybe")),
        ({"share": "balances"}, "'balances' is not a valid share"),
    ]:
        reply = await core.run(MOD, "settings", arguments)
        assert expected in reply.lines[0], arguments
    stored = await store.read(lambda tx: tx.communities.get("telegram", GROUP))
    assert stored.updated_at is None  # never saved

    reply = await core.run(
        MOD,
        "settings",
        {
            "venues": "kraken, bybit",
            "watch": "25%",
            "critical": "5%",
            "enabled": "off",
            "share": "ratio",
        },
    )
    assert reply.lines == (texts.SETTINGS_SAVED,)
    stored = await store.read(lambda tx: tx.communities.get("telegram", GROUP))
    assert stored.allowed_venues == ("kraken", "bybit")
    assert stored.default_thresholds.watch_move == pytest.approx(0.25)
    assert stored.enabled is False
    [entry] = await store.read(lambda tx: tx.audit.for_community("telegram", GROUP))
    assert (entry.action, entry.actor_id) == ("settings", "9")
    assert stored.default_share == "ratio"
    assert entry.detail == (
        "watch=25.0% critical=5.00% venues=kraken,bybit enabled=off share=ratio"
    )

    # Switched off: members cannot subscribe.
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    reply = await core.run(ALICE_IN_GROUP, "subscribe", {})
    assert reply.lines == (texts.COMMUNITY_DISABLED,)


async def test_a_member_unsubscribes_only_their_own_account(core: Core, store: Store) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.link(BOB, "bybit", "futures", BOB_BYBIT)
    await core.run(MOD, "setalerts", {})
    await core.run(ALICE_IN_GROUP, "subscribe", {})
    await core.run(BOB_IN_GROUP, "subscribe", {})
    reply = await core.run(BOB_IN_GROUP, "unsubscribe", {})
    assert reply.title == texts.UNSUBSCRIBE_DONE.format(label="futures")
    [left] = await _community_subs(store)
    owner = await store.read(lambda tx: tx.accounts.get(left.account_id))
    assert owner.label == "main"


async def test_a_discord_server_can_name_a_moderator_role(core: Core, store: Store) -> None:
    from bot.core.identity import Caller

    admin = Caller(
        platform="discord",
        user_id="42",
        chat_id="555",
        is_private_chat=False,
        is_moderator=True,
        community_id="777",
        can_reply_privately=True,
    )
    assert await core.moderator_role_ids("discord", "777") == ()
    reply = await core.run(admin, "settings", {"role": "<@&123456>"})
    assert reply.lines == (texts.SETTINGS_SAVED,)
    assert await core.moderator_role_ids("discord", "777") == ("123456",)
    reply = await core.run(admin, "settings", {"role": "mods please"})
    assert reply.lines == (texts.SETTINGS_BAD_ROLE.format(value="mods please"),)
    assert await core.moderator_role_ids("discord", "777") == ("123456",)
    reply = await core.run(MOD, "settings", {"role": "123"})
    assert reply.lines == (texts.SETTINGS_ROLE_NOT_HERE,)


async def test_leaving_a_community_forgets_its_settings_and_channel_subscriptions(
    core: Core, store: Store
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.run(MOD, "setalerts", {})
    await core.run(ALICE_IN_GROUP, "subscribe", {})
    assert await core.forget_community("telegram", GROUP) == 1
    assert await _community_subs(store) == []
    settings = await store.read(lambda tx: tx.communities.get("telegram", GROUP))
    assert settings.alert_channel_id is None
    assert await core.account_labels(ALICE) == ("main",)  # her account and DMs stay


async def test_a_group_upgraded_to_a_supergroup_keeps_its_settings_and_subscribers(
    core: Core, store: Store
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.run(MOD, "setalerts", {})
    await core.run(ALICE_IN_GROUP, "subscribe", {"account": "main"})
    new_id = "-1009990001"

    assert await core.move_chat("telegram", GROUP, new_id) == 1

    moved = await store.read(lambda tx: tx.subscriptions.for_community("telegram", new_id))
    assert [(s.destination.chat_id, s.community_id) for s in moved] == [(new_id, new_id)]
    assert await _community_subs(store) == []
    settings = await store.read(lambda tx: tx.communities.get("telegram", new_id))
    assert settings.alert_channel_id == new_id
    # Alice's private subscription is untouched.
    dm = Destination("telegram", ALICE.user_id, is_dm=True)
    assert len(await store.read(lambda tx: tx.subscriptions.for_destination(dm))) == 1
    log = await store.read(lambda tx: tx.audit.for_community("telegram", new_id))
    assert "chat_moved" in {entry.action for entry in log}
