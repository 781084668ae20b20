"""The read-only client of each EX2 venue refuses every write of its ccxt class by name."""

from __future__ import annotations

import re

import ccxt.async_support as ccxt
import pytest

from bot.exchanges import ReadOnlyViolation
from bot.exchanges.guard import ReadOnlyClient
from bot.exchanges.registry import adapter_for

WRITE = re.compile(
    r"^(create_|cancel_|edit_|withdraw|transfer|borrow_|repay_|set_|add_margin|"
    r"reduce_margin|close_|modify_)|_(post|put|delete|patch)_"
)
VENUES = ["bybit", "okx", "krakenfutures", "hyperliquid", "generic:bitget"]
# The writes a user would fear most, by their implicit (raw endpoint) names.
TWINS = {
    "bybit": {
        "private_post_v5_order_create",
        "private_post_v5_asset_withdraw_create",
        "private_post_v5_asset_transfer_inter_transfer",
        "private_post_v5_position_set_leverage",
    },
    "okx": {
        "private_post_trade_order",
        "private_post_asset_withdrawal",
        "private_post_asset_transfer",
        "private_post_account_set_leverage",
    },
    "krakenfutures": {
        "private_post_sendorder",
        "private_post_withdrawal",
        "private_post_transfer",
        "private_put_leveragepreferences",
    },
    "hyperliquid": {"private_post_exchange"},
    "generic:bitget": {
        "private_mix_post_v2_mix_order_place_order",
        "private_spot_post_v2_spot_wallet_withdrawal",
    },
}


@pytest.mark.parametrize("venue", VENUES)
def test_every_write_name_is_refused(venue: str) -> None:
    adapter = adapter_for(venue)
    cls = getattr(ccxt, adapter.info.ccxt_id)
    exchange = cls()
    client = ReadOnlyClient(exchange, adapter.read_methods)
    names = [
        n
        for n in dir(cls)
        if not n.startswith("_") and WRITE.search(n) and n not in adapter.read_methods
    ]
    assert TWINS[venue] <= set(names)
    for name in names:
        with pytest.raises(ReadOnlyViolation):
            getattr(client, name)


@pytest.mark.parametrize("venue", VENUES)
def test_allow_lists_name_only_reads(venue: str) -> None:
    adapter = adapter_for(venue)
    for name in adapter.read_methods:
        assert not WRITE.search(name) or name == "public_post_info", f"{venue}: {name}"
    for endpoint in adapter.read_endpoints:
        assert endpoint.method == "GET" or (venue, str(endpoint)) == (
            "hyperliquid",
            "POST public:info",
        ), f"{venue}: {endpoint}"
