"""The benchmarks' helpers: nearest-rank percentiles and account seeding."""

from __future__ import annotations

from bench._common import bench_account, percentile


def test_percentile_is_nearest_rank_so_one_slow_poll_in_a_hundred_is_not_the_p99() -> None:
    values = [0.1] * 99 + [9.0]
    assert percentile(values, 0.50) == 0.1
    assert percentile(values, 0.99) == 0.1
    assert percentile([*values, 9.0], 0.99) == 9.0
    assert percentile([], 0.99) == 0.0


def test_bench_accounts_spread_over_venues_with_one_in_fifty_at_risk() -> None:
    accounts = [bench_account(index) for index in range(100)]
    assert {a.venue for a in accounts} == {"kraken", "binanceusdm", "binance", "bybit"}
    assert sum(a.at_risk for a in accounts) == 2
    assert len({a.api_key for a in accounts}) == 100
