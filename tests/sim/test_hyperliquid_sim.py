"""Hyperliquid by public address through the real ccxt client against the simulator."""

from __future__ import annotations

import re

import pytest

import risk
from bot.exchanges import Credentials, ExchangeHub, ExchangeReadError, ReadOnlyViolation
from bot.sim import Simulator

from .conftest import ccxt_client

ADDRESS = "0x" + "3f" * 20
WALLET = Credentials(wallet_address=ADDRESS)
SCENARIO = {
    "venues": {
        "hyperliquid": {
            "prices": {"BTC/USDC:USDC": 60000.0, "ETH/USDC:USDC": 3000.0},
            "accounts": [
                {
                    "api_key": ADDRESS,
                    "usdc": 2000.0,
                    "positions": [
                        {"coin": "BTC", "szi": 0.2, "entry": 62000.0, "leverage": 20},
                        {
                            "coin": "ETH",
                            "szi": -2,
                            "entry": 2900.0,
                            "leverage": 10,
                            "type": "isolated",
                        },
                    ],
                }
            ],
        }
    }
}


async def test_health_matches_hyperliquids_own_figures(sim: Simulator, hub: ExchangeHub):
    read = await hub.read_account("hyperliquid", WALLET)
    health = risk.assess(read.snapshot)
    reported = read.snapshot.reported
    assert health.equity == pytest.approx(reported["account_value"], rel=1e-9)
    assert health.maintenance_margin == pytest.approx(
        reported["cross_maintenance_margin_used"], rel=1e-9
    )
    # Liquidation prices: Hyperliquid's published formula and the engine's cushion agree to a
    # cent (the simulator prints 2 decimals), cross and isolated.
    for position in health.positions:
        assert position.liquidation_price == pytest.approx(
            position.reported_liquidation_price, abs=0.01
        )


async def test_no_key_or_signature_is_ever_sent(sim, hub):
    await hub.read_account("hyperliquid", WALLET)
    assert {f"{r.method} {r.path}" for r in sim.requests} == {"POST /info"}
    assert all(r.remote == "127.0.0.1" for r in sim.requests)


async def test_a_private_key_instead_of_an_address_is_refused_before_any_request(sim, hub):
    await hub.read_account("hyperliquid", WALLET)
    before = len(sim.requests)
    key = "0x" + "9a" * 32
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("hyperliquid", Credentials(wallet_address=key))
    assert caught.value.state == "auth_failed"
    assert "private key" in caught.value.user_message
    assert key not in str(caught.value)
    assert len(sim.requests) == before


@pytest.mark.parametrize(
    "fault, state",
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "exchange_down"),
        ("maintenance", "exchange_down"),
        ("timeout", "exchange_down"),
        ("malformed_json", "bad_response"),
    ],
)
async def test_each_injected_fault_ends_in_its_state(sim, hub, fault: str, state: str):
    await hub.read_account("hyperliquid", WALLET)
    sim.inject_fault("hyperliquid", fault, public=True)
    with pytest.raises(ExchangeReadError) as caught:
        await hub.read_account("hyperliquid", WALLET)
    assert caught.value.state == state


async def test_the_link_check_explains_that_nothing_can_trade(sim, hub):
    check = await hub.check_key("hyperliquid", WALLET)
    assert check.ok and check.rights == frozenset({"read"})
    assert "no key" in check.message


async def test_signed_actions_are_refused_before_a_request_is_built(sim, hub):
    exchange = await ccxt_client(hub, "hyperliquid", WALLET)
    before = len(sim.requests)
    implicit = [n for n in dir(type(exchange)) if re.match(r"private_post_", n)]
    assert "private_post_exchange" in implicit
    for name in implicit:
        with pytest.raises(ReadOnlyViolation):
            await getattr(exchange, name)({})
    for name, args in [
        ("create_order", ("BTC/USDC:USDC", "limit", "buy", 0.01, 50000.0)),
        ("cancel_order", ("1", "BTC/USDC:USDC")),
        ("withdraw", ("USDC", 10.0, ADDRESS)),
        ("set_leverage", (5, "BTC/USDC:USDC")),
    ]:
        # The guard refuses POST /exchange, or ccxt refuses first (no private key to sign
        # with); either way nothing may be sent, which the count below proves.
        with pytest.raises(Exception):  # noqa: B017
            await getattr(exchange, name)(*args)
    assert len(sim.requests) == before
