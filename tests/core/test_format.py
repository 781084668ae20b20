"""Numbers as traders read them, one place for every format."""

from __future__ import annotations

import pytest

from bot.core import format as fmt


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1030895.555, "USDT", "1,030,895.56 USDT"),
        (-12.5, "USD", "−12.50 USD"),
        (0.51234567, "BTC", "0.512346 BTC"),
        (float("nan"), "USD", "—"),
    ],
)
def test_money(value: float, currency: str, text: str) -> None:
    assert fmt.money(value, currency) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (31967.27, "31,967.27"),
        (142.35, "142.35"),
        (0.08123, "0.08123"),
        (0.00001234, "0.00001234"),
        (26316.8912, "26,316.89"),
        (None, "—"),
    ],
)
def test_prices_keep_sensible_significant_digits(value: float | None, text: str) -> None:
    assert fmt.price(value) == text


def test_percent_moves_and_distances() -> None:
    assert fmt.percent(0.0769) == "7.69%"
    assert fmt.percent(-0.1363) == "−13.6%"
    assert fmt.percent(0.05, signed=True) == "+5.00%"
    assert fmt.move(-0.0769) == "7.69% fall"
    assert fmt.move(0.12) == "12.0% rise"
    assert fmt.distance(-0.1363) == "13.6% below"


def test_ratios_as_each_venue_shows_them() -> None:
    assert fmt.ratio(2.456, "kraken") == "245.6%"  # Kraken margin level in percent
    assert fmt.ratio(1.85, "binance") == "1.85"  # Binance cross margin level, plain
    assert fmt.ratio(0.4149, "binanceusdm") == "41.5%"
    assert fmt.parse_ratio("120%", "kraken") == pytest.approx(1.2)
    assert fmt.parse_ratio("120", "kraken") == pytest.approx(1.2)
    assert fmt.parse_ratio("1.5", "binance") == pytest.approx(1.5)
    assert fmt.parse_ratio("lots", "binance") is None


def test_other_units() -> None:
    assert fmt.leverage(8.17) == "8.17×"
    assert fmt.duration(4 * 3600 + 30 * 60) == "4h 30m"
    assert fmt.utc_time(0) == "1970-01-01 00:00"


def test_clip_words_cuts_after_a_whole_word_unless_it_is_one_giant_word() -> None:
    from bot.core.format import clip_words

    assert clip_words("Link an account: Bybit (unified trading account)", 45) == (
        "Link an account: Bybit (unified trading…"
    )
    assert clip_words("Link " + "x" * 60, 20) == "Link xxxxxxxxxxxxxx…"
    assert clip_words("short", 45) == "short"
    assert all(len(clip_words("word " * 30, n)) <= n for n in range(2, 60))
