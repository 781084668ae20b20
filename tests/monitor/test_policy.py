"""The alert policy's rules, each named after the story it protects (fake clock, no I/O)."""

from __future__ import annotations

from dataclasses import replace

from bot.monitor.clock import ManualClock
from bot.monitor.policy import (
    AlertEvent,
    AlertRules,
    AlertState,
    FeedFailure,
    Subject,
    evaluate,
    judge_level,
)
from bot.store import AlertState as StoredState
from bot.store import Thresholds

from .healthbuilder import binance_futures_health, kraken_health

SUBJECT = Subject(subscription_id=7, account_label="main", venue="binanceusdm")
RULES = AlertRules()
FRESH = AlertState(subscription_id=SUBJECT.subscription_id)


class Watcher:
    """Feeds readings through the policy the way the scheduler does, keeping the state."""

    def __init__(self, rules: AlertRules = RULES) -> None:
        self.clock = ManualClock()
        self.state = AlertState(subscription_id=SUBJECT.subscription_id)
        self.rules = rules
        self.sent: list[AlertEvent] = []

    def poll(self, reading: object, after: float = 60.0) -> list[AlertEvent]:
        self.clock.advance(after)
        decision = evaluate(self.state, reading, self.rules, SUBJECT, self.clock.now())  # type: ignore[arg-type]
        self.state = decision.state
        self.sent.extend(decision.events)
        return list(decision.events)

    def poll_many(self, reading: object, times: int) -> list[AlertEvent]:
        return [event for _ in range(times) for event in self.poll(reading)]


def kinds(events: list[AlertEvent]) -> list[tuple[str, str]]:
    return [(e.kind, e.level) for e in events]


def test_calm_account_stays_silent() -> None:
    watcher = Watcher()
    for _ in range(20):
        assert watcher.poll(binance_futures_health(0.30)) == []
    assert watcher.state.level == "ok"


def test_trader_is_told_at_once_when_account_reaches_margin_call() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.30))
    events = watcher.poll(binance_futures_health(0.85))
    assert kinds(events) == [("escalation", "margin_call")]
    assert events[0].previous_level == "ok"
    assert events[0].ratio_value == 0.85
    assert events[0].priority == "routine"


def test_jump_straight_to_critical_is_one_critical_alert_not_a_ladder() -> None:
    watcher = Watcher()
    events = watcher.poll(binance_futures_health(1.02))
    assert kinds(events) == [("escalation", "critical")]
    assert events[0].priority == "critical"


def test_each_further_escalation_is_told_again() -> None:
    watcher = Watcher()
    assert kinds(watcher.poll(binance_futures_health(0.65))) == [("escalation", "watch")]
    assert kinds(watcher.poll(binance_futures_health(0.85))) == [("escalation", "margin_call")]
    assert kinds(watcher.poll(binance_futures_health(1.00))) == [("escalation", "critical")]


def test_user_move_threshold_makes_account_critical_before_the_venue_would() -> None:
    # Ratio 0.5 is fine for Binance, but a 4 % move liquidates: the user's 5 % line is crossed.
    five_percent = AlertRules(thresholds=Thresholds(critical_move=0.05, watch_move=0.25))
    assert judge_level(binance_futures_health(0.5, -0.04), five_percent) == "critical"
    assert judge_level(binance_futures_health(0.5, -0.20), five_percent) == "watch"
    assert judge_level(binance_futures_health(0.5, -0.30), five_percent) == "ok"


def test_without_own_levels_critical_means_five_percent_from_liquidation() -> None:
    assert judge_level(binance_futures_health(0.5, -0.049), AlertRules()) == "critical"
    assert judge_level(binance_futures_health(0.5, -0.051), AlertRules()) == "ok"


def test_user_ratio_threshold_on_kraken_margin_level_higher_is_safer() -> None:
    thresholds = AlertRules(thresholds=Thresholds(watch_ratio=2.0, margin_call_ratio=1.5))
    assert judge_level(kraken_health(1.8), thresholds) == "watch"
    assert judge_level(kraken_health(1.4), thresholds) == "margin_call"
    assert judge_level(kraken_health(3.0), thresholds) == "ok"
    # The venue's own levels still apply under the user's: 0.35 is past Kraken's liquidation.
    assert judge_level(kraken_health(0.35), thresholds) == "critical"


def test_reminders_repeat_on_cadence_while_at_margin_call() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.85))  # escalation
    reminders = []
    for _ in range(60):  # one hour of one-minute polls
        reminders += watcher.poll(binance_futures_health(0.85))
    assert kinds(reminders) == [("reminder", "margin_call")] * 2  # at 30 and 60 minutes


def test_reminders_come_faster_at_critical() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(1.0))
    reminders = []
    for _ in range(30):
        reminders += watcher.poll(binance_futures_health(1.0))
    assert kinds(reminders) == [("reminder", "critical")] * 3
    assert all(e.priority == "critical" for e in reminders)


def test_no_reminders_at_watch_level() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.65))
    assert watcher.poll_many(binance_futures_health(0.65), 120) == []


