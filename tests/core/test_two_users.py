"""One user can never read or change another user's account, by any command or button."""

from __future__ import annotations

from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId
from bot.core.refs import fill
from bot.core.usecases import Core
from bot.store import Store
from tests.core.conftest import ALICE, ALICE_KRAKEN, BOB, BOB_BYBIT, dm, in_group

ALICE_SECRET_WORDS = ("10,000", "Margin level")


async def _alice_state(store: Store) -> tuple:
    """Everything about Alice's account a command could change."""

    def read(tx):
        user = tx.users.find("telegram", ALICE.user_id)
        accounts = tx.accounts.list_for_owner(user.id)
        subs = tx.subscriptions.for_owner(user.id)
        return (tuple(accounts), tuple(subs))

    return await store.read(read)


async def test_bob_cannot_reach_alices_account_through_any_command(
    core: Core, store: Store
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.link(BOB, "bybit", "futures", BOB_BYBIT)
    before = await _alice_state(store)
    commands = [
        ("status", {"account": "main"}),
        ("positions", {"account": "main"}),
        ("chart", {"account": "main"}),
        ("alerts", {"account": "main", "watch": "30%"}),
        ("alerts", {"account": "main"}),
        ("snooze", {"account": "main", "duration": "4h"}),
        ("unsnooze", {"account": "main"}),
        ("digest", {"account": "main", "schedule": "daily"}),
        ("share", {"account": "main", "level": "positions"}),
        ("unlink", {"account": "main", "confirm": "yes"}),
    ]
    refusal = texts.ACCOUNT_UNKNOWN.format(label="main", labels="futures")
    for name, arguments in commands:
        reply = await core.run(BOB, name, arguments)
        assert reply.severity == "error", name
        assert reply.lines == (refusal,), name
        for word in ALICE_SECRET_WORDS:
            assert word not in reply.text, name
    # In a group, Bob cannot subscribe Alice's account either.
    moderator = in_group("9", moderator=True)
    await core.run(moderator, "setalerts", {})
    reply = await core.run(in_group(BOB.user_id), "subscribe", {"account": "main"})
    assert reply.lines == (refusal,)
    assert await _alice_state(store) == before


async def test_bobs_buttons_on_alices_account_do_nothing(core: Core, store: Store) -> None:
    card = await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.link(BOB, "bybit", "futures", BOB_BYBIT)
    before = await _alice_state(store)
    account_ref = next(a for a in card.actions if a.id is ActionId.REFRESH_STATUS).args[0]
    subscription_ref = "s" + str(before[1][0].id)
    presses = [
        Action(ActionId.REFRESH_STATUS, args=(account_ref,)),
        Action(ActionId.REFRESH_POSITIONS, args=(account_ref,)),
        Action(ActionId.SNOOZE, args=(account_ref, "24h")),
        Action(ActionId.SNOOZE, args=(subscription_ref, "4h")),
        Action(ActionId.UNSNOOZE, args=(subscription_ref,)),
        Action(ActionId.CONFIRM_UNLINK, args=(account_ref,)),
    ]
    for press in presses:
        reply = await core.act(BOB, press.encode())
        assert reply.lines == (texts.UNKNOWN_ACTION,), press
    assert await _alice_state(store) == before
    # The same buttons work for Alice.
    reply = await core.act(ALICE, Action(ActionId.SNOOZE, args=(subscription_ref, "4h")))
    assert reply.title.startswith("Reminders for main snoozed")


async def test_autocomplete_offers_only_the_callers_own_labels(core: Core) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.link(BOB, "bybit", "futures", BOB_BYBIT)
    assert await core.account_labels(ALICE) == ("main",)
    assert await core.account_labels(BOB) == ("futures",)
    assert await core.account_labels(dm("7777")) == ()


async def test_the_same_id_on_another_platform_is_another_person(core: Core) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    impostor = Caller(platform="discord", user_id=ALICE.user_id, chat_id="dm", is_private_chat=True)
    reply = await core.run(impostor, "status", {"account": "main"})
    assert reply.lines == (fill(texts.ACCOUNTS_NONE),)


async def test_a_status_card_stays_private(core: Core) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    reply = await core.run(in_group(ALICE.user_id), "status", {})
    assert reply.lines == (texts.NEEDS_PRIVATE,)
    assert "10,000" not in reply.text


async def test_two_users_may_use_the_same_label(core: Core, store: Store) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    reply = await core.link(BOB, "bybit", "main", BOB_BYBIT)
    assert reply.lines[0] == texts.LINK_DONE.format(
        label="main", venue="Bybit (unified trading account)"
    )
    alice = await core.run(ALICE, "status", {"account": "main"})
    bob = await core.run(BOB, "status", {"account": "main"})
    assert alice.title == "main — Kraken (spot margin)"
    assert bob.title == "main — Bybit (unified trading account)"
