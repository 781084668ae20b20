"""Pools the venue judges on their own (risk ``Health.pools``): an isolated position, another
coin's pool. Each is judged by the same levels and can raise an alert alone; the account's
own ratio does not cover it."""

from __future__ import annotations

from dataclasses import replace

import risk
from bot.core.alerts import render_event
from bot.exchanges import Credentials
from bot.exchanges.types import AccountRead
from bot.monitor.clock import ManualClock
from bot.monitor.policy import AlertRules, AlertState, Subject, evaluate, judge_level
from bot.sim import Simulator
from bot.store import AccountSecrets, Store
from risk.model import AccountSnapshot, Position

from .world import monitored_on_simulator

SUBJECT = Subject(subscription_id=1, account_label="perps", venue="hyperliquid")
ETH = "ETH/USDC:USDC"


def isolated_only(mark: float, *, cross_usdc: float = 100.0) -> risk.Health:
    """Hyperliquid: cross USDC untouched, one isolated ETH long on 24.88 USDC of margin."""
    return risk.assess(
        AccountSnapshot(
            venue="hyperliquid",
            settle="USDC",
            wallet_balance=cross_usdc,
            positions=(
                Position(
                    symbol=ETH,
                    kind="linear",
                    size=0.2259,
                    entry_price=2213.9,
                    mark_price=mark,
                    maintenance_rate=0.01,  # half the initial margin at 50x
                    margin_mode="isolated",
                    isolated_margin=24.88097,
                ),
            ),
        )
    )


def test_an_isolated_position_4_percent_from_liquidation_is_critical_on_its_own() -> None:
    health = isolated_only(2213.9)
    (pool,) = health.pools
    assert pool.move_to_liquidation is not None and -0.05 < pool.move_to_liquidation < -0.03
    # The account's own cross pool has nothing at risk: alone it reads "ok".
    assert health.state == "ok" and health.move_to_liquidation is None
    assert judge_level(replace(health, pools=()), AlertRules()) == "ok"
    # With its isolated pool judged: within the default 5 % of liquidation, critical.
    assert judge_level(health, AlertRules()) == "critical"
    # Far from it, calm again.
    assert judge_level(isolated_only(2600.0), AlertRules()) == "ok"


def test_the_escalation_names_the_isolated_position_and_its_distance() -> None:
    health = isolated_only(2213.9)
    decision = evaluate(
        AlertState(SUBJECT.subscription_id), health, AlertRules(), SUBJECT, now=1_000.0
    )
    (event,) = decision.events
    assert (event.kind, event.level) == ("escalation", "critical")
    assert (event.pool_label, event.pool_isolated) == (ETH, True)
    assert event.pool_move == health.pools[0].move_to_liquidation
    text = "\n".join(render_event(event).lines)
    assert "Isolated ETH/USDC:USDC: a 4.02% fall of its price liquidates it." in text
    # A channel that sees figures but not positions is not told the symbol.
    shared = "\n".join(render_event(event, "ratio", owner="ann").lines)
    assert ETH not in shared and "An isolated position: a 4.02% fall" in shared


def test_another_coins_pool_at_margin_call_raises_the_alert_and_is_named() -> None:
    def pool(coin: str, wallet: float) -> AccountSnapshot:
        return AccountSnapshot(
            venue="binancecoinm",
            settle=coin,
            wallet_balance=wallet,
            positions=(
                Position(
                    symbol=f"{coin}/USD:{coin}",
                    kind="inverse",
                    size=100,
                    contract_size=100,
                    entry_price=50_000.0,
                    mark_price=50_000.0,
                    maintenance_rate=0.1,
                ),
            ),
        )

    # BTC: 0.02 BTC of maintenance on 0.1 BTC (ratio 0.2); ETH: on 0.0235 (0.85, a call).
    calm, called = pool("BTC", 0.1), pool("ETH", 0.0235)
    assert judge_level(risk.assess(calm), AlertRules()) == "ok"
    eth_level = judge_level(risk.assess(called), AlertRules())
    assert eth_level in ("margin_call", "critical")
    for pools in ((called, calm), (calm, called)):
        health = AccountRead(snapshot=pools[0], pools=pools).health()
        assert health.settle == "ETH"  # the riskiest first, whatever the venue's order
        assert judge_level(health, AlertRules()) == eth_level
    # Were the calm BTC pool the account's headline, the ETH pool still raises the alert,
    # and the alert names it.
    headline = replace(risk.assess(calm), pools=(risk.assess(called),))
    assert judge_level(headline, AlertRules()) == eth_level
    (event,) = evaluate(
        AlertState(SUBJECT.subscription_id), headline, AlertRules(), SUBJECT, now=1_000.0
    ).events
    assert (event.pool_label, event.pool_isolated) == ("ETH", False)
    assert any(line.startswith("ETH pool: Margin ratio 85") for line in render_event(event).lines)


def test_a_position_in_another_pool_is_not_reported_gone() -> None:
    first = isolated_only(2600.0)
    state = evaluate(
        AlertState(SUBJECT.subscription_id), first, AlertRules(), SUBJECT, now=1_000.0
    ).state
    # The same position, now seen only inside a pool (as a COIN-M coin's would be).
    moved = replace(first, positions=())
    events = evaluate(state, moved, AlertRules(), SUBJECT, now=1_060.0).events
    assert [e.kind for e in events] == []


ADDRESS = "0x" + "5a" * 20
SCENARIO = {
    "venues": {
        "hyperliquid": {
            "prices": {ETH: 3000.0},
            "accounts": [
                {
                    "api_key": ADDRESS,
                    "usdc": 1000.0,
                    "positions": [
                        {
                            "coin": "ETH",
                            "szi": 1,
                            "entry": 3000.0,
                            "leverage": 10,
                            "type": "isolated",
                        }
                    ],
                }
            ],
        }
    }
}


async def test_an_isolated_only_account_is_alerted_when_its_position_nears_liquidation(
    store: Store, clock: ManualClock
) -> None:
    async with (
        Simulator(SCENARIO) as sim,
        monitored_on_simulator(
            store, clock, sim, "hyperliquid", "perps", AccountSecrets(wallet_address=ADDRESS)
        ) as (monitor, chat, _, hub),
    ):
        await monitor.run_until_idle()
        assert chat.sent == []  # 10x isolated, ~8 % from its liquidation: calm

        read = await hub.read_account("hyperliquid", Credentials(wallet_address=ADDRESS))
        (pool,) = read.health().pools
        liquidation = pool.positions[0].liquidation_price
        assert liquidation is not None
        # ETH falls to 3 % above the isolated position's liquidation price; the cross
        # pool (1,000 USDC, nothing at risk) is untouched.
        sim.set_price("hyperliquid", ETH, liquidation * 1.03)
        clock.advance(60)
        await monitor.run_until_idle()
        assert chat.titles == ["perps: CRITICAL — close to liquidation"]
        ((_, message),) = chat.sent
        assert any(line.startswith("Isolated ETH/USDC:USDC: a ") for line in message.lines)