def test_recovery_is_announced_only_past_the_hysteresis_band() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.85))
    # Hovering just under the 0.8 call line (inside the 10 % band, above 0.72) changes nothing.
    assert watcher.poll(binance_futures_health(0.79)) == []
    assert watcher.poll(binance_futures_health(0.81)) == []
    assert watcher.poll(binance_futures_health(0.75)) == []
    assert watcher.state.level == "margin_call"
    events = watcher.poll(binance_futures_health(0.70))
    assert kinds(events) == [("recovery", "watch")]
    assert events[0].previous_level == "margin_call"
    # And down to ok only past the watch line's band (0.6 -> below 0.54).
    assert watcher.poll(binance_futures_health(0.57)) == []
    assert kinds(watcher.poll(binance_futures_health(0.40))) == [("recovery", "ok")]


def test_recovery_hysteresis_on_a_higher_is_safer_ratio() -> None:
    watcher = Watcher()
    watcher.poll(kraken_health(0.7))  # below Kraken's 0.8 call
    assert watcher.poll(kraken_health(0.85)) == []  # inside the band (needs > 0.88)
    assert kinds(watcher.poll(kraken_health(0.95))) == [("recovery", "watch")]


def test_restart_re_evaluation_never_repeats_what_was_already_sent() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.85))
    # The process restarts: the state comes back from the store (the same record the policy
    # returned; tests/store/test_transition.py checks the round trip) and is re-checked.
    restored = watcher.state
    assert isinstance(restored, StoredState)
    decision = evaluate(
        restored, binance_futures_health(0.85), RULES, SUBJECT, watcher.clock.now() + 5
    )
    assert decision.events == ()
    # ...but the reminder cadence carries on from the stored time, not from the restart.
    later = evaluate(
        restored,
        binance_futures_health(0.85),
        RULES,
        SUBJECT,
        watcher.clock.now() + RULES.remind_margin_call_every,
    )
    assert kinds(list(later.events)) == [("reminder", "margin_call")]


def test_a_retried_evaluation_of_the_same_poll_gets_the_same_idempotency_keys() -> None:
    # A crash between evaluating and committing judges the same stored state again: same keys,
    # so the outbox stores the alerts once.
    state = replace(FRESH, positions=("BTC/USDT:USDT",), last_success_at=1.0, sequence=41)
    reading = binance_futures_health(1.02, symbols=())
    first = evaluate(state, reading, RULES, SUBJECT, 1_000_000.0)
    again = evaluate(state, reading, RULES, SUBJECT, 1_000_002.0)
    assert [e.idempotency_key for e in first.events] == [e.idempotency_key for e in again.events]
    assert len({e.idempotency_key for e in first.events}) == 2  # vanished + escalation
    assert first.state.sequence == 43
    other = evaluate(state, reading, RULES, Subject(8, "main", "binanceusdm"), 1_000_000.0)
    assert not {e.idempotency_key for e in other.events} & {e.idempotency_key for e in first.events}


def test_the_same_transition_twice_in_a_volatile_hour_is_told_both_times() -> None:
    # Issue 12: ok -> critical, recovery, ok -> critical again within five minutes used to share
    # one outbox key, and the second critical was silently dropped.
    watcher = Watcher()
    told = []
    for ratio in (0.30, 1.02, 0.30, 1.02, 0.30, 1.02):
        told += watcher.poll(binance_futures_health(ratio), after=30.0)
    assert kinds(told) == [
        ("escalation", "critical"),
        ("recovery", "ok"),
        ("escalation", "critical"),
        ("recovery", "ok"),
        ("escalation", "critical"),
    ]
    assert len({e.idempotency_key for e in told}) == len(told)
    assert [e.sequence for e in told] == [1, 2, 3, 4, 5]


def test_a_recovery_held_by_the_hysteresis_band_is_a_visible_hold_counted_once() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.85))
    assert watcher.state.withheld is None
    before = watcher.state
    decision = evaluate(before, binance_futures_health(0.75), RULES, SUBJECT, 10_000.0)
    assert decision.events == () and decision.state.withheld == "hysteresis"
    assert decision.newly_withheld(before) == "hysteresis"
    # Still inside the band at the next poll: the same hold, not a new one.
    again = evaluate(decision.state, binance_futures_health(0.76), RULES, SUBJECT, 10_060.0)
    assert again.state.withheld == "hysteresis" and again.newly_withheld(decision.state) is None
    # Past the band: the recovery is told and nothing is held any more.
    past = evaluate(again.state, binance_futures_health(0.70), RULES, SUBJECT, 10_120.0)
    assert kinds(list(past.events)) == [("recovery", "watch")] and past.state.withheld is None


def test_a_snoozed_escalation_is_a_visible_hold() -> None:
    rules = AlertRules(snoozed_until=2_000_000.0)
    decision = evaluate(FRESH, binance_futures_health(0.85), rules, SUBJECT, 1_000_000.0)
    assert decision.events == () and decision.newly_withheld(FRESH) == "snooze"


