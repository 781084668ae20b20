"""Accounts files and the USD price control: what `marginwatch sim` opens and how a person
moves its market, checked through the real hub and the real risk engine."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import aiohttp
import pytest

import risk
from bot.exchanges import SUPPORTED_VENUES, Credentials, ExchangeHub
from bot.sim import Simulator
from bot.sim.accounts import (
    DEFAULT_ACCOUNTS,
    AccountsError,
    SimulatedAccount,
    load_accounts,
    open_accounts,
    parse_accounts,
)
from bot.sim.control import state
from bot.sim.market import PriceError, parse_usd_prices, repriced
from bot.sim.venues import plugins
from tests.support.limits import LIMITS_SPEED, limits_budget

B64 = base64.b64encode(b"a-kraken-style-secret").decode()


def credentials(account: SimulatedAccount) -> Credentials:
    if account.uses_address:
        return Credentials(wallet_address=account.key)
    return Credentials(api_key=account.key, secret=account.secret, passphrase=account.passphrase)


async def served(accounts_json: dict | None = None) -> tuple[Simulator, list[SimulatedAccount]]:
    sim = Simulator(limits_speed=LIMITS_SPEED)
    sim.serve_all()
    spec = (
        load_accounts(DEFAULT_ACCOUNTS) if accounts_json is None else parse_accounts(accounts_json)
    )
    opened = open_accounts(sim, spec)
    await sim.start()
    return sim, opened


def test_the_simulator_serves_every_venue_the_bot_supports() -> None:
    # Simulator mode reads every named venue from the simulator: none may be missing there.
    assert set(plugins()) == set(SUPPORTED_VENUES)


async def test_the_default_accounts_are_healthy_and_a_btc_crash_puts_each_in_danger() -> None:
    sim, opened = await served()
    try:
        assert sorted(a.venue for a in opened) == sorted(SUPPORTED_VENUES)
        async with ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub:
            for account in opened:
                check = await hub.check_key(account.venue, credentials(account))
                assert check.ok, (account.venue, check.message)
                health = risk.assess(
                    (await hub.read_account(account.venue, credentials(account))).snapshot
                )
                # ok, and more than the default 20 % watch distance from liquidation
                assert health.state == "ok" and health.move_to_liquidation < -0.20, account.venue
        sim.set_usd_prices({"BTC": 41_000})
        # A fresh hub: the exchanges' 5-second ticker caches would hide the move for a moment.
        async with ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub:
            for account in opened:
                read = await hub.read_account(account.venue, credentials(account))
                health = risk.assess(read.snapshot)
                assert health.state != "liquidation", account.venue
                # past the venue's margin call, or within the default 5 % critical distance
                assert health.state == "margin_call" or -0.05 < health.move_to_liquidation < 0, (
                    account.venue,
                    health.state,
                    health.move_to_liquidation,
                )
    finally:
        await sim.stop()


def test_a_line_per_account_carries_what_linking_needs() -> None:
    okx = SimulatedAccount("okx", "desk", "k", "s", "p")
    assert okx.line() == "account okx desk key=k secret=s passphrase=p"
    kraken = SimulatedAccount("kraken", "main", "k", B64)
    assert kraken.line() == f"account kraken main key=k secret={B64}"
    wallet = SimulatedAccount("hyperliquid", "hl", "0xabc", uses_address=True)
    assert wallet.line() == "account hyperliquid hl address=0xabc"


async def test_holdings_given_in_the_neutral_format_come_back_from_the_state_endpoint() -> None:
    accounts = {
        "accounts": [
            {
                "venue": "okx",
                "label": "okx-iso",
                "key": "ok",
                "secret": "s",
                "passphrase": "p",
                "balances": {"USDT": 5000, "BTC": 0.1},
                "positions": [
                    {
                        "symbol": "ETH/USDT:USDT",
                        "side": "short",
                        "size": 30,
                        "entry": 3100,
                        "leverage": 5,
                        "margin_mode": "isolated",
                    }
                ],
            },
            {
                "venue": "kraken",
                "label": "kr",
                "key": "kk",
                "secret": B64,
                "balances": {"USD": 1000, "BTC": 0.5, "DOT.S": 10},
                "positions": [{"symbol": "ETH/USD", "side": "short", "size": 2, "entry": 3000}],
            },
            {
                "venue": "hyperliquid",
                "label": "wallet",
                "address": "0x" + "ab" * 20,
                "balances": {"USDC": 900},
                "positions": [{"symbol": "SOL/USDC:USDC", "side": "long", "size": 3, "entry": 150}],
            },
        ]
    }
    sim, _ = await served(accounts)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{sim.url}/_sim/state") as response:
            body = await response.json()
    finally:
        await sim.stop()
    by_label = {a["label"]: a for a in body["accounts"]}
    okx = by_label["okx-iso"]
    assert okx["key"] == "ok" and okx["balances"] == {"USDT": 5000, "BTC": 0.1}
    [short] = okx["positions"]
    assert short == {
        "symbol": "ETH/USDT:USDT",
        "side": "short",
        "size": 30,
        "entry": 3100,
        "leverage": 5,
        "margin_mode": "isolated",
        "mark": 3000.0,
    }
    kraken = by_label["kr"]
    assert kraken["balances"] == {"USD": 1000, "BTC": 0.5, "DOT.S": 10}  # Kraken's ids hidden
    assert kraken["positions"][0]["side"] == "short" and kraken["positions"][0]["size"] == 2
    assert by_label["wallet"]["address"] == "0x" + "ab" * 20 and "key" not in by_label["wallet"]
    assert body["prices"]["kraken"]["BTC/USD"] == 60000.0
    assert body["steps"] == {"taken": 0, "total": 0}


def one(**account: object) -> dict:
    return {"accounts": [account]}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ([], "JSON object"),
        ({"acounts": []}, "unknown field 'acounts'"),
        (one(venue="mtgox", key="k", secret="s"), "venue must be one of"),
        (one(venue="kraken", key="k"), "need a 'key' and a 'secret'"),
        (one(venue="kraken", key="k", secret="not-base64!"), "secrets are base64"),
        (one(venue="okx", key="k", secret="s"), "need a 'passphrase'"),
        (one(venue="bybit", key="k", secret="s", passphrase="p"), "have no passphrase"),
        (one(venue="hyperliquid", key="k", secret="s"), "are an address, not a key"),
        (one(venue="bybit", key="k s", secret="s"), "key must be text without spaces"),
        (one(venue="bybit", label="my desk", key="k", secret="s"), "label must be"),
        (one(venue="bybit", key="k", secret="s", wallet=1), "unknown field 'wallet'"),
        (one(venue="bybit", key="k", secret="s", balances={"USDT": -1}), "balances.USDT must"),
        (one(venue="bybit", key="k", secret="s", balances={"DOGE": 1}), "cannot hold DOGE"),
        (
            one(venue="binanceusdm", key="k", secret="s", balances={"BTC": 1}),
            "balances cannot hold BTC here (balances: USDT)",
        ),
        (
            one(venue="binance", key="k", secret="s", positions=[]) | {},
            None,  # an empty spot margin account is fine
        ),
        (
            one(
                venue="binance",
                key="k",
                secret="s",
                positions=[{"symbol": "BTC/USDT", "side": "long", "size": 1, "entry": 1}],
            ),
            "not positions",
        ),
        (
            one(
                venue="bybit",
                key="k",
                secret="s",
                positions=[{"symbol": "DOGE/USDT:USDT", "side": "long", "size": 1, "entry": 1}],
            ),
            "no market 'DOGE/USDT:USDT'",
        ),
        (
            # A coin-margined isolated long needs its margin in BTC: 100 USD at 60,000, 10x.
            one(
                venue="okx",
                key="k",
                secret="s",
                passphrase="p",
                balances={"USDT": 5000},
                positions=[
                    {
                        "symbol": "BTC/USD:BTC",
                        "side": "long",
                        "size": 1,
                        "entry": 60000,
                        "leverage": 10,
                        "margin_mode": "isolated",
                    }
                ],
            ),
            "isolated positions need 0.00016666667 BTC of margin, the balances hold 0 BTC",
        ),
        (
            one(
                venue="bybit",
                key="k",
                secret="s",
                positions=[{"symbol": "BTC/USDT:USDT", "side": "up", "size": 1, "entry": 1}],
            ),
            "positions[0]: side must be 'long' or 'short'",
        ),
        (
            one(
                venue="bybit",
                key="k",
                secret="s",
                positions=[{"symbol": "BTC/USDT:USDT", "side": "long", "size": 0, "entry": 1}],
            ),
            "positions[0]: size must be above 0",
        ),
        (
            one(
                venue="bybit",
                key="k",
                secret="s",
                positions=[{"symbol": "BTC/USDT:USDT", "side": "long", "size": 1}],
            ),
            "entry is missing",
        ),
        (
            {
                "accounts": [
                    {"venue": "bybit", "label": "a", "key": "k1", "secret": "s"},
                    {"venue": "okx", "label": "A", "key": "k2", "secret": "s", "passphrase": "p"},
                ]
            },
            "label 'A' is already used by accounts[0]",
        ),
        (
            {
                "accounts": [
                    {"venue": "bybit", "label": "a", "key": "k1", "secret": "s"},
                    {"venue": "bybit", "label": "b", "key": "k1", "secret": "t"},
                ]
            },
            "bybit key is already used by accounts[0]",
        ),
    ],
)
def test_a_bad_accounts_file_is_refused_with_a_sentence_naming_the_field(
    data: object, says: str | None
) -> None:
    if says is None:
        parse_accounts(data)
        return
    with pytest.raises(AccountsError) as refused:
        parse_accounts(data)
    assert says in str(refused.value)


def test_the_file_name_is_in_every_complaint_about_a_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text("{not json")
    with pytest.raises(AccountsError, match=r"accounts\.json is not JSON"):
        load_accounts(path)
    path.write_text(json.dumps(one(venue="kraken", key="k")))
    with pytest.raises(AccountsError, match=r"accounts\.json: accounts\[0\] \(kraken 'kraken'\)"):
        load_accounts(path)
    with pytest.raises(AccountsError, match="cannot read"):
        load_accounts(tmp_path / "missing.json")


def test_a_usd_price_converts_through_each_venues_own_quote_prices() -> None:
    kraken = {"BTC/USD": 60000.0, "EUR/USD": 1.08, "BTC/EUR": 60000.0 / 1.08, "ETH/USD": 3000.0}
    assert repriced(kraken, {"BTC": 41000.0}) == {
        "BTC/USD": 41000.0,
        "BTC/EUR": pytest.approx(41000.0 / 1.08),
    }
    # Both at once: BTC/EUR is the new BTC over the new EUR, whatever the order.
    both = repriced(kraken, {"EUR": 1.2, "BTC": 48000.0})
    assert both["BTC/EUR"] == pytest.approx(40000.0) and both["EUR/USD"] == 1.2
    # A market quoted in the moved asset keeps its base's dollar value.
    spot = {"BTC/USDT": 60000.0, "ETH/BTC": 0.05}
    assert repriced(spot, {"BTC": 30000.0})["ETH/BTC"] == pytest.approx(0.1)
    # A venue that prices its stablecoin uses that price; one that does not counts it as $1.
    assert repriced({"BTC/USDT": 60000.0, "USDT/USD": 0.5}, {"BTC": 40000.0}) == {
        "BTC/USDT": pytest.approx(80000.0)
    }


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"prices": {"BTC": -1}}, "positive"),
        ({"prices": {"BTC": "41000"}}, "must be a number of dollars"),
        ({"prices": {"BTC": True}}, "must be a number of dollars"),
        ({"prices": {"BTC": float("inf")}}, "positive"),
        ({"prices": {}}, "at least one asset"),
        ({"price": {"BTC": 1}}, "unknown field 'price'"),
        ({"prices": {"USD": 2}}, "USD itself"),
        ({"prices": {"DOGE": 2}}, "no simulated market trades DOGE"),
        ([1], "JSON object"),
    ],
)
def test_a_bad_price_request_is_refused_with_a_sentence(body: object, says: str) -> None:
    with pytest.raises(PriceError, match=says):
        parse_usd_prices(body, {"BTC", "ETH"})


def test_lower_case_and_kraken_spelling_name_the_same_asset() -> None:
    assert parse_usd_prices({"prices": {"btc": 1, "ETH": 2}}, {"BTC", "ETH"}) == {
        "BTC": 1.0,
        "ETH": 2.0,
    }
    assert parse_usd_prices({"prices": {"XBT": 5}}, {"BTC"}) == {"BTC": 5.0}


async def test_a_bad_request_to_the_control_api_is_a_400_and_changes_nothing() -> None:
    sim, _ = await served()
    try:
        before = state(sim)
        async with aiohttp.ClientSession() as http:
            for body in (
                '{"prices": {"BTC": 41000, "DOGE": 1}}',
                "{oops",
                '{"prices": {"BTC": 0}}',
            ):
                async with http.post(f"{sim.url}/_sim/prices", data=body) as response:
                    assert response.status == 400
                    assert (await response.json())["error"]
            assert state(sim) == before
            async with http.post(
                f"{sim.url}/_sim/prices", json={"prices": {"ETH": 2500, "btc": 41000}}
            ) as response:
                answer = await response.json()
        assert response.status == 200
        assert answer["prices"] == {"ETH": 2500.0, "BTC": 41000.0}
        assert answer["markets"]["okx"] == {
            "BTC/USDT:USDT": 41000.0,
            "ETH/USDT:USDT": 2500.0,
            "BTC/USD:BTC": 41000.0,
        }
        assert sim.venue("binanceusdm").prices["BTC/USDT"] == 41000.0
    finally:
        await sim.stop()
