"""The read-only guard: every write of the ccxt classes we use is refused before any request."""

from __future__ import annotations

import inspect
import re
from typing import Any

import ccxt.async_support as ccxt
import pytest
from ccxt.base.types import Entry

from bot.exchanges import ExchangeHub, ReadOnlyViolation
from bot.exchanges.guard import ReadOnlyClient
from bot.exchanges.registry import adapter_for

from .conftest import KRAKEN, MARGIN, USDM

WRITE_PREFIXES = (
    "create_",
    "cancel_",
    "edit_",
    "withdraw",
    "transfer",
    "borrow_",
    "repay_",
    "set_",
    "add_margin",
    "reduce_margin",
    "close_",
    "modify_",
)
IMPLICIT_WRITE = re.compile(r"_(post|put|delete|patch)_")
VENUES = {"kraken": KRAKEN, "binanceusdm": USDM, "binance": MARGIN}


def implicit_writes(exchange_class: type, allowed: frozenset[str]) -> list[str]:
    """Every implicit (raw endpoint) POST/PUT/DELETE method of a ccxt class, snake_case."""
    return [
        name
        for name in dir(exchange_class)
        if not name.startswith("_")
        and "_" in name
        and name.lower() == name
        and name not in allowed
        and IMPLICIT_WRITE.search(name)
        and isinstance(inspect.getattr_static(exchange_class, name, None), Entry)
    ]


def write_methods(exchange_class: type, allowed: frozenset[str]) -> list[str]:
    """Every unified write method and every implicit POST/PUT/DELETE of a ccxt class."""
    unified = [
        name
        for name in dir(exchange_class)
        if name.startswith(WRITE_PREFIXES) and name not in allowed
    ]
    return unified + implicit_writes(exchange_class, allowed)


async def _instance(hub: ExchangeHub, venue: str) -> Any:
    await hub.read_account(venue, VENUES[venue])
    (account,) = hub._venues[venue].accounts.values()
    return account.exchange


@pytest.mark.parametrize("venue", sorted(VENUES))
async def test_the_client_refuses_every_write_method_by_name(sim, hub: ExchangeHub, venue: str):
    adapter = adapter_for(venue)
    exchange = await _instance(hub, venue)
    client = ReadOnlyClient(exchange, adapter.read_methods)
    names = write_methods(type(exchange), adapter.read_methods)
    assert len(names) > 30  # the enumeration really found the class's writes
    for name in names:
        with pytest.raises(ReadOnlyViolation):
            getattr(client, name)
    with pytest.raises(ReadOnlyViolation):
        client.apiKey = "changed"  # type: ignore[attr-defined]


UNIFIED_WRITES: list[tuple[str, tuple[Any, ...]]] = [
    ("create_order", ("BTC/USD", "limit", "buy", 1.0, 50000.0)),
    ("create_market_order", ("BTC/USD", "sell", 1.0)),
    ("cancel_order", ("ORDER-1", "BTC/USD")),
    ("cancel_all_orders", ("BTC/USD",)),
    ("edit_order", ("ORDER-1", "BTC/USD", "limit", "buy", 1.0, 51000.0)),
    ("withdraw", ("USDT", 10.0, "0x0000000000000000000000000000000000000001")),
    ("transfer", ("USDT", 10.0, "spot", "future")),
    ("borrow_cross_margin", ("USDT", 10.0)),
    ("repay_cross_margin", ("USDT", 10.0)),
    ("set_leverage", (5, "BTC/USDT:USDT")),
    ("set_margin_mode", ("isolated", "BTC/USDT:USDT")),
    ("set_position_mode", (True,)),
    ("add_margin", ("BTC/USDT:USDT", 10.0)),
    ("reduce_margin", ("BTC/USDT:USDT", 10.0)),
]


@pytest.mark.parametrize("venue", sorted(VENUES))
async def test_the_instance_itself_refuses_writes_before_sending_anything(sim, hub, venue):
    exchange = await _instance(hub, venue)
    symbol_by_venue = {"kraken": "BTC/USD", "binance": "BTC/USDT", "binanceusdm": "BTC/USDT:USDT"}
    before = len(sim.requests)
    refused = 0
    for name, args in UNIFIED_WRITES:
        method = getattr(exchange, name, None)
        if method is None:
            continue
        args = tuple(
            symbol_by_venue[venue] if a in ("BTC/USD", "BTC/USDT:USDT") else a for a in args
        )
        try:
            params = {"key": "main"} if name == "withdraw" else {}  # kraken's withdrawal key
            await method(*args, params=params)
        except ReadOnlyViolation:
            refused += 1
        except (
            ccxt.NotSupported,
            ccxt.ArgumentsRequired,
            ccxt.BadRequest,
            ccxt.BadSymbol,
            ccxt.InvalidOrder,
        ):
            pass  # ccxt itself refused before building a request: nothing was sent either
    # ...and every implicit POST/PUT/DELETE endpoint twin of those writes.
    implicit = implicit_writes(type(exchange), adapter_for(venue).read_methods)
    for name in implicit:
        with pytest.raises(ReadOnlyViolation):
            await getattr(exchange, name)({})
    assert refused >= 5
    assert len(implicit) > 30
    twins = {
        "kraken": {
            "private_post_addorder",
            "private_post_cancelorder",
            "private_post_withdraw",
            "private_post_wallettransfer",
        },
        "binance": {
            "sapi_post_margin_order",
            "sapi_post_margin_borrow_repay",
            "sapi_post_capital_withdraw_apply",
            "sapi_post_asset_transfer",
        },
        "binanceusdm": {
            "fapiprivate_post_order",
            "fapiprivate_post_leverage",
            "fapiprivate_post_margintype",
            "fapiprivate_delete_order",
        },
    }
    assert twins[venue] <= set(implicit)
    assert len(sim.requests) == before, "a refused write reached the simulator"


def test_allow_lists_hold_no_write_endpoint():
    for venue in VENUES:
        adapter = adapter_for(venue)
        for endpoint in adapter.read_endpoints:
            assert not re.search(
                r"order|withdraw|transfer|borrow|repay|leverage/|marginType",
                endpoint.path,
                re.IGNORECASE,
            ) or endpoint.path in ("leverageBracket",), f"{venue}: {endpoint} looks like a write"
        for name in adapter.read_methods:
            assert not name.startswith(WRITE_PREFIXES), f"{venue}: {name}"