def test_a_critical_escalation_is_never_withheld() -> None:
    # Not by snooze, not right after a recovery, not by hysteresis (it only ever holds a fall).
    rules = AlertRules(snoozed_until=2_000_000.0)
    decision = evaluate(FRESH, binance_futures_health(1.02), rules, SUBJECT, 1_000_000.0)
    assert kinds(list(decision.events)) == [("escalation", "critical")]
    watcher = Watcher()
    for ratio in (1.02, 0.30):
        watcher.poll(binance_futures_health(ratio), after=1.0)
    assert kinds(watcher.poll(binance_futures_health(1.02), after=1.0)) == [
        ("escalation", "critical")
    ]


def test_snooze_silences_margin_call_but_never_an_escalation_to_critical() -> None:
    clock_start = ManualClock().now()
    watcher = Watcher(AlertRules(snoozed_until=clock_start + 3600))
    assert watcher.poll(binance_futures_health(0.85)) == []  # margin call, snoozed
    assert watcher.poll_many(binance_futures_health(0.85), 40) == []
    events = watcher.poll(binance_futures_health(1.01))
    assert kinds(events) == [("escalation", "critical")]
    # Critical reminders respect the snooze the trader asked for...
    assert watcher.poll_many(binance_futures_health(1.01), 15) == []


def test_escalation_hidden_by_snooze_is_told_when_snooze_ends() -> None:
    start = ManualClock().now()
    watcher = Watcher(AlertRules(snoozed_until=start + 600))
    assert watcher.poll(binance_futures_health(0.85)) == []
    for _ in range(8):
        watcher.poll(binance_futures_health(0.85))
    events = watcher.poll(binance_futures_health(0.85), after=120)  # snooze is over
    assert kinds(events) == [("escalation", "margin_call")]


def test_stale_data_is_told_after_n_failed_polls_and_only_once() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.3))
    assert watcher.poll(FeedFailure("rate_limited")) == []
    assert watcher.poll(FeedFailure("bad_response")) == []
    events = watcher.poll(FeedFailure("rate_limited"))
    assert kinds(events) == [("data_stale", "ok")]
    assert events[0].problem == "rate_limited"
    assert watcher.poll(FeedFailure("rate_limited")) == []
    assert kinds(watcher.poll(binance_futures_health(0.3))) == [("feed_restored", "ok")]
    assert watcher.poll(binance_futures_health(0.3)) == []


def test_revoked_key_is_told_at_once_even_while_snoozed() -> None:
    watcher = Watcher(AlertRules(snoozed_until=ManualClock().now() + 86_400))
    watcher.poll(binance_futures_health(0.3))
    events = watcher.poll(FeedFailure("auth_failed"))
    assert kinds(events) == [("key_invalid", "ok")]
    assert events[0].priority == "critical"
    assert watcher.poll(FeedFailure("permission_denied")) == []


def test_exchange_down_is_told_after_n_polls() -> None:
    watcher = Watcher()
    assert watcher.poll(FeedFailure("exchange_down")) == []
    assert watcher.poll(FeedFailure("exchange_down")) == []
    assert kinds(watcher.poll(FeedFailure("exchange_down"))) == [("exchange_down", "ok")]


def test_blip_shorter_than_n_polls_is_not_told() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.3))
    watcher.poll(FeedFailure("exchange_down"))
    assert watcher.poll(binance_futures_health(0.3)) == []
    assert watcher.state.failed_polls == 0


def test_level_and_reminders_hold_while_feed_is_broken() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.9))
    for _ in range(40):
        events = watcher.poll(FeedFailure("exchange_down"))
        assert all(e.kind == "exchange_down" for e in events)
    assert watcher.state.level == "margin_call"


def test_position_vanished_near_liquidation_is_a_critical_alert() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.95, symbols=("BTC/USDT:USDT", "ETH/USDT:USDT")))
    events = watcher.poll(binance_futures_health(0.40, symbols=("ETH/USDT:USDT",)))
    vanished = [e for e in events if e.kind == "position_vanished"]
    assert [(e.symbol, e.priority) for e in vanished] == [("BTC/USDT:USDT", "critical")]
    assert events[0].kind == "position_vanished"  # critical before the routine recovery
    assert [e.kind for e in events[1:]] == ["recovery"]


def test_position_closed_on_a_calm_account_is_routine_news() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.2, symbols=("BTC/USDT:USDT",)))
    events = watcher.poll(binance_futures_health(0.0, symbols=()))
    assert [(e.kind, e.priority) for e in events] == [("position_vanished", "routine")]


def test_first_read_after_linking_reports_no_vanished_positions() -> None:
    watcher = Watcher()
    assert watcher.poll(binance_futures_health(0.2, symbols=())) == []


def test_failed_read_never_counts_as_positions_vanishing() -> None:
    watcher = Watcher()
    watcher.poll(binance_futures_health(0.2))
    watcher.poll(FeedFailure("rate_limited"))
    assert watcher.poll(binance_futures_health(0.2)) == []
