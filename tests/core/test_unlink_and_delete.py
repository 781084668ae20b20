"""Unlinking purges the key and history; deleting my data leaves nothing of me."""

from __future__ import annotations

from bot.core import texts
from bot.core.messages import ActionId
from bot.core.refs import fill
from bot.core.usecases import Core
from bot.store import Store
from tests.core.conftest import ALICE, ALICE_KRAKEN, BOB, BOB_BYBIT, in_group


async def _counts(store: Store) -> dict[str, int]:
    def read(tx):
        return {
            table: tx.db.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("accounts", "subscriptions", "health_history", "users")
        }

    return await store.read(read)


async def test_unlink_asks_first_then_purges_key_subscriptions_and_history(
    core: Core, store: Store
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.run(ALICE, "status", {})
    assert (await _counts(store))["health_history"] == 2
    question = await core.run(ALICE, "unlink", {"account": "main"})
    assert question.lines == (fill(texts.UNLINK_CONFIRM, label="main"),)
    assert "Run /unlink main confirm=yes or press the button." in question.lines[0]
    assert (await _counts(store))["accounts"] == 1
    [button] = question.actions
    assert button.id is ActionId.CONFIRM_UNLINK
    reply = await core.act(ALICE, button.encode())
    assert reply.lines == (texts.UNLINK_DONE.format(label="main"),)
    counts = await _counts(store)
    assert (counts["accounts"], counts["subscriptions"], counts["health_history"]) == (0, 0, 0)
    # The file no longer holds the secret anywhere (secure_delete, checkpointed WAL).
    assert ALICE_KRAKEN["api_key"].encode() not in store.path.read_bytes()


async def test_unlink_with_confirm_in_one_go(core: Core, store: Store) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    reply = await core.run_text(ALICE, "unlink", "main confirm=yes")
    assert reply.lines == (texts.UNLINK_DONE.format(label="main"),)
    assert (await _counts(store))["accounts"] == 0


async def test_delete_my_data_removes_only_mine(core: Core, store: Store) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    await core.link(BOB, "bybit", "futures", BOB_BYBIT)
    await core.run(in_group("9", moderator=True), "setalerts", {})
    await core.run(in_group(ALICE.user_id), "subscribe", {})
    question = await core.run(ALICE, "deletemydata", {})
    assert question.lines == (fill(texts.DELETE_CONFIRM),)
    assert (await _counts(store))["accounts"] == 2
    reply = await core.act(ALICE, question.actions[0])
    assert reply.lines == (texts.DELETE_DONE.format(accounts=1),)
    assert await core.account_labels(ALICE) == ()
    assert await core.account_labels(BOB) == ("futures",)
    assert await store.read(lambda tx: tx.users.find("telegram", ALICE.user_id)) is None
    reply = await core.run(ALICE, "deletemydata", {"confirm": "yes"})
    assert reply.lines == (texts.DELETE_NOTHING,)


async def test_a_bad_confirm_word_is_refused(core: Core, store: Store) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    reply = await core.run(ALICE, "unlink", {"account": "main", "confirm": "perhaps"})
    assert reply.lines == (texts.NOT_A_BOOLEAN.format(name="confirm", value="perhaps"),)
    assert (await _counts(store))["accounts"] == 1
