"""Alert events as messages: the owner's DM sees everything, a channel only what is shared."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.alerts import coalesce, render_event
from bot.core.messages import ActionId, message
from bot.monitor.policy import AlertEvent


def _event(**changes: object) -> AlertEvent:
    base: dict[str, object] = dict(
        subscription_id=7,
        account_label="main",
        venue="kraken",
        kind="escalation",
        level="margin_call",
        previous_level="watch",
        priority="critical",
        idempotency_key="k",
        at=1_790_000_000.0,
        ratio_name="margin_level",
        ratio_value=0.78,
        move_to_liquidation=-0.12,
    )
    base.update(changes)
    return AlertEvent(**base)  # type: ignore[arg-type]


def test_the_owner_gets_figures_snooze_buttons_and_sound() -> None:
    reply = render_event(_event())
    assert reply.title == "main: MARGIN CALL"
    assert reply.private and not reply.silent and not reply.mention
    assert "Margin level: 78.0%" in reply.lines
    assert texts.ALERT_MOVE.format(move="12.0% fall") in reply.lines
    assert [(a.id, a.args) for a in reply.actions] == [
        (ActionId.SNOOZE, ("s7", "1h")),
        (ActionId.SNOOZE, ("s7", "4h")),
        (ActionId.SNOOZE, ("s7", "24h")),
    ]


@pytest.mark.parametrize(
    ("share", "shows_figures"),
    [("none", False), ("state", False), ("ratio", True), ("positions", True)],
)
def test_a_channel_sees_only_what_the_owner_shares(share: str, shows_figures: bool) -> None:
    reply = render_event(_event(), share, owner="alice")
    assert reply.title == "alice's main: MARGIN CALL"
    assert not reply.private and not reply.actions  # nobody else can snooze it
    assert ("78.0%" in reply.text) is shows_figures


def test_a_vanished_position_names_the_symbol_only_when_positions_are_shared() -> None:
    event = _event(kind="position_vanished", symbol="BTC/USD", level="ok", priority="routine")
    assert "BTC/USD" in render_event(event, "positions", owner="alice").title
    assert "BTC/USD" not in render_event(event, "ratio", owner="alice").title


def test_critical_in_a_channel_mentions_the_role_and_never_offers_snooze() -> None:
    reply = render_event(_event(level="critical"), "state", owner="alice")
    assert reply.mention and reply.severity == "critical"
    assert not render_event(_event(level="critical")).actions


def test_coalesced_messages_take_the_loudest_severity() -> None:
    calm = message("a", "watch", lines=("one",))
    loud = message("b", "critical", lines=("two",))
    combined = coalesce([loud, calm])
    assert combined.title == texts.ALERT_COALESCED_TITLE.format(first="b", more=1)
    assert combined.severity == "critical" and not combined.silent
    assert combined.lines == ("• b", "  two", "• a", "  one")
    assert coalesce([calm]) is calm


@pytest.mark.parametrize(
    ("kind", "level", "priority", "loud"),
    [
        # A revoked key: the bot is blind for that account until the owner acts.
        ("key_invalid", "ok", "critical", True),
        # Blind on an account last at margin call or worse (the policy makes it critical).
        ("data_stale", "margin_call", "critical", True),
        ("exchange_down", "critical", "critical", True),
        # Blind on a calm account, and a feed back: routine, told without sound.
        ("data_stale", "ok", "routine", False),
        ("exchange_down", "watch", "routine", False),
        ("feed_restored", "critical", "routine", False),
    ],
)
def test_a_feed_alert_rings_when_the_bot_is_blind_where_it_matters(
    kind: str, level: str, priority: str, loud: bool
) -> None:
    event = _event(kind=kind, level=level, previous_level=level, priority=priority, problem="x")
    for shown in (render_event(event), render_event(event, "state", owner="Alice", owner_id="9")):
        assert shown.silent is not loud, shown
    # The colour still says what broke: a revoked key is an error, not a level.
    if kind == "key_invalid":
        assert render_event(event).severity == "error"
