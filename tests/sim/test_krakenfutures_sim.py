"""Kraken Futures through the real ccxt client against the simulator: flex health, faults."""

from __future__ import annotations

import base64
import re

import pytest

import risk
from bot.exchanges import Credentials, ExchangeReadError, ReadOnlyViolation
from bot.sim import Simulator

from .conftest import ccxt_client, second_read

SECRET = base64.b64encode(b"kraken-futures-secret-for-tests").decode()
TRADER = Credentials(api_key="kf-trader", secret=SECRET)
SCENARIO = {
    "venues": {
        "krakenfutures": {
            "prices": {"BTC/USD:USD": 60000.0, "ETH/USD:USD": 3000.0},
            "accounts": [
                {
                    "api_key": TRADER.api_key,
                    "secret": SECRET,
                    "currencies": {"USD": 3000.0, "XBT": 0.05},
                    "positions": [
                        {"symbol": "PF_XBTUSD", "side": "long", "size": 0.5, "price": 62000.0},
                        {
                            "symbol": "PF_ETHUSD",
                            "side": "short",
                            "size": 4,
                            "price": 2900.0,
                            "unrealized_funding": -1.5,
                        },
                    ],
                },
            ],
        }
    }
}


async def test_health_agrees_with_the_flex_wallets_own_figures(sim: Simulator, hub):
    read = await hub.read_account("krakenfutures", TRADER)
    health = risk.assess(read.snapshot)
    reported = read.snapshot.reported
    # Equity is Kraken's marginEquity (haircut collateral + P&L + funding) and maintenance its
    # maintenanceMargin (incremental bands): both to float precision.
    assert health.equity == pytest.approx(reported["margin_equity"], rel=1e-9)
    assert health.maintenance_margin == pytest.approx(reported["maintenance_margin"], rel=1e-9)
    assert health.ratio.value == pytest.approx(
        reported["maintenance_margin"] / reported["margin_equity"], rel=1e-9
    )


async def test_marks_are_fetched_once_per_exchange_per_cycle(sim, hub):
    polled = await second_read(sim, hub, "krakenfutures", TRADER)
    asked = [r.path.rsplit("/", 1)[-1] for r in polled]
    assert asked == ["accounts", "openpositions"]  # tickers still fresh in the shared cache
    assert all(r.remote == "127.0.0.1" for r in sim.requests)


async def test_a_price_move_moves_the_ratio(sim, hub):
    first = risk.assess((await hub.read_account("krakenfutures", TRADER)).snapshot)
    sim.set_price("krakenfutures", "BTC/USD:USD", 54000.0)
    # Start the next cycle now instead of waiting out the 5 s ticker cache.
    hub._venues["krakenfutures"].shared._values.pop("marks")
    second = (await hub.read_account("krakenfutures", TRADER)).snapshot
    assert risk.assess(second).ratio.value > first.ratio.value


async def test_a_wrong_secret_gets_krakens_error_and_ends_auth_failed(sim, hub):
    wrong = Credentials(api_key=TRADER.api_key, secret=base64.b64encode(b"nope").decode())
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("krakenfutures", wrong)
    assert caught.value.state == "auth_failed"
    assert "authenticationError" in caught.value.detail


@pytest.mark.parametrize(
    "fault, state",
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "exchange_down"),
        ("maintenance", "exchange_down"),
        ("timeout", "exchange_down"),
        ("malformed_json", "bad_response"),
        ("revoked_key", "auth_failed"),
    ],
)
async def test_each_injected_fault_ends_in_its_state(sim, hub, fault: str, state: str):
    await hub.read_account("krakenfutures", TRADER)
    sim.inject_fault("krakenfutures", fault)
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("krakenfutures", TRADER)
    assert caught.value.state == state


async def test_key_check_says_rights_cannot_be_read_and_how_to_make_a_safe_key(sim, hub):
    check = await hub.check_key("krakenfutures", TRADER)
    assert check.ok and not check.can_report_rights
    assert "Read Only" in check.message and "No Access" in check.message


async def test_every_implicit_write_is_refused_before_a_request_is_built(sim, hub):
    exchange = await ccxt_client(hub, "krakenfutures", TRADER)
    before = len(sim.requests)
    implicit = [n for n in dir(type(exchange)) if re.match(r"private_(post|put|delete)_", n)]
    assert {
        "private_post_sendorder",
        "private_post_cancelorder",
        "private_post_withdrawal",
        "private_post_transfer",
    } <= set(implicit)
    for name in implicit:
        with pytest.raises(ReadOnlyViolation):
            await getattr(exchange, name)({})
    for name, args in [
        ("create_order", ("BTC/USD:USD", "limit", "buy", 1.0, 50000.0)),
        ("cancel_order", ("1", "BTC/USD:USD")),
        ("transfer", ("USD", 10.0, "flex", "cash")),
    ]:
        with pytest.raises(ReadOnlyViolation):
            await getattr(exchange, name)(*args)
    assert len(sim.requests) == before
