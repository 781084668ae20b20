"""The demo's built-in market: two accounts and a scripted day of prices.

The accounts are linked through the real link path with the keys below, which exist only inside
the local simulator. Each step is one minute of simulated time; every price of every venue moves
by the step's factor, so both accounts live through the same market.
"""

from __future__ import annotations

import base64
from typing import Any

# Keys of the simulator's demo accounts: they open nothing anywhere else.
KRAKEN_KEY = "demo-kraken-key"
KRAKEN_SECRET = base64.b64encode(b"demo-kraken-secret-not-a-real-one").decode()
BINANCE_KEY = "demo-binance-usdm-key"
BINANCE_SECRET = "demo-binance-usdm-secret-not-a-real-one"

# (phase shown in the terminal, price factor per one-minute step)
PHASES: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("calm market", (1.004, 0.997, 1.002, 0.999)),
    ("prices slide", (0.97, 0.965, 0.96, 0.96)),
    ("the slide deepens", (0.95, 0.95, 0.96)),
    ("a bounce", (1.07, 1.06, 1.06, 1.04, 1.03)),
    ("calm again", (1.0, 1.001, 0.999)),
    ("flash crash", (0.9, 0.88, 0.895)),
    ("aftermath", (1.0, 1.0)),
)


def default_scenario() -> dict[str, Any]:
    """A simulator scenario plus the ``demo`` section naming the accounts to link."""
    steps: list[dict[str, Any]] = []
    for phase, factors in PHASES:
        for index, factor in enumerate(factors):
            step: dict[str, Any] = {"factor": factor}
            if index == 0:
                step["phase"] = phase
            steps.append(step)
    return {
        "venues": {
            "kraken": {
                "prices": {"BTC/USD": 60_000.0, "ETH/USD": 3_000.0, "DOT/USD": 6.0},
                "accounts": [
                    {
                        "api_key": KRAKEN_KEY,
                        "secret": KRAKEN_SECRET,
                        "balances": {"ZUSD": 30_000.0, "DOT.S": 250.0},
                        "positions": [
                            {
                                "symbol": "BTC/USD",
                                "type": "buy",
                                "vol": 1.0,
                                "price": 60_000.0,
                                "leverage": 5,
                                "time": 1_700_000_000,
                            },
                            {
                                "symbol": "ETH/USD",
                                "type": "buy",
                                "vol": 5.0,
                                "price": 3_000.0,
                                "leverage": 5,
                                "time": 1_700_000_600,
                            },
                            {
                                "symbol": "DOT/USD",
                                "type": "sell",
                                "vol": 1_000.0,
                                "price": 6.2,
                                "leverage": 3,
                                "time": 1_700_001_200,
                            },
                        ],
                    }
                ],
            },
            "binanceusdm": {
                "prices": {"BTC/USDT": 60_000.0, "ETH/USDT": 3_000.0},
                "accounts": [
                    {
                        "api_key": BINANCE_KEY,
                        "secret": BINANCE_SECRET,
                        "wallet_balance": 40_000.0,
                        "positions": [
                            {"symbol": "BTC/USDT:USDT", "size": 1.5, "entry_price": 58_000.0},
                            {"symbol": "ETH/USDT:USDT", "size": 10.0, "entry_price": 3_100.0},
                        ],
                    }
                ],
            },
        },
        "steps": steps,
        "demo": {
            "step_seconds": 60,
            "accounts": [
                {
                    "venue": "kraken",
                    "label": "kraken-margin",
                    "api_key": KRAKEN_KEY,
                    "secret": KRAKEN_SECRET,
                },
                {
                    "venue": "binanceusdm",
                    "label": "binance-futures",
                    "api_key": BINANCE_KEY,
                    "secret": BINANCE_SECRET,
                },
            ],
            # The trader's own alert settings, set through /alerts like a user would.
            "alerts": {"watch": "20%", "critical": "5%"},
        },
    }
