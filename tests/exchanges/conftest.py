"""Shared set-up for the exchange tests: a simulator with Kraken and Binance accounts, a hub."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import ccxt
import pytest

from bot.exchanges import Credentials, ExchangeHub
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED, limits_budget

KRAKEN_SECRET = base64.b64encode(b"kraken-test-secret-0123456789").decode()
KRAKEN = Credentials(api_key="kraken-key-1", secret=KRAKEN_SECRET)
KRAKEN_EMPTY = Credentials(api_key="kraken-key-empty", secret=KRAKEN_SECRET)
USDM = Credentials(api_key="usdm-key-1", secret="usdm-secret-1")
USDM_TRADER = Credentials(api_key="usdm-key-trader", secret="usdm-secret-2")
MARGIN = Credentials(api_key="margin-key-1", secret="margin-secret-1")


def scenario() -> dict:
    return {
        "venues": {
            "kraken": {
                "prices": {"BTC/USD": 60000.0, "ETH/USD": 3000.0, "DOT/USD": 6.0},
                "accounts": [
                    {
                        "api_key": KRAKEN.api_key,
                        "secret": KRAKEN.secret,
                        "balances": {"ZUSD": 10000.0, "XXBT": 0.1, "DOT.S": 100.0},
                        "positions": [
                            {
                                "symbol": "BTC/USD",
                                "type": "buy",
                                "vol": 1.0,
                                "price": 65000.0,
                                "leverage": 5,
                            },
                            {
                                "symbol": "ETH/USD",
                                "type": "sell",
                                "vol": 2.0,
                                "price": 2900.0,
                                "leverage": 2,
                            },
                        ],
                    },
                    {
                        "api_key": KRAKEN_EMPTY.api_key,
                        "secret": KRAKEN_EMPTY.secret,
                        "balances": {"ZUSD": 500.0},
                    },
                ],
            },
            "binanceusdm": {
                "prices": {"ETH/USDT": 1335.18, "BTC/USDT": 31967.27},
                "accounts": [
                    {
                        "api_key": USDM.api_key,
                        "secret": USDM.secret,
                        "wallet_balance": 1535443.01,
                        "positions": [
                            {"symbol": "ETH/USDT:USDT", "size": 3683.979, "entry_price": 1456.84},
                            {"symbol": "BTC/USDT:USDT", "size": 109.488, "entry_price": 32481.98},
                        ],
                    },
                    {
                        "api_key": USDM_TRADER.api_key,
                        "secret": USDM_TRADER.secret,
                        "wallet_balance": 1000.0,
                        "restrictions": {
                            "enableSpotAndMarginTrading": True,
                            "enableFutures": True,
                            "enableWithdrawals": True,
                        },
                    },
                ],
            },
            "binance": {
                "prices": {"BTC/USDT": 60000.0, "ETH/USDT": 3000.0},
                "accounts": [
                    {
                        "api_key": MARGIN.api_key,
                        "secret": MARGIN.secret,
                        "assets": {
                            "USDT": {"free": 1000.0, "borrowed": 5000.0, "interest": 1.0},
                            "BTC": {"free": 0.2},
                            "ETH": {"free": 1.0, "locked": 0.5},
                        },
                    },
                ],
            },
        },
        "steps": [{"factor": 0.9}, {"prices": {"kraken": {"BTC/USD": 40000.0}}}],
    }


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as simulator:
        yield simulator


def make_hub(sim: Simulator, **kwargs: object) -> ExchangeHub:
    options: dict = {
        "base_urls": sim.base_urls,
        "timeout_ms": 3000,
        "budget": limits_budget(),
        "backoff_base": 0.0,
    }
    options.update(kwargs)
    return ExchangeHub(**options)  # type: ignore[arg-type]


@pytest.fixture
async def hub(sim: Simulator) -> AsyncIterator[ExchangeHub]:
    async with make_hub(sim) as exchange_hub:
        yield exchange_hub


def private_requests(sim: Simulator, venue: str) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in sim.requests
        if r.venue == venue and not sim.venue(venue).is_public(r.method, r.path)
    ]


def ccxt_bybit_ltc() -> ccxt.bybit:
    """A sync ccxt Bybit that knows the recordings' LTCUSDT linear swap, without asking for it."""
    exchange = ccxt.bybit()
    exchange.set_markets(
        [
            {
                "id": "LTCUSDT",
                "symbol": "LTC/USDT:USDT",
                "base": "LTC",
                "quote": "USDT",
                "settle": "USDT",
                "baseId": "LTC",
                "quoteId": "USDT",
                "settleId": "USDT",
                "type": "swap",
                "spot": False,
                "swap": True,
                "future": False,
                "option": False,
                "contract": True,
                "linear": True,
                "inverse": False,
                "contractSize": 1.0,
                "active": True,
                "precision": {"amount": 0.1, "price": 0.01},
                "limits": {},
            }
        ]
    )
    return exchange
