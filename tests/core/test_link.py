"""Linking an account: the key is checked, read once, stored encrypted; refusals change nothing."""

from __future__ import annotations

from bot.core import texts
from bot.core.identity import Caller
from bot.core.messages import Message, Refusal
from bot.core.usecases import Core
from bot.store import Store
from tests.core.conftest import ALICE, ALICE_KRAKEN, BOB, BOB_BYBIT, TRADING_BYBIT, in_group


async def _accounts(store: Store) -> list:
    return await store.read(lambda tx: tx.accounts.list_all())


async def test_linking_a_kraken_key_answers_with_the_first_status(core: Core, store: Store) -> None:
    reply = await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    assert reply.private
    assert reply.lines[0] == texts.LINK_DONE.format(label="main", venue="Kraken (spot margin)")
    # Kraken cannot report a key's rights: the probe's advice is passed on.
    assert any("Query Funds" in line for line in reply.lines)
    assert any(f.name == "Margin level" for f in reply.fields)
    [account] = await _accounts(store)
    assert (account.venue, account.label, account.has_credentials) == ("kraken", "main", True)
    secrets = await store.read(lambda tx: tx.accounts.credentials(account.id))
    assert secrets.api_key == ALICE_KRAKEN["api_key"]
    history = await store.read(lambda tx: tx.history.series(account.id))
    assert len(history) == 1 and history[0].ratio_name == "margin_level"


async def test_a_key_that_can_trade_is_refused_with_the_probes_sentence(
    core: Core, store: Store
) -> None:
    try:
        await core.link(BOB, "bybit", "risky", TRADING_BYBIT)
    except Refusal as refusal:
        assert "allows trading" in refusal.sentence
        assert refusal.sentence.startswith("I did not link the key:")
    else:
        raise AssertionError("a trading key was linked")
    assert await _accounts(store) == []


async def test_a_wrong_key_is_refused_and_nothing_is_saved(core: Core, store: Store) -> None:
    reply = await _link_message(
        core, BOB, "bybit", "x", {"api_key": "nobody-has-this-key", "secret": "nope"}
    )
    assert reply.severity == "error"
    assert reply.lines[0].startswith("I could not read the account:")
    assert await _accounts(store) == []


async def _link_message(
    core: Core, caller: Caller, venue: str, label: str, creds: dict[str, str]
) -> Message:
    try:
        return await core.link(caller, venue, label, creds)
    except Refusal as refusal:
        return refusal.to_message()


async def test_bad_link_inputs_each_get_their_own_sentence(core: Core, store: Store) -> None:
    cases = [
        (("mtgox", "x", ALICE_KRAKEN), "I cannot watch 'mtgox'."),
        (("kraken", "no/slashes", ALICE_KRAKEN), "A label is 1 to 32"),
        (("kraken", "x", {"api_key": ALICE_KRAKEN["api_key"]}), "needs your API secret"),
        (("kraken", "x", {**ALICE_KRAKEN, "passphrase": "pp"}), "does not use a API passphrase"),
        (("kraken", "x", {"api_key": "has space", "secret": "s"}), "does not look right"),
    ]
    for (venue, label, creds), expected in cases:
        reply = await _link_message(core, ALICE, venue, label, creds)
        assert reply.severity == "error"
        assert expected in reply.lines[0], (venue, label, reply.lines[0])
    assert await _accounts(store) == []


async def test_the_same_label_twice_is_refused(core: Core, store: Store) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    reply = await _link_message(core, ALICE, "bybit", "MAIN", BOB_BYBIT)
    assert reply.lines[0] == texts.LINK_LABEL_TAKEN.format(label="MAIN")
    assert len(await _accounts(store)) == 1


async def test_keys_are_never_taken_in_a_group(core: Core, store: Store) -> None:
    reply = await core.run(in_group("1001"), "link", {"venue": "kraken"})
    assert reply.lines == (texts.NEEDS_PRIVATE,)
    reply = await _link_message(core, in_group("1001"), "kraken", "main", ALICE_KRAKEN)
    assert reply.lines == (texts.NEEDS_PRIVATE,)
    assert await _accounts(store) == []


async def test_a_community_can_restrict_venues(core: Core, store: Store) -> None:
    moderator = in_group("9", moderator=True)
    await core.run(moderator, "settings", {"venues": "bybit"})
    # A Discord-style caller: inside the community, answered ephemerally.
    member = Caller(
        platform="telegram",
        user_id="1001",
        chat_id="-100500",
        is_private_chat=False,
        community_id="-100500",
        can_reply_privately=True,
    )
    reply = await _link_message(core, member, "kraken", "main", ALICE_KRAKEN)
    assert reply.lines == (texts.LINK_VENUE_NOT_ALLOWED.format(venues="bybit"),)
    assert await _accounts(store) == []


async def test_no_secret_appears_in_any_reply(core: Core) -> None:
    replies = [
        await core.link(ALICE, "kraken", "main", ALICE_KRAKEN),
        await core.run(ALICE, "accounts"),
        await core.run(ALICE, "status"),
        await _link_message(core, BOB, "bybit", "risky", TRADING_BYBIT),
    ]
    secrets = [
        ALICE_KRAKEN["secret"],
        ALICE_KRAKEN["api_key"],
        TRADING_BYBIT["secret"],
        TRADING_BYBIT["api_key"],
    ]
    for reply in replies:
        dump = reply.text + repr(reply)
        for secret in secrets:
            assert secret not in dump


def test_the_link_form_asks_for_what_the_venue_needs(core: Core) -> None:
    kraken = core.link_form("kraken")
    assert [f.name for f in kraken.fields] == ["api_key", "secret"]
    okx = core.link_form("okx")
    assert [f.name for f in okx.fields] == ["api_key", "secret", "passphrase"]
    assert all(f.secret for f in okx.fields)
