"""OKX through the real ccxt client against the simulator: health, key checks, faults, guard."""

from __future__ import annotations

import re

import ccxt.async_support as ccxt
import pytest

import risk
from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError, ReadOnlyViolation
from bot.sim import Simulator

from .conftest import ccxt_client, second_read

TRADER = Credentials(api_key="okx-trader", secret="okx-secret-1", passphrase="okx-pass-1")
FULL_RIGHTS = Credentials(api_key="okx-full", secret="okx-secret-2", passphrase="okx-pass-2")
ISOLATED = Credentials(api_key="okx-iso", secret="okx-secret-3", passphrase="okx-pass-3")
ISOLATED_ONLY = Credentials(api_key="okx-iso-only", secret="okx-secret-4", passphrase="okx-pass-4")
SCENARIO = {
    "venues": {
        "okx": {
            "prices": {"BTC/USDT:USDT": 60000.0, "ETH/USDT:USDT": 3000.0},
            "accounts": [
                {
                    "api_key": TRADER.api_key,
                    "secret": TRADER.secret,
                    "passphrase": TRADER.passphrase,
                    "balances": {"USDT": 5000.0, "BTC": 0.05},
                    "positions": [
                        {"symbol": "BTC/USDT:USDT", "contracts": 50, "entry": 61000.0, "lever": 20},
                        {
                            "symbol": "ETH/USDT:USDT",
                            "side": "short",
                            "contracts": 40,
                            "entry": 2900.0,
                            "lever": 10,
                        },
                    ],
                },
                {
                    # Isolated positions, linear and coin-margined, beside a cross one; the
                    # coin short had margin added after opening.
                    "api_key": ISOLATED.api_key,
                    "secret": ISOLATED.secret,
                    "passphrase": ISOLATED.passphrase,
                    "balances": {"USDT": 5000.0, "BTC": 0.5},
                    "positions": [
                        {
                            "symbol": "BTC/USDT:USDT",
                            "contracts": 50,
                            "entry": 62000.0,
                            "lever": 20,
                            "mode": "isolated",
                        },
                        {
                            "symbol": "ETH/USDT:USDT",
                            "side": "short",
                            "contracts": 40,
                            "entry": 2900.0,
                            "lever": 10,
                        },
                        {
                            "symbol": "BTC/USD:BTC",
                            "contracts": 100,
                            "entry": 58000.0,
                            "lever": 10,
                            "mode": "isolated",
                        },
                        {
                            "symbol": "BTC/USD:BTC",
                            "side": "short",
                            "contracts": 50,
                            "entry": 58000.0,
                            "lever": 5,
                            "mode": "isolated",
                            "margin": 0.02,
                        },
                    ],
                },
                {
                    # Nothing in cross: one isolated long at 20x.
                    "api_key": ISOLATED_ONLY.api_key,
                    "secret": ISOLATED_ONLY.secret,
                    "passphrase": ISOLATED_ONLY.passphrase,
                    "balances": {"USDT": 5000.0},
                    "positions": [
                        {
                            "symbol": "BTC/USDT:USDT",
                            "contracts": 50,
                            "entry": 60000.0,
                            "lever": 20,
                            "mode": "isolated",
                        }
                    ],
                },
                {
                    "api_key": FULL_RIGHTS.api_key,
                    "secret": FULL_RIGHTS.secret,
                    "passphrase": FULL_RIGHTS.passphrase,
                    "perm": "read_only,withdraw,trade",
                },
            ],
        }
    }
}


async def test_health_ratio_is_okxs_mgn_ratio(sim: Simulator, hub: ExchangeHub):
    read = await hub.read_account("okx", TRADER)
    health = risk.assess(read.snapshot)
    reported = read.snapshot.reported
    # The liquidation fee is recovered from OKX's own figures, so the ratios agree to the
    # 8 decimals OKX prints; equity is adjEq to float precision.
    assert health.ratio.value == pytest.approx(reported["mgn_ratio"], rel=1e-8)
    assert health.equity == pytest.approx(reported["adj_eq"], rel=1e-9)


