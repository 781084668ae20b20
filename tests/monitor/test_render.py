"""Alert events become neutral messages that show no more than the subscription shares."""

from __future__ import annotations

import json

from bot.monitor.outbox import backoff_delay
from bot.monitor.policy import AlertRules, AlertState, FeedFailure, Subject, evaluate
from bot.monitor.render import coalesce, message_from_json, message_to_json, render_event
from bot.store import backoff_seconds

from .healthbuilder import binance_futures_health

SUBJECT = Subject(subscription_id=3, account_label="main", venue="binanceusdm")


def event_for(reading: object, state: AlertState | None = None):  # type: ignore[no-untyped-def]
    decision = evaluate(state or AlertState(), reading, AlertRules(), SUBJECT, 1_750_000_000.0)  # type: ignore[arg-type]
    return decision.events[0]


def test_margin_call_alert_in_a_dm_shows_ratio_and_move() -> None:
    msg = render_event(event_for(binance_futures_health(0.85, -0.12)))
    assert msg.title == "main: MARGIN CALL"
    assert msg.severity == "margin_call"
    assert not msg.silent
    assert any("Margin ratio: 85.0%" in line for line in msg.lines)
    assert any("12.0% fall" in line for line in msg.lines)


def test_channel_that_only_shares_state_sees_no_figures() -> None:
    msg = render_event(event_for(binance_futures_health(0.85, -0.12)), share="state")
    assert msg.title == "main: MARGIN CALL"
    assert not any("%" in line for line in msg.lines)


def test_vanished_position_symbol_is_hidden_unless_positions_are_shared() -> None:
    state = AlertState(
        level="margin_call",
        told_level="margin_call",
        told_at=1_749_999_990.0,
        positions=("BTC/USDT:USDT",),
        last_success_at=1_749_999_990.0,
    )
    event = event_for(binance_futures_health(0.85, symbols=()), state)
    assert "BTC/USDT:USDT" in render_event(event).title
    assert "BTC" not in render_event(event, share="ratio").title
    assert render_event(event).severity == "critical"


def test_key_invalid_alert_tells_the_user_to_relink() -> None:
    msg = render_event(event_for(FeedFailure("auth_failed")))
    assert msg.title == "main: key invalid or revoked"
    assert "/link" in msg.text
    assert msg.severity == "error"


def test_coalesced_message_leads_with_the_first_and_takes_the_loudest_severity() -> None:
    critical = render_event(event_for(binance_futures_health(1.0)))
    stale = render_event(event_for(FeedFailure("auth_failed"), AlertState(failed_polls=0)))
    combined = coalesce([critical, stale])
    assert combined.title.startswith("main: CRITICAL")
    assert combined.title.endswith("(+1 more)")
    assert combined.severity == "error"  # error is the loudest severity in the core model
    assert any("key invalid" in line for line in combined.lines)
    assert not combined.silent
    assert coalesce([stale]) is stale


def test_message_json_round_trip_keeps_buttons() -> None:
    msg = render_event(event_for(binance_futures_health(0.85)))
    assert msg.actions, "a margin call offers a snooze button"
    back = message_from_json(json.loads(json.dumps(message_to_json(msg))))
    assert back == msg


def test_backoff_follows_the_store_curve_with_jitter_in_the_upper_half() -> None:
    low = [backoff_delay(n, rng=lambda: 0.0) for n in range(1, 12)]
    high = [backoff_delay(n, rng=lambda: 0.999) for n in range(1, 12)]
    assert low[:4] == [2.5, 5.0, 10.0, 20.0]
    assert high[-1] < backoff_seconds(11) == 2 * low[-1]
    assert all(lo < hi for lo, hi in zip(low, high, strict=True))
