"""Set-up for the simulator tests: a small two-venue scenario."""

from __future__ import annotations

import base64

KRAKEN_SECRET = base64.b64encode(b"sim-test-kraken-secret").decode()


def scenario() -> dict:
    return {
        "venues": {
            "kraken": {"accounts": [
                {"api_key": "k-1", "secret": KRAKEN_SECRET, "balances": {"ZUSD": 1000.0},
                 "positions": [{"symbol": "BTC/USD", "type": "buy", "vol": 0.1,
                                "price": 60000.0, "leverage": 5}]},
                {"api_key": "k-2", "secret": KRAKEN_SECRET, "balances": {"ZUSD": 50.0}},
            ]},
            "binanceusdm": {"accounts": [
                {"api_key": "b-1", "secret": "b-secret", "wallet_balance": 1000.0,
                 "positions": [{"symbol": "BTC/USDT:USDT", "size": 0.1,
                                "entry_price": 60000.0}]},
                {"api_key": "b-2", "secret": "b-secret-2", "wallet_balance": 10.0},
            ]},
        },
        "steps": [{"factor": 0.5}, {"venue": "kraken", "factor": 2.0}],
    }