async def test_liquidation_prices_are_close_to_okxs_estimates(sim, hub):
    # OKX's estimate (as simulated) holds the BTC collateral at its price; the engine moves
    # nothing but the leg either, but its maintenance scales with the leg's price while the
    # estimate keeps today's: 0.2 % apart at most here. Tolerance 0.5 %.
    health = risk.assess((await hub.read_account("okx", TRADER)).snapshot)
    for position in health.positions:
        assert position.liquidation_price == pytest.approx(
            position.reported_liquidation_price, rel=5e-3
        )


async def test_isolated_liquidation_prices_are_okxs_to_the_cent_it_prints(sim, hub):
    # OKX "Isolated margin mode": a position is liquidated on its own margin (fixed at the
    # opening, or as added), its maintenance and the fee to close; a coin-margined one's margin
    # is in its coin. The simulator prints liqPx to 2 decimals.
    async def isolated() -> list:
        health = (await hub.read_account("okx", ISOLATED)).health()
        found = [p for p in health.positions if p.margin_mode == "isolated"]
        assert len(found) == 3
        for position in found:
            assert position.liquidation_price == pytest.approx(
                position.reported_liquidation_price, abs=0.005
            )
        return sorted(p.reported_liquidation_price for p in found)

    before = await isolated()
    sim.set_price("okx", "BTC/USDT:USDT", 59500.0)
    sim.set_price("okx", "BTC/USD:BTC", 61000.0)
    # The margin is fixed, so OKX's isolated prices stand still while the mark moves; the
    # engine, solving from the new marks, still lands on them.
    assert await isolated() == before


async def test_isolated_margin_is_set_aside_from_the_cross_pool(sim, hub):
    read = await hub.read_account("okx", ISOLATED)
    health = read.health()
    reported = read.snapshot.reported
    # adjEq and mgnRatio are the cross pool's (isoEq apart): the engine's, to OKX's 8 decimals.
    assert health.equity == pytest.approx(reported["adj_eq"], rel=1e-9)
    assert health.ratio.value == pytest.approx(reported["mgn_ratio"], rel=1e-8)
    (cross,) = [p for p in health.positions if p.margin_mode == "cross"]
    assert cross.symbol == "ETH/USDT:USDT"
    # Each isolated pool's ratio is the position's own mgnRatio, fee to close included, to
    # what the printed figures allow: mgnRatio's 8 decimals and the margin's (8 decimals of a
    # coin are a few parts in 10^7 of a 0.02 BTC margin).
    for pool in health.pools:
        (position,) = pool.positions
        row = next(
            p
            for p in read.snapshot.positions
            if p.margin_mode == "isolated" and p.size == position.size
        )
        margin = row.isolated_margin or 0.0
        assert pool.ratio.value == pytest.approx(
            row.reported["mgn_ratio"], rel=1e-8 + 0.5e-8 / margin
        )


async def test_an_isolated_only_account_has_the_leverage_of_its_positions(sim, hub):
    read = await hub.read_account("okx", ISOLATED_ONLY)
    health = read.health()
    # 50 contracts of 0.01 BTC at 60,000 on 5,000 USDT: 1,500 of it the position's margin.
    assert health.equity == pytest.approx(3500.0)
    assert health.effective_leverage == 0.0  # the cross pool holds nothing
    assert health.account_leverage == pytest.approx(30000.0 / 5000.0)
    (pool,) = health.pools
    assert pool.effective_leverage == pytest.approx(20.0)


async def test_a_poll_costs_only_balance_and_positions(sim, hub):
    asked = [f"{r.method} {r.path}" for r in await second_read(sim, hub, "okx", TRADER)]
    # account/config was asked once, at the first read, and remembered.
    assert asked == ["GET /api/v5/account/balance", "GET /api/v5/account/positions"]
    assert all(r.remote == "127.0.0.1" for r in sim.requests)


