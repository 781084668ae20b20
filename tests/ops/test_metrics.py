"""Metrics: what each recording function puts in the exposition, and what /healthz concludes."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.ops import metrics as metrics_module
from bot.ops.metrics import Metrics, label


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def samples(m: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the text exposition, parsed back by prometheus-client's own parser."""
    parsed = {}
    for family in text_string_to_metric_families(m.exposition().decode()):
        for sample in family.samples:
            parsed[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return parsed


def test_polls_and_failures_by_reason_are_counted() -> None:
    m = Metrics()
    m.record_poll()
    m.record_poll(failure="rate_limited")
    m.record_poll(failure="rate_limited")
    m.record_poll(failure="auth_failed")
    got = samples(m)
    assert got[("marginwatch_polls_total", ())] == 4
    assert got[("marginwatch_poll_failures_total", (("reason", "rate_limited"),))] == 2
    assert got[("marginwatch_poll_failures_total", (("reason", "auth_failed"),))] == 1


def test_alerts_by_level_delivery_lag_and_outbox_depth() -> None:
    m = Metrics()
    for level in ("watch", "margin_call", "margin_call", "critical", "ok"):
        m.record_alert(level)
    for lag in (0.2, 0.3, 45.0):
        m.observe_delivery_lag(lag)
    m.set_outbox_depth(7)
    got = samples(m)
    assert got[("marginwatch_alerts_total", (("level", "margin_call"),))] == 2
    assert got[("marginwatch_alerts_total", (("level", "critical"),))] == 1
    assert got[("marginwatch_delivery_lag_seconds_count", ())] == 3
    assert got[("marginwatch_delivery_lag_seconds_sum", ())] == 45.5
    assert got[("marginwatch_delivery_lag_seconds_bucket", (("le", "0.5"),))] == 2
    assert got[("marginwatch_delivery_lag_seconds_bucket", (("le", "60.0"),))] == 3
    assert got[("marginwatch_outbox_depth", ())] == 7


def test_accounts_per_state_drop_to_zero_when_a_state_empties() -> None:
    m = Metrics()
    m.set_accounts({"active": 3, "key_invalid": 1})
    m.set_accounts({"active": 4})
    got = samples(m)
    assert got[("marginwatch_accounts", (("state", "active"),))] == 4
    assert got[("marginwatch_accounts", (("state", "key_invalid"),))] == 0


def test_two_instances_never_share_a_value() -> None:
    first, second = Metrics(), Metrics()
    first.record_poll()
    assert samples(first)[("marginwatch_polls_total", ())] == 1
    assert samples(second)[("marginwatch_polls_total", ())] == 0


def test_module_functions_write_to_the_installed_metrics_only() -> None:
    mine, other = Metrics(), Metrics()
    with metrics_module.installed(mine):
        assert metrics_module.current() is mine
        metrics_module.record_poll(failure="exchange_down")
        metrics_module.record_alert("critical")
        metrics_module.observe_delivery_lag(1.0)
        metrics_module.set_outbox_depth(2)
        metrics_module.set_accounts({"active": 1})
        metrics_module.set_front_end("discord", up=True)
    assert metrics_module.current() is not mine
    got = samples(mine)
    assert got[("marginwatch_poll_failures_total", (("reason", "exchange_down"),))] == 1
    assert got[("marginwatch_front_end_up", (("front_end", "discord"),))] == 1
    assert samples(other)[("marginwatch_polls_total", ())] == 0


def test_label_values_are_bounded_and_carry_no_free_text() -> None:
    assert label("Rate Limited!") == "rate_limited"
    assert label("Refused by https://x.io") == "refused_by_https_x_io"
    assert len(label("x" * 500)) == 40
    assert label("???") == "other"


def test_healthy_when_polls_are_recent_and_front_ends_up() -> None:
    clock = FakeClock()
    m = Metrics(clock=clock)
    m.set_accounts({"active": 2})
    m.set_front_end("telegram", up=True)
    clock.now += 30
    m.record_poll()
    m.set_outbox_depth(1)
    clock.now += 10
    report = m.health(stale_after=180)
    assert report.ok and report.problems == ()
    assert report.to_json() == {
        "status": "ok",
        "problems": [],
        "last_poll_at": 1_000_030.0,
        "seconds_since_last_poll": 10.0,
        "outbox_depth": 1,
        "accounts": 2,
        "front_ends": {"telegram": True},
        "uptime_seconds": 40.0,
        "venue_limits": {},
        "exchange_mode": "live",
    }


def test_degraded_when_a_front_end_is_down_or_polls_stop() -> None:
    clock = FakeClock()
    m = Metrics(clock=clock)
    m.set_accounts({"active": 1})
    assert m.health(stale_after=60).ok  # start-up grace before the first read
    clock.now += 61
    assert m.health(stale_after=60).problems == ("no account read since start-up (61s)",)
    m.record_poll()
    m.set_front_end("discord", up=False)
    clock.now += 100
    report = m.health(stale_after=60)
    assert report.status == "degraded"
    assert report.problems == ("discord is not connected", "no account read for 100s")


def test_no_accounts_means_no_poll_is_expected() -> None:
    clock = FakeClock()
    m = Metrics(clock=clock)
    clock.now += 10_000
    assert m.health(stale_after=60).ok
