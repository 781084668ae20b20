"""Bybit through the real ccxt client against the simulator: health, key checks, faults, guard."""

from __future__ import annotations

import re

import ccxt.async_support as ccxt
import pytest

import risk
from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError, ReadOnlyViolation
from bot.exchanges.registry import adapter_for
from bot.sim import Simulator
from tests.support.limits import limits_budget

from .conftest import ccxt_client, second_read

TRADER = Credentials(api_key="bybit-trader", secret="bybit-secret-1")
READ_WRITE = Credentials(api_key="bybit-rw", secret="bybit-secret-2")
CLASSIC = Credentials(api_key="bybit-classic", secret="bybit-secret-3")
ISOLATED = Credentials(api_key="bybit-isolated", secret="bybit-secret-4")
SCENARIO = {
    "venues": {
        "bybit": {
            "prices": {"BTC/USDT:USDT": 60000.0, "ETH/USDT:USDT": 3000.0},
            "accounts": [
                {
                    "api_key": TRADER.api_key,
                    "secret": TRADER.secret,
                    "coins": {"USDT": 10000.0, "BTC": 0.1},
                    "positions": [
                        {
                            "symbol": "BTC/USDT:USDT",
                            "side": "Buy",
                            "size": 1.0,
                            "entry": 60000.0,
                            "leverage": 10,
                        },
                        {
                            "symbol": "ETH/USDT:USDT",
                            "side": "Sell",
                            "size": 10.0,
                            "entry": 3100.0,
                            "leverage": 10,
                        },
                    ],
                },
                {
                    "api_key": READ_WRITE.api_key,
                    "secret": READ_WRITE.secret,
                    "coins": {"USDT": 1.0},
                    "read_only": False,
                    "withdraw": True,
                },
                {"api_key": CLASSIC.api_key, "secret": CLASSIC.secret, "uta": False},
                {
                    # Isolated margin mode: every position stands on its own margin.
                    "api_key": ISOLATED.api_key,
                    "secret": ISOLATED.secret,
                    "margin_mode": "ISOLATED_MARGIN",
                    "coins": {"USDT": 5000.0, "BTC": 0.1},
                    "positions": [
                        {
                            "symbol": "BTC/USDT:USDT",
                            "side": "Buy",
                            "size": 0.5,
                            "entry": 62000.0,
                            "leverage": 20,
                        },
                        {
                            "symbol": "ETH/USDT:USDT",
                            "side": "Sell",
                            "size": 4.0,
                            "entry": 2900.0,
                            "leverage": 10,
                        },
                        {
                            "symbol": "BTC/USD:BTC",
                            "side": "Buy",
                            "size": 3000,
                            "entry": 58000.0,
                            "leverage": 10,
                        },
                    ],
                },
            ],
        }
    }
}


async def test_health_agrees_with_bybits_account_mm_rate(sim: Simulator, hub: ExchangeHub):
    read = await hub.read_account("bybit", TRADER)
    health = risk.assess(read.snapshot)
    reported = read.snapshot.reported
    # Bybit prints accountMMRate with 4 decimals: half a unit of the last one.
    assert health.ratio.value == pytest.approx(reported["account_mm_rate"], abs=5e-5)
    assert health.equity == pytest.approx(reported["total_margin_balance"], rel=1e-9)
    assert health.maintenance_margin == pytest.approx(
        reported["total_maintenance_margin"], rel=1e-9
    )


async def test_liquidation_prices_are_bybits_to_the_cent_it_prints(sim, hub):
    # Bybit values a USDT contract's maintenance on its ENTRY value plus the fee to close at
    # the bankruptcy price (risk.profiles), fixed as the mark moves; the engine holds it fixed
    # too, so the only difference left is Bybit's printing: liqPrice has 2 decimals, half a
    # cent either way (plus float noise on a five-digit price).
    health = risk.assess((await hub.read_account("bybit", TRADER)).snapshot)
    for position in health.positions:
        assert position.reported_liquidation_price is not None
        assert position.liquidation_price == pytest.approx(
            position.reported_liquidation_price, abs=0.005 + 1e-9
        )