@pytest.mark.parametrize(
    "wrong, code",
    [
        (Credentials(api_key=TRADER.api_key, secret="nope", passphrase=TRADER.passphrase), "50113"),
        (Credentials(api_key=TRADER.api_key, secret=TRADER.secret, passphrase="nope"), "50105"),
        (Credentials(api_key="okx-unknown", secret="s", passphrase="p"), "50111"),
    ],
)
async def test_wrong_credentials_get_okxs_error_and_end_auth_failed(sim, hub, wrong, code):
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("okx", wrong)
    assert caught.value.state == "auth_failed"
    assert code in caught.value.detail


async def test_a_missing_passphrase_is_refused_before_any_request(sim, hub):
    before = len(sim.requests)
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("okx", Credentials(api_key="k", secret="s"))
    assert caught.value.state == "auth_failed"
    assert "passphrase" in caught.value.user_message
    assert all(r.path.startswith("/api/v5/public/") for r in sim.requests[before:])


@pytest.mark.parametrize(
    "fault, state",
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "exchange_down"),
        ("maintenance", "exchange_down"),
        ("timeout", "exchange_down"),
        ("malformed_json", "bad_response"),
        ("auth", "auth_failed"),
        ("permission", "permission_denied"),
    ],
)
async def test_each_injected_fault_ends_in_its_state(sim, hub, fault: str, state: str):
    await hub.read_account("okx", TRADER)
    sim.inject_fault("okx", fault)
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("okx", TRADER)
    assert caught.value.state == state


async def test_a_read_only_key_is_accepted(sim, hub):
    check = await hub.check_key("okx", TRADER)
    assert check.ok and check.rights == frozenset({"read"})


async def test_a_key_that_can_trade_and_withdraw_is_refused_naming_both(sim, hub):
    check = await hub.check_key("okx", FULL_RIGHTS)
    assert not check.ok
    assert check.rights == frozenset({"read", "trade", "withdraw"})
    assert "trading" in check.message and "withdrawals" in check.message
    assert "'Read' permission" in check.message


async def test_every_write_is_refused_before_a_request_is_built(sim, hub):
    exchange = await ccxt_client(hub, "okx", TRADER)
    before = len(sim.requests)
    refused = 0
    for name, args in [
        ("create_order", ("BTC/USDT:USDT", "limit", "buy", 1.0, 50000.0)),
        ("cancel_order", ("1", "BTC/USDT:USDT")),
        ("edit_order", ("1", "BTC/USDT:USDT", "limit", "buy", 1.0, 51000.0)),
        ("withdraw", ("USDT", 10.0, "0x0000000000000000000000000000000000000001")),
        ("transfer", ("USDT", 10.0, "funding", "trading")),
        ("borrow_cross_margin", ("USDT", 10.0)),
        ("set_leverage", (5, "BTC/USDT:USDT")),
        ("set_margin_mode", ("isolated", "BTC/USDT:USDT")),
        ("add_margin", ("BTC/USDT:USDT", 10.0)),
    ]:
        try:
            await getattr(exchange, name)(*args)
        except ReadOnlyViolation:
            refused += 1
        except (ccxt.NotSupported, ccxt.ArgumentsRequired, ccxt.BadRequest, ccxt.BadSymbol):
            pass
    implicit = [n for n in dir(type(exchange)) if re.match(r"private_(post|put|delete)_", n)]
    assert {
        "private_post_trade_order",
        "private_post_asset_withdrawal",
        "private_post_account_set_leverage",
        "private_post_asset_transfer",
    } <= set(implicit)
    for name in implicit:
        with pytest.raises(ReadOnlyViolation):
            await getattr(exchange, name)({})
    assert refused >= 7
    assert len(sim.requests) == before, "a refused write reached the simulator"
