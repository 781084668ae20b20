"""Binance USDⓈ-M and cross margin read through the real ccxt client against the simulator."""

from __future__ import annotations

import pytest

import risk
from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED, limits_budget

from .conftest import MARGIN, USDM, USDM_TRADER, private_requests


async def test_usdm_positions_carry_bracket_tiers_with_the_maintenance_amount(hub: ExchangeHub):
    read = await hub.read_account("binanceusdm", USDM)
    eth = next(p for p in read.snapshot.positions if p.symbol == "ETH/USDT:USDT")
    assert eth.size == pytest.approx(3683.979) and eth.mark_price == pytest.approx(1335.18)
    # ccxt's maintenanceMargin ignores cum; our tiers keep it.
    assert any(tier.amount > 0 for tier in eth.tiers)
    notional = eth.size * eth.mark_price
    tier = next(t for t in eth.tiers if t.floor <= notional < t.cap)
    assert notional * tier.rate - tier.amount == pytest.approx(eth.reported["maintenance_margin"])


async def test_usdm_health_agrees_with_binance_own_ratio_and_liquidation_price(hub: ExchangeHub):
    read = await hub.read_account("binanceusdm", USDM)
    health = risk.assess(read.snapshot)
    assert health.ratio.value == pytest.approx(read.snapshot.reported["margin_ratio"], rel=1e-6)
    eth = next(p for p in health.positions if p.symbol == "ETH/USDT:USDT")
    # The simulator applies Binance's one-position formula with the current bracket; the engine
    # does the same while the liquidation notional stays in that bracket (ETH does).
    assert eth.liquidation_price == pytest.approx(eth.reported_liquidation_price, rel=1e-6)


async def test_leverage_brackets_are_fetched_once_per_exchange_not_per_account(
    sim: Simulator, hub: ExchangeHub
):
    await hub.read_account("binanceusdm", USDM)
    await hub.read_account("binanceusdm", USDM_TRADER)
    await hub.read_account("binanceusdm", USDM)
    calls = private_requests(sim, "binanceusdm")
    assert calls.count("GET /fapi/v1/leverageBracket") == 1
    assert calls.count("GET /fapi/v3/positionRisk") == 3


async def test_cross_margin_assets_and_debts_become_assets_and_liabilities(hub: ExchangeHub):
    read = await hub.read_account("binance", MARGIN)
    snapshot = read.snapshot
    assert snapshot.wallet_balance == pytest.approx(1000.0)
    assert {(a.asset, a.amount) for a in snapshot.assets} == {("BTC", 0.2), ("ETH", 1.5)}
    (debt,) = snapshot.liabilities
    assert (debt.asset, debt.amount, debt.interest) == ("USDT", 5000.0, 1.0)
    health = risk.assess(snapshot)
    # Binance's marginLevel is computed in BTC from the same prices: equal to rounding.
    assert health.ratio.value == pytest.approx(snapshot.reported["margin_level"], rel=1e-6)


async def test_wrong_secret_gets_binance_signature_error_and_ends_as_auth_failed(hub: ExchangeHub):
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("binanceusdm", Credentials(USDM.api_key, "not-the-secret"))
    assert caught.value.state == "auth_failed"
    assert "-1022" in caught.value.detail


async def test_unknown_key_gets_2015_and_ends_as_auth_failed(hub: ExchangeHub):
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("binance", Credentials("no-such-key", "whatever"))
    assert caught.value.state == "auth_failed" and "-2015" in caught.value.detail


async def test_read_only_key_is_accepted(hub: ExchangeHub):
    check = await hub.check_key("binanceusdm", USDM)
    assert check.ok and check.can_report_rights and check.rights == {"read"}


async def test_key_that_can_trade_and_withdraw_is_refused_naming_the_rights_to_remove(
    hub: ExchangeHub,
):
    check = await hub.check_key("binanceusdm", USDM_TRADER)
    assert not check.ok
    assert {"trade", "futures", "withdraw"} <= check.rights
    for label in ("Enable Spot & Margin Trading", "Enable Futures", "Enable Withdrawals"):
        assert label in check.message


async def test_coinm_reads_and_judges_every_coin_pool_the_riskiest_first():
    scenario = {
        "venues": {
            "binancecoinm": {
                "accounts": [
                    {
                        "api_key": "coin-1",
                        "secret": "coin-secret",
                        "wallets": {"BTC": 0.5, "ETH": 2.0},
                        "positions": [
                            {"symbol": "BTC/USD:BTC", "size": 300, "entry_price": 62000.0},
                            {"symbol": "ETH/USD:ETH", "size": -50, "entry_price": 2900.0},
                        ],
                    }
                ]
            }
        }
    }
    async with (
        Simulator(scenario, limits_speed=LIMITS_SPEED) as sim,
        ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub,
    ):
        read = await hub.read_account("binancecoinm", Credentials("coin-1", "coin-secret"))
    snapshot = read.snapshot
    assert snapshot.settle == "BTC" and snapshot.wallet_balance == pytest.approx(0.5)
    (btc,) = snapshot.positions
    assert (btc.kind, btc.size, btc.contract_size) == ("inverse", 300.0, 100.0)
    # Every coin pool is a snapshot of its own; none is left to a note.
    assert [pool.settle for pool in read.pools] == ["BTC", "ETH"]
    assert read.pools[0] is snapshot and not read.notes
    (eth,) = read.pools[1].positions
    assert (eth.symbol, eth.size) == ("ETH/USD:ETH", -50.0)
    # Each pool judged against Binance's own per-coin figures (maintMargin, marginBalance,
    # printed with 8 decimals: half a unit of the last), the riskiest pool's figures first,
    # the other in Health.pools.
    health = read.health()
    assert health.settle == "BTC"
    (other,) = health.pools
    assert (other.settle, other.margin_mode) == ("ETH", "cross")
    assert [p.symbol for p in other.positions] == ["ETH/USD:ETH"]
    for judged, pool in ((health, read.pools[0]), (other, read.pools[1])):
        mm, equity = pool.reported["maintenance_margin"], pool.reported["equity"]
        assert judged.maintenance_margin == pytest.approx(mm, abs=5e-9)
        assert judged.equity == pytest.approx(equity, abs=1e-8)
    assert health.ratio.value > other.ratio.value