async def test_the_liquidation_price_stays_bybits_after_the_mark_moves(sim, hub):
    # With the mark 10 % above entry, maintenance re-valued at each price (Binance's rule)
    # would put the BTC long's liquidation price ~98 USDT below Bybit's (43,135 vs 43,233).
    sim.set_price("bybit", "BTC/USDT:USDT", 66000.0)
    health = risk.assess((await hub.read_account("bybit", TRADER)).snapshot)
    for position in health.positions:
        assert position.liquidation_price == pytest.approx(
            position.reported_liquidation_price, abs=0.005 + 1e-9
        )


async def test_isolated_positions_are_liquidated_on_their_own_margin_as_bybit_says(sim, hub):
    # Bybit "Liquidation Price (USDT Contract)", isolated: where the position's margin and
    # P&L meet its entry-valued maintenance (long: entry − (IM − MM) / size); to the cent
    # Bybit prints, whatever the account's other positions and coins hold.
    for mark in (60000.0, 57000.0):
        sim.set_price("bybit", "BTC/USDT:USDT", mark)
        health = (await hub.read_account("bybit", ISOLATED)).health()
        assert {p.margin_mode for p in health.positions} == {"isolated"}
        linear = [p for p in health.positions if p.reported_liquidation_price is not None]
        assert {p.symbol for p in linear} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
        for position in linear:
            assert position.liquidation_price == pytest.approx(
                position.reported_liquidation_price, abs=0.005 + 1e-9
            )


async def test_an_inverse_isolated_margin_is_worth_its_coin(sim, hub):
    # The BTCUSD long's margin is BTC: judged in dollars it shrinks as BTC falls, so its
    # liquidation price is the coin contract's own (about entry × 10 / 11 at 10x), not that of
    # a fixed dollar margin (which would put it above 58,000).
    read = await hub.read_account("bybit", ISOLATED)
    health = read.health()
    (inverse,) = [p for p in health.positions if p.symbol == "BTC/USD:BTC"]
    # By hand: margin + 3000·(1/58000 − 1/P) = 3000·0.5 % / P + fee, the fee (0.055 % at the
    # bankruptcy price) fixed in BTC; the engine holds that fee in dollars at today's mark,
    # a few dollars' difference at this distance.
    assert inverse.liquidation_price == pytest.approx(52990.91, rel=1e-4)
    # Each isolated margin is in its coin's wallet balance but backs only its position: the
    # cross pool's collateral is what is left.
    margins: dict[str, float] = {}
    for position in read.snapshot.positions:
        coin = "BTC" if position.symbol == "BTC/USD:BTC" else "USDT"
        margins[coin] = margins.get(coin, 0.0) + (position.isolated_margin or 0.0)
    held = {asset.asset: asset.amount for asset in read.snapshot.assets}
    assert held == pytest.approx({"USDT": 5000.0 - margins["USDT"], "BTC": 0.1 - margins["BTC"]})


async def test_a_poll_costs_the_accounts_own_private_calls_only(sim, hub):
    asked = [f"{r.method} {r.path}" for r in await second_read(sim, hub, "bybit", TRADER)]
    # No probe (query-api, account/info), no markets: the wallet, and the one USDT list the
    # wallet shows margin in.
    assert asked == ["GET /v5/account/wallet-balance", "GET /v5/position/list"]
    assert all(r.remote == "127.0.0.1" for r in sim.requests)


async def test_a_price_fall_shows_up_in_the_next_read(sim, hub):
    first = risk.assess((await hub.read_account("bybit", TRADER)).snapshot)
    sim.set_price("bybit", "BTC/USDT:USDT", 48000.0)
    second = risk.assess((await hub.read_account("bybit", TRADER)).snapshot)
    assert second.ratio.value > first.ratio.value
    assert second.ratio.value == pytest.approx(second.reported["account_mm_rate"], abs=5e-5)


async def test_a_wrong_secret_gets_bybits_sign_error_and_ends_auth_failed(sim, hub):
    wrong = Credentials(api_key=TRADER.api_key, secret="not-the-secret")
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("bybit", wrong)
    assert caught.value.state == "auth_failed"
    assert "10004" in caught.value.detail
    assert "not-the-secret" not in str(caught.value)


