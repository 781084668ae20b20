"""The approximate reader for any other ccxt venue: unified positions and balance in, labelled."""

from __future__ import annotations

import json
from pathlib import Path

import ccxt
import pytest

import risk
from bot.exchanges import generic
from bot.exchanges.errors import ExchangeReadError
from bot.exchanges.registry import adapter_for

from .conftest import ccxt_bybit_ltc

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures/ccxt/bybit.json").read_text())
RAW_POSITION = FIXTURE["methods"]["fetchPositions"][0]["httpResponse"]["result"]["list"][0]


def _unified_position() -> dict:
    return ccxt_bybit_ltc().parse_position(RAW_POSITION)


def test_ccxts_unified_position_becomes_an_approximate_snapshot() -> None:
    position = _unified_position()
    balance = {"total": {"USDT": 1000.0}}
    snapshot = generic.snapshot_from_unified([position], balance, "USDT")
    (leg,) = snapshot.positions
    assert (leg.symbol, leg.size, leg.mark_price) == ("LTC/USDT:USDT", 1.2, 71.1)
    health = risk.assess(snapshot)
    assert health.approximate is True
    # ccxt's total is taken as the margin balance: equity is that total.
    assert health.equity == pytest.approx(1000.0)
    assert health.positions[0].maintenance_margin == pytest.approx(position["maintenanceMargin"])


def test_a_position_without_any_maintenance_figure_is_a_bad_response() -> None:
    position = dict(_unified_position(), maintenanceMargin=None, maintenanceMarginPercentage=None)
    with pytest.raises(ExchangeReadError) as caught:
        generic.snapshot_from_unified([position], {"total": {"USDT": 1000.0}}, "USDT")
    assert "no maintenance margin" in caught.value.detail


def test_a_balance_without_the_settle_currency_is_a_bad_response() -> None:
    with pytest.raises(ExchangeReadError) as caught:
        generic.snapshot_from_unified([], {"total": {"BTC": 1.0}}, "USDT")
    assert "USDT" in caught.value.detail


def test_generic_allow_list_has_no_private_write_endpoint() -> None:
    allowed = generic.read_endpoints_of(ccxt.bitget().describe()["api"])
    assert allowed, "the walk found no endpoint at all"
    assert all(e.method == "GET" for e in allowed if "private" in e.api)
    paths = {e.path for e in allowed}
    assert "v2/mix/position/all-position" in paths
    assert "v2/mix/order/place-order" not in paths
    assert "v2/spot/wallet/withdrawal" not in paths


def test_the_family_serves_any_ccxt_venue_that_can_be_read() -> None:
    adapter = adapter_for("generic:bitget")
    assert adapter.info.approximate is True
    assert adapter.info.needs_passphrase is True  # Bitget keys have a passphrase
    assert adapter.read_methods == frozenset({"fetch_positions", "fetch_balance"})


@pytest.mark.parametrize(
    "venue, words",
    [
        ("generic:not-an-exchange", "no exchange"),
        ("generic:bitstamp", "fetchPositions"),
    ],
)
def test_a_venue_that_cannot_be_read_is_refused_by_name(venue: str, words: str) -> None:
    with pytest.raises(KeyError, match=words):
        adapter_for(venue)


def test_inverse_as_linear_keeps_the_dollar_pnl() -> None:
    size, rate = generic.inverse_as_linear(-300, 1.0, 27464.50441675, 28224.5, 0.00006)
    pnl_coin = -300 * (1 / 27464.50441675 - 1 / 28224.5)
    assert size * (28224.5 - 27464.50441675) == pytest.approx(pnl_coin * 28224.5)
    assert abs(size) * 28224.5 * rate == pytest.approx(0.00006 * 28224.5)
