"""The production read path under the monitor: encrypted key → ExchangeHub → ccxt → simulator."""

from __future__ import annotations

from bot.monitor.clock import ManualClock
from bot.sim import Simulator
from bot.store import AccountSecrets, Store

from .world import monitored_on_simulator

API_KEY, SECRET = "usdm-monitor-key", "usdm-monitor-secret"

# Binance's published USDⓈ-M example positions, on the simulator's own maintenance brackets.
SCENARIO = {
    "venues": {
        "binanceusdm": {
            "prices": {"ETH/USDT": 1335.18, "BTC/USDT": 31967.27},
            "accounts": [
                {
                    "api_key": API_KEY,
                    "secret": SECRET,
                    "wallet_balance": 1535443.01,
                    "positions": [
                        {"symbol": "ETH/USDT:USDT", "size": 3683.979, "entry_price": 1456.84},
                        {"symbol": "BTC/USDT:USDT", "size": 109.488, "entry_price": 32481.98},
                    ],
                }
            ],
        }
    }
}


async def test_price_fall_on_the_simulator_becomes_one_critical_alert_then_key_revocation(
    store: Store, clock: ManualClock
) -> None:
    async with (
        Simulator(SCENARIO) as sim,
        monitored_on_simulator(
            store,
            clock,
            sim,
            "binanceusdm",
            "futures",
            AccountSecrets(api_key=API_KEY, secret=SECRET),
        ) as (monitor, chat, account, _),
    ):
        await monitor.run_until_idle()
        assert chat.sent == []  # healthy
        history = await store.health_series(account.id)
        assert len(history) == 1 and history[0].state == "ok"
        move = history[0].move_to_liquidation
        assert move is not None and move < -0.05

        # Prices fall until only about 2 % is left before liquidation: critical (within 5 %).
        sim.move_prices(1 + move + 0.02, "binanceusdm")
        clock.advance(60)
        await monitor.run_until_idle()
        assert chat.titles == ["futures: CRITICAL — close to liquidation"]

        sim.revoke_key("binanceusdm", API_KEY)
        clock.advance(10)
        await monitor.run_until_idle()
        assert chat.titles[1:] == ["futures: key invalid or revoked"]
        stored = await store.get_account(account.id)
        assert stored is not None and stored.status == "key_invalid"
