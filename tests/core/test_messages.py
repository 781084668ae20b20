"""The neutral message model: buttons fit both chats, payloads round-trip, refusals are private."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.keyguard import looks_like_secret
from bot.core.messages import (
    Action,
    ActionId,
    Field,
    Image,
    Message,
    Refusal,
    from_payload,
    louder,
    message,
    to_payload,
)


def test_actions_round_trip_and_fit_telegram_callback_data() -> None:
    action = Action(ActionId.SNOOZE, "Snooze 24h", ("s123456789", "24h"))
    encoded = action.encode()
    assert len(encoded.encode()) <= 64
    decoded = Action.decode(encoded)
    assert decoded is not None and (decoded.id, decoded.args) == (action.id, action.args)
    assert Action.decode("someone-else:sn") is None
    assert Action.decode("mw:zz:1") is None
    with pytest.raises(ValueError):
        Action(ActionId.SNOOZE, args=("a:b",)).encode()
    with pytest.raises(ValueError):
        Action(ActionId.SNOOZE, args=("x" * 70,)).encode()


def test_loud_only_from_margin_call() -> None:
    assert message("t", "watch").silent
    assert not message("t", "margin_call").silent
    assert not message("t", "critical").silent
    assert louder("watch", "critical") == "critical"
    assert louder("error", "ok") == "error"


def test_payload_round_trip_with_image() -> None:
    original = Message(
        title="t",
        severity="critical",
        lines=("a", "b"),
        fields=(Field("Equity", "1.00 USD", inline=False),),
        image=Image(b"\x89PNG...", "c.png", "chart"),
        actions=(Action(ActionId.REFRESH_STATUS, "Refresh", ("a1",)),),
        private=True,
        silent=False,
        footer="f",
        mention=True,
    )
    assert from_payload(to_payload(original)) == original
    assert "bytes" in repr(original.image) and "PNG" not in repr(original.image)


def test_a_refusal_becomes_a_private_error() -> None:
    reply = Refusal("No.").to_message()
    assert (reply.title, reply.severity, reply.lines, reply.private) == (
        texts.REFUSED_TITLE,
        "error",
        ("No.",),
        True,
    )


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("here is my key vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", True),
        ("secret: 7c5f0a2b9e1d4c3a8b6f0e2d1c9a7b5e", True),
        ("my BTC long is at 61234.5, liquidation 44800", False),
        ("see https://www.kraken.com/u/security/api/abcdefghijklmnop1234567890", False),
        ("wallet 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", False),
        ("", False),
    ],
)
def test_key_guard_spots_pasted_secrets(text: str, secret: bool) -> None:
    assert looks_like_secret(text) is secret


def test_references_survive_the_outbox_and_old_plain_payloads_still_read() -> None:
    import json

    from bot.core.messages import Field, from_payload, message, to_payload
    from bot.core.refs import ChannelRef, CommandRef, RoleRef, UserRef, fill, parts_of

    line = fill(
        "{owner} moved alerts to {channel} ({role}); {/unlink:account={label} confirm=yes}",
        owner=UserRef("12", "Alice"),
        channel=ChannelRef("34", "56", here=True),
        role=RoleRef("78"),
        label="my acct",
    )
    title = fill(texts.ALERT_OWNER, owner=UserRef("12", "Alice"), label="main")
    sent = message(title, "critical", lines=(line, "plain"), fields=(Field("where", line),))
    back = from_payload(json.loads(json.dumps(to_payload(sent))))
    assert back == sent
    assert parts_of(back.lines[0]) == parts_of(line)
    assert parts_of(back.fields[0].value) == parts_of(line)
    assert CommandRef("unlink", (("account", "my acct"), ("confirm", "yes"))) in back.lines[0].parts
    assert parts_of(back.title)[0] == UserRef("12", "Alice")
    # A payload written before references existed is all plain strings, and reads as such.
    old = {
        "title": "t",
        "lines": ["Send /link to add one."],
        "fields": [{"name": "a", "value": "b"}],
    }
    assert from_payload(old).lines == ("Send /link to add one.",)