@pytest.mark.parametrize(
    "fault, state",
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "exchange_down"),
        ("maintenance", "exchange_down"),
        ("timeout", "exchange_down"),
        ("malformed_json", "bad_response"),
        ("revoked_key", "auth_failed"),
        ("auth", "auth_failed"),
        ("permission", "permission_denied"),
    ],
)
async def test_each_injected_fault_ends_in_its_state(sim, hub, fault: str, state: str):
    await hub.read_account("bybit", TRADER)  # markets loaded: the fault hits the private read
    sim.inject_fault("bybit", fault, retry_after=7 if fault == "rate_limit" else None)
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("bybit", TRADER)
    assert caught.value.state == state
    if fault == "rate_limit":
        assert caught.value.retry_after == 7


async def test_a_read_only_key_is_accepted(sim, hub):
    check = await hub.check_key("bybit", TRADER)
    assert check.ok and check.can_report_rights
    assert check.rights == frozenset({"read"})


async def test_a_key_that_can_trade_and_withdraw_is_refused_naming_both(sim, hub):
    check = await hub.check_key("bybit", READ_WRITE)
    assert not check.ok
    assert {"trade", "withdraw"} <= check.rights
    assert "trading" in check.message and "withdrawals" in check.message
    assert "Read-Only" in check.message  # and says how to fix it


async def test_a_classic_account_is_refused_with_the_reason(sim, hub):
    check = await hub.check_key("bybit", CLASSIC)
    assert not check.ok
    assert "unified trading account" in check.message


WRITES = [
    ("create_order", ("BTC/USDT:USDT", "limit", "buy", 1.0, 50000.0)),
    ("cancel_order", ("1", "BTC/USDT:USDT")),
    ("cancel_all_orders", ("BTC/USDT:USDT",)),
    ("edit_order", ("1", "BTC/USDT:USDT", "limit", "buy", 1.0, 51000.0)),
    ("withdraw", ("USDT", 10.0, "0x0000000000000000000000000000000000000001")),
    ("transfer", ("USDT", 10.0, "spot", "swap")),
    ("borrow_cross_margin", ("USDT", 10.0)),
    ("repay_cross_margin", ("USDT", 10.0)),
    ("set_leverage", (5, "BTC/USDT:USDT")),
    ("set_margin_mode", ("isolated", "BTC/USDT:USDT")),
    ("add_margin", ("BTC/USDT:USDT", 10.0)),
]


async def test_every_write_is_refused_before_a_request_is_built(sim, hub):
    exchange = await ccxt_client(hub, "bybit", TRADER)
    before = len(sim.requests)
    refused = 0
    for name, args in WRITES:
        try:
            await getattr(exchange, name)(*args)
        except ReadOnlyViolation:
            refused += 1
        except (ccxt.NotSupported, ccxt.ArgumentsRequired, ccxt.BadRequest, ccxt.BadSymbol):
            pass  # ccxt refused on its own before building anything
    implicit = [n for n in dir(type(exchange)) if re.match(r"private_(post|put|delete)_", n)]
    assert {
        "private_post_v5_order_create",
        "private_post_v5_asset_withdraw_create",
        "private_post_v5_position_set_leverage",
        "private_post_v5_asset_transfer_inter_transfer",
    } <= set(implicit)
    for name in implicit:
        with pytest.raises(ReadOnlyViolation):
            await getattr(exchange, name)({})
    assert refused >= 8
    assert len(sim.requests) == before, "a refused write reached the simulator"


def test_the_read_only_client_exposes_no_write_by_name():
    adapter = adapter_for("bybit")
    for name in adapter.read_methods:
        assert name.startswith("private_get_")
    for endpoint in adapter.read_endpoints:
        assert endpoint.method == "GET"


async def test_the_generic_reader_on_the_same_account_is_labelled_and_errs_safe(sim):
    # ccxt's unified Bybit balance counts only the settle coin's wallet (no P&L, no other
    # collateral), so the approximate reader sees less equity than the venue: its ratio is
    # higher (an earlier warning), never lower, and it says it is approximate.
    urls = {"bybit": sim.base_url("bybit"), "generic:bybit": sim.base_url("bybit")}
    async with ExchangeHub(base_urls=urls, budget=limits_budget()) as hub:
        rough = await hub.read_account("generic:bybit", TRADER)
        exact = risk.assess((await hub.read_account("bybit", TRADER)).snapshot)
    health = risk.assess(rough.snapshot)
    assert rough.approximate and health.approximate
    assert any(note.startswith("Approximate") for note in rough.notes)
    assert health.ratio.value >= exact.ratio.value
    assert {p.symbol for p in health.positions} == {p.symbol for p in exact.positions}
