"""Bad input: fuzzed command arguments through core's real entry points, thresholds out of range,
enormous, negative and non-numeric numbers, unicode, markup in labels, keys with whitespace."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import risk
from bot.core import registry, texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, Message, Refusal
from bot.core.usecases import Core
from bot.store import Store

from .conftest import ALICE, ALICE_KEYS, BOB, dm, in_group

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NAMES = [c.name for c in registry.COMMANDS]
CALLERS = [
    ALICE,
    BOB,
    in_group(ALICE.user_id),
    in_group("1003", moderator=True),
    in_group("1004", moderator=True, platform="discord"),
    Caller(platform="console", user_id="c", chat_id="c", is_private_chat=True),
]
# Words that mean something to the parsers, mixed into random text so fuzzing reaches past them.
MEANINGFUL = st.sampled_from(
    [
        "main",
        "20%",
        "5",
        "0",
        "-5",
        "1e309",
        "nan",
        "inf",
        "-inf",
        "4h",
        "99999d",
        "25:61",
        "Europe/Berlin",
        "Mars/Olympus",
        "yes",
        "no",
        "daily",
        "weekly",
        "mon",
        "all",
        "kraken",
        "bybit",
        "positions",
        "none",
        "@everyone",
        "<b>x</b>",
        "*x*",
        "`",
        "\\",
        '"',
        "'",
        "watch=1%",
        "critical=80%",
        "level=0",
        "level=120%",
        "account=main",
        "confirm=yes",
        "days=0",
        "days=91",
        "limit=-1",
        "limit=1e9",
        "٣٠",
        "２０",
        "\u202e",
        "\x00",
        "\n",
        "a" * 300,
        "label=" + "x" * 100,
        "99999999999999999999",
        "member=99999999999999999999",
        "limit=99999999999999999999",
        "channel=-99999999999999999999",
        "role=99999999999999999999",
        "days=99999999999999999999",
        "member=@nobody",
        "member=<@1>",
    ]
)
TEXT = st.lists(st.one_of(MEANINGFUL, st.text(max_size=30)), max_size=6).map(" ".join)


def assert_answered(reply: Message) -> None:
    """Whatever was typed: an answer, never a crash and never the catch-all internal error."""
    assert isinstance(reply, Message)
    assert reply.title and reply.text.strip()
    assert texts.ERROR_INTERNAL not in reply.lines, reply.text


@FUZZ
@given(name=st.sampled_from(NAMES), text=TEXT, who=st.sampled_from(CALLERS))
async def test_any_text_after_any_command_gets_an_answer_never_a_crash(
    core: Core, name: str, text: str, who: Caller
) -> None:
    command = registry.command(name)
    try:
        arguments = registry.parse_text_arguments(command, text)
    except Refusal as refusal:
        assert refusal.sentence.strip()
        return
    assert set(arguments) <= {a.name for a in command.arguments}
    assert_answered(await core.run(who, name, arguments))
    assert_answered(await core.run_text(who, name, text))


@FUZZ
@given(
    name=st.sampled_from(NAMES),
    arguments=st.dictionaries(
        st.sampled_from(
            [
                "account",
                "watch",
                "critical",
                "level",
                "duration",
                "days",
                "schedule",
                "time",
                "timezone",
                "weekday",
                "venue",
                "label",
                "confirm",
                "member",
                "limit",
                "venues",
                "enabled",
                "share",
                "role",
                "channel",
                "bogus",
            ]
        ),
        st.one_of(MEANINGFUL, st.text(max_size=40)),
        max_size=5,
    ),
    who=st.sampled_from(CALLERS),
)
async def test_any_named_arguments_as_a_slash_command_sends_them_get_an_answer(
    core: Core, name: str, arguments: dict[str, str], who: Caller
) -> None:
    assert_answered(await core.run(who, name, arguments))


async def alerts_of(store: Store) -> tuple:
    def read(tx):  # type: ignore[no-untyped-def]
        user = tx.users.find("telegram", ALICE.user_id)
        return tuple(
            (s.thresholds, s.snoozed_until, s.digest, s.share)
            for s in tx.subscriptions.for_owner(user.id)
        )

    return await store.read(read)


BAD_NUMBERS = [
    "-5",
    "0",
    "0%",
    "100",
    "95%",
    "1e309",
    "-1e309",
    "nan",
    "NaN%",
    "inf",
    "-inf",
    "1e-320",
    "5e-324",
    "99999999999999999999999999999",
    "0x10",
    "",
    "   ",
    "%",
    "twenty",
    "∞",
    "1_0",
    "--5",
    "+-5",
    "5;DROP TABLE accounts",
    "\x00",
]
# Read leniently, and rightly so: "20%%" and "20 % %" are 20 %; Arabic-Indic digits are digits.


# Kraken's margin level liquidates at 40 %: a watch level at or below it is no warning at all.
BAD_LEVELS = [v for v in BAD_NUMBERS if v not in ("100", "95%")] + ["40%", "30%", "0.3", "1e6%"]
THRESHOLD_CASES = [(f, v) for f in ("watch", "critical") for v in BAD_NUMBERS] + [
    ("level", v) for v in BAD_LEVELS
]


@pytest.mark.parametrize(("field", "value"), THRESHOLD_CASES)
async def test_thresholds_out_of_range_or_not_numbers_are_refused_and_change_nothing(
    core: Core, store: Store, field: str, value: str
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KEYS)
    before = await alerts_of(store)
    reply = await core.run(ALICE, "alerts", {"account": "main", field: value})
    if value == "":  # an empty option is "not given": the settings are shown
        assert reply.severity != "error" and await alerts_of(store) == before
        return
    assert reply.severity == "error", (value, reply.text)
    assert len(reply.lines) == 1 and reply.lines[0].endswith((".", ")", "?"))
    assert await alerts_of(store) == before


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("snooze", {"account": "main", "duration": "99999d"}),
        ("snooze", {"account": "main", "duration": "-1h"}),
        ("snooze", {"account": "main", "duration": "1e309h"}),
        ("chart", {"account": "main", "days": "1e9"}),
        ("chart", {"account": "main", "days": "-3"}),
        ("digest", {"account": "main", "schedule": "daily", "time": "25:61"}),
        ("digest", {"account": "main", "schedule": "daily", "timezone": "../../etc/passwd"}),
        ("digest", {"account": "main", "schedule": "weekly", "weekday": "someday"}),
        ("share", {"account": "main", "level": "balances"}),
        ("status", {"account": "main\x00"}),
        ("status", {"account": "x" * 10_000}),
    ],
)
async def test_other_out_of_range_values_are_refused_in_one_sentence(
    core: Core, store: Store, name: str, arguments: dict[str, str]
) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KEYS)
    before = await alerts_of(store)
    reply = await core.run(ALICE, name, arguments)
    assert reply.severity == "error", reply.text
    assert len(reply.lines) == 1
    assert await alerts_of(store) == before


LABELS = [
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "*desk*_x_",
    "`code`",
    "[x](http://e.vil)",
    "@everyone",
    "a&amp;b",
    "||spoiler||",
    "~~strike~~",
    "> quote",
    "\u202emirror",
    "تداول",
    "交易 desk",
    "🚀 moon",
    "a\\b",
]


@pytest.mark.parametrize("label", LABELS)
async def test_a_label_with_markup_is_refused_in_a_sentence_or_stored_as_typed(
    core: Core, label: str
) -> None:
    try:
        await core.link(ALICE, "kraken", label, ALICE_KEYS)
    except Refusal as refusal:
        assert "label" in refusal.sentence.lower()
        assert await core.account_labels(ALICE) == ()
        return
    assert await core.account_labels(ALICE) == (label,)


@pytest.mark.parametrize("label", ["", "   ", "x" * 200, "a\nb", "tab\there", "\x00"])
async def test_empty_overlong_or_control_character_labels_are_refused(
    core: Core, store: Store, label: str
) -> None:
    try:
        reply = await core.link(ALICE, "kraken", label, ALICE_KEYS)
    except Refusal as refusal:
        assert refusal.sentence
        assert await core.account_labels(ALICE) == ()
        return
    # Accepted: then it was cleaned into something printable on one line.
    [stored] = await core.account_labels(ALICE)
    assert stored.strip() and "\n" not in stored and "\x00" not in stored, (stored, reply.text)
    assert len(stored) <= 64


@pytest.mark.parametrize("pad", [" {} ", "\n{}\n", "\t{}", "{}\r\n", "\u00a0{}\u200b"])
async def test_keys_pasted_with_whitespace_or_newlines_still_link_or_get_a_sentence(
    core: Core, store: Store, pad: str
) -> None:
    keys = {name: pad.format(value) for name, value in ALICE_KEYS.items()}
    try:
        card = await core.link(ALICE, "kraken", "main", keys)
    except Refusal as refusal:
        assert refusal.sentence and ALICE_KEYS["api_key"] not in refusal.sentence
        assert await core.account_labels(ALICE) == ()
        return
    assert card.severity != "error"
    stored = await store.read(
        lambda tx: tx.accounts.credentials(
            tx.accounts.list_for_owner(tx.users.find("telegram", ALICE.user_id).id)[0].id
        )
    )
    assert stored.api_key == ALICE_KEYS["api_key"] and stored.secret == ALICE_KEYS["secret"]


@pytest.mark.parametrize("inside", [" ", "\n", "\t"])
async def test_a_key_with_whitespace_inside_is_refused_in_a_sentence_without_the_key(
    core: Core, inside: str
) -> None:
    key = ALICE_KEYS["api_key"]
    broken = {**ALICE_KEYS, "api_key": key[:8] + inside + key[8:]}
    with pytest.raises(Refusal) as refused:
        await core.link(ALICE, "kraken", "main", broken)
    assert key[:8] not in refused.value.sentence and not re.search(r"\s{2,}", key)


@pytest.fixture
async def alice_linked(core: Core, store: Store) -> Core:
    await core.link(ALICE, "kraken", "main", ALICE_KEYS)
    return core


async def alice_everything(store: Store) -> tuple:
    def read(tx):  # type: ignore[no-untyped-def]
        user = tx.users.find("telegram", ALICE.user_id)
        accounts = tuple(tx.accounts.list_for_owner(user.id))
        return (
            accounts,
            tuple(tx.subscriptions.for_owner(user.id)),
            tuple(tx.accounts.credentials(a.id) for a in accounts),
        )

    return await store.read(read)


OTHERS = [
    BOB,
    in_group(BOB.user_id),
    in_group("1003", moderator=True),
    in_group("1004", moderator=True, platform="discord"),
    dm(ALICE.user_id, "discord"),
]


@FUZZ
@given(name=st.sampled_from(NAMES), text=TEXT, who=st.sampled_from(OTHERS))
async def test_no_command_by_anyone_else_reads_or_changes_alices_account(
    alice_linked: Core, store: Store, name: str, text: str, who: Caller
) -> None:
    before = await alice_everything(store)
    reply = await alice_linked.run_text(who, name, text)
    assert_answered(reply)
    assert "10,000" not in reply.text and "Margin level" not in reply.text  # her figures
    assert await alice_everything(store) == before


SANE = st.floats(min_value=0.01, max_value=1e6)
EDGE_NUMBERS = st.one_of(
    SANE,
    SANE,
    SANE,
    st.sampled_from(
        [
            0,
            0.0,
            -0.0,
            -1,
            1e308,
            -1e308,
            5e-324,
            float("nan"),
            float("inf"),
            float("-inf"),
            2**63,
            "1",
            "nan",
            "",
            None,
            True,
            [],
            {},
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
)
POSITION = st.fixed_dictionaries(
    {
        "symbol": st.sampled_from(["BTC/USDT:USDT", "ETH/USDT:USDT", "BTC/USDT:USDT", "", "💥"]),
        "kind": st.sampled_from(["linear", "inverse", "spot_margin", "linear", "other"]),
        "size": st.one_of(EDGE_NUMBERS, SANE.map(lambda v: -v)),
        "entry_price": EDGE_NUMBERS,
        "mark_price": EDGE_NUMBERS,
        "maintenance_rate": st.one_of(st.floats(min_value=0.001, max_value=0.5), EDGE_NUMBERS),
    },
    optional={
        "contract_size": EDGE_NUMBERS,
        "maintenance_amount": EDGE_NUMBERS,
        "margin_mode": st.sampled_from(["cross", "isolated", 7]),
        "isolated_margin": EDGE_NUMBERS,
        "used_margin": EDGE_NUMBERS,
        "used_margin_in": st.sampled_from(["quote", "base", "moon"]),
        "tiers": st.lists(
            st.fixed_dictionaries(
                {
                    "floor": EDGE_NUMBERS,
                    "cap": EDGE_NUMBERS,
                    "rate": EDGE_NUMBERS,
                    "amount": EDGE_NUMBERS,
                }
            ),
            max_size=3,
        ),
        "reported": st.fixed_dictionaries({}, optional={"liquidation_price": EDGE_NUMBERS}),
    },
)
SNAPSHOT = st.fixed_dictionaries(
    {
        "venue": st.sampled_from(
            [
                "binanceusdm",
                "kraken",
                "binance",
                "bybit",
                "okx",
                "hyperliquid",
                "krakenfutures",
                "binancecoinm",
                "nowhere",
            ]
        ),
        "settle": st.sampled_from(["USDT", "USD", "BTC", "USDT", "USD", "USDT", ""]),
        "wallet_balance": st.one_of(SANE, EDGE_NUMBERS),
        "positions": st.lists(POSITION, max_size=4),
    },
    optional={
        "assets": st.lists(
            st.fixed_dictionaries(
                {
                    "asset": st.sampled_from(["BTC", "USDT"]),
                    "amount": EDGE_NUMBERS,
                    "price": EDGE_NUMBERS,
                    "haircut": EDGE_NUMBERS,
                }
            ),
            max_size=2,
        ),
        "liabilities": st.lists(
            st.fixed_dictionaries(
                {
                    "asset": st.sampled_from(["BTC", "USDT"]),
                    "amount": EDGE_NUMBERS,
                    "interest": EDGE_NUMBERS,
                    "price": EDGE_NUMBERS,
                }
            ),
            max_size=2,
        ),
        "thresholds": st.fixed_dictionaries(
            {}, optional={"margin_call": EDGE_NUMBERS, "liquidation": EDGE_NUMBERS}
        ),
    },
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SNAPSHOT)
@example(
    {
        "venue": "binanceusdm",
        "settle": "USDT",
        "wallet_balance": 1.0,  # equity overflowed
        "positions": [
            {
                "symbol": "BTC/USDT:USDT",
                "kind": "linear",
                "size": 2.0,
                "entry_price": 1.0,
                "mark_price": 1e308,
                "maintenance_rate": 0.5,
            }
        ],
    }
)
@example(
    {
        "venue": "kraken",
        "settle": "USD",
        "wallet_balance": 1e300,  # ratio overflowed
        "positions": [
            {
                "symbol": "BTC/USD",
                "kind": "spot_margin",
                "size": 1.0,
                "entry_price": 1.0,
                "mark_price": 1.0,
                "maintenance_rate": 0.1,
                "used_margin": 5e-324,
            }
        ],
    }
)
def test_any_snapshot_is_refused_in_one_line_or_assessed_without_a_nan(raw: dict) -> None:
    try:
        health = risk.assess(risk.parse_snapshot(raw))
    except risk.SnapshotError as exc:  # from the parser, or figures too large to judge
        assert str(exc) and "\n" not in str(exc)
        return
    assert health.state in ("ok", "warning", "margin_call", "liquidation")
    # Strict JSON: a NaN or an infinity anywhere in the figures would fail here.
    json.dumps(risk.health_to_dict(health), allow_nan=False)


REFS = st.one_of(
    st.sampled_from(["a1", "s1", "a0", "a-1", "a99999999999999999999", "s", "a", "a1.0", "a١", ""]),
    st.text(max_size=12),
)


@FUZZ
@given(
    action=st.sampled_from(list(ActionId)),
    refs=st.lists(REFS, max_size=3),
    who=st.sampled_from(OTHERS),
)
async def test_no_button_anyone_else_presses_reads_or_changes_alices_account(
    alice_linked: Core, store: Store, action: ActionId, refs: list[str], who: Caller
) -> None:
    """Alice's account is a1 and her subscription s1: forged buttons naming them do nothing."""
    before = await alice_everything(store)
    reply = await alice_linked.act(who, Action(action, "", tuple(refs)))
    assert_answered(reply)
    assert "10,000" not in reply.text and "Margin level" not in reply.text
    if action is not ActionId.CONFIRM_DELETE_MY_DATA:  # that one deletes the presser's own data
        assert await alice_everything(store) == before
    else:
        assert (await alice_everything(store))[0] == before[0]


@FUZZ
@given(data=st.one_of(st.text(max_size=80), TEXT.map(lambda t: "mw:" + t.replace(" ", ":"))))
async def test_any_callback_data_gets_an_answer_never_a_crash(
    alice_linked: Core, data: str
) -> None:
    assert_answered(await alice_linked.act(BOB, data))
