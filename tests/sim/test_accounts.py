"""The one account format: every venue reads it the same way, and a bad field is named."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from bot.exchanges import Credentials, ExchangeHub
from bot.sim import Simulator
from bot.sim.accounts import VENUE_FORMATS, SpecError, parse_accounts
from bot.sim.scenario import ScenarioFile, parse_scenario
from bot.sim.venues import plugins

B64 = base64.b64encode(b"a simulated secret").decode()

# One account per simulated venue, each written in the same format.
ACCOUNTS: list[dict[str, Any]] = [
    {
        "venue": "kraken",
        "api_key": "kr",
        "secret": B64,
        "balances": {"USD": 10_000},
        "positions": [
            {"symbol": "BTC/USD", "side": "long", "size": 0.5, "entry_price": 60_000},
            {"symbol": "ETH/USD", "side": "short", "size": 2, "entry_price": 3_000},
        ],
    },
    {
        "venue": "binance",
        "api_key": "bm",
        "secret": "s",
        "balances": {"BTC": 1, "USDT": 1_000},
        "borrowed": {"USDT": 20_000},
    },
    {
        "venue": "binanceusdm",
        "api_key": "bu",
        "secret": "s",
        "balances": {"USDT": 10_000},
        "positions": [
            {"symbol": "BTC/USDT:USDT", "side": "long", "size": 0.5, "entry_price": 60_000},
            {"symbol": "ETH/USDT:USDT", "side": "short", "size": 2, "entry_price": 3_000},
        ],
    },
    {
        "venue": "binancecoinm",
        "api_key": "bc",
        "secret": "s",
        "balances": {"BTC": 1},
        "positions": [
            {"symbol": "BTC/USD:BTC", "side": "long", "size": 100, "entry_price": 60_000},
        ],
    },
    {
        "venue": "bybit",
        "api_key": "by",
        "secret": "s",
        "balances": {"USDT": 10_000},
        "positions": [
            {"symbol": "BTC/USDT:USDT", "side": "long", "size": 0.5, "entry_price": 60_000},
            {"symbol": "ETH/USDT:USDT", "side": "short", "size": 2, "entry_price": 3_000},
        ],
    },
    {
        "venue": "okx",
        "api_key": "ok",
        "secret": "s",
        "passphrase": "p",
        "balances": {"USDT": 10_000},
        "positions": [
            {"symbol": "BTC/USDT:USDT", "side": "long", "size": 50, "entry_price": 60_000},
            {"symbol": "ETH/USDT:USDT", "side": "short", "size": 20, "entry_price": 3_000},
        ],
    },
    {
        "venue": "krakenfutures",
        "api_key": "kf",
        "secret": B64,
        "balances": {"USD": 10_000},
        "positions": [
            {"symbol": "BTC/USD:USD", "side": "long", "size": 0.5, "entry_price": 60_000},
            {"symbol": "ETH/USD:USD", "side": "short", "size": 2, "entry_price": 3_000},
        ],
    },
    {
        "venue": "hyperliquid",
        "wallet_address": "0x" + "ab" * 20,
        "balances": {"USDC": 10_000},
        "positions": [
            {"symbol": "BTC/USDC:USDC", "side": "long", "size": 0.5, "entry_price": 60_000},
            {"symbol": "ETH/USDC:USDC", "side": "short", "size": 2, "entry_price": 3_000},
        ],
    },
]


def test_every_simulated_venue_has_the_one_account_format() -> None:
    assert set(VENUE_FORMATS) == set(plugins())
    assert {account["venue"] for account in ACCOUNTS} == set(plugins())


def credentials(spec: dict[str, Any]) -> Credentials:
    return Credentials(
        api_key=spec.get("api_key", ""),
        secret=spec.get("secret", ""),
        passphrase=spec.get("passphrase"),
        wallet_address=spec.get("wallet_address"),
    )


@pytest.mark.parametrize("spec", ACCOUNTS, ids=[a["venue"] for a in ACCOUNTS])
async def test_an_account_in_the_one_format_reads_through_ccxt_as_written(spec: dict) -> None:
    (account,) = parse_accounts([spec])
    async with Simulator() as sim:
        account.seed(sim)
        async with ExchangeHub(
            base_urls={account.venue: sim.base_url(account.venue)},
            requests_per_second={account.venue: 0.0},
        ) as hub:
            read = await hub.read_account(account.venue, credentials(spec))
    written = {p["symbol"]: p for p in spec.get("positions", [])}
    seen = {p.symbol: p for p in read.snapshot.positions}
    assert set(seen) == set(written)
    for symbol, position in written.items():
        sign = 1 if position["side"] == "long" else -1
        assert seen[symbol].size == pytest.approx(sign * position["size"])
        assert seen[symbol].entry_price == pytest.approx(position["entry_price"])
    assert read.snapshot.positions or spec["venue"] == "binance"


@pytest.mark.parametrize(
    "change,words",
    [
        # The newcomer's typo: one venue's spelling used on another.
        (
            lambda a: a["positions"][0].update(entry=a["positions"][0].pop("entry_price")),
            "accounts[0].positions[0].entry is not a field of a position: "
            "did you mean entry_price?",
        ),
        (
            lambda a: a["positions"][0].update(side="buy"),
            "accounts[0].positions[0].side must be 'long' or 'short', not 'buy'.",
        ),
        (
            lambda a: a["positions"][0].update(size=-1),
            "accounts[0].positions[0].size must be above 0, not -1.",
        ),
        (
            lambda a: a["positions"][0].update(symbol="BTC/USDT"),
            "accounts[0].positions[0].symbol 'BTC/USDT' is not a market of the binanceusdm "
            "simulator (it has BTC/USDT:USDT, ETH/USDT:USDT, SOL/USDT:USDT and BNB/USDT:USDT): "
            "did you mean 'BTC/USDT:USDT'?",
        ),
        (
            lambda a: a.update(venue="binance-usdm"),
            "accounts[0].venue 'binance-usdm' is not a simulated venue",
        ),
        (lambda a: a.pop("secret"), "accounts[0].secret is missing: an account on binanceusdm"),
        (
            lambda a: a.update(balances={"USD": 1}),
            "accounts[0].balances.USD: the binanceusdm simulator holds no 'USD'",
        ),
        (lambda a: a.update(apikey="x"), "accounts[0].apikey is not a field of an account"),
    ],
)
def test_a_bad_field_is_named_in_one_sentence(change: Any, words: str) -> None:
    spec = {
        "venue": "binanceusdm",
        "api_key": "k",
        "secret": "s",
        "balances": {"USDT": 1_000},
        "positions": [
            {"symbol": "BTC/USDT:USDT", "side": "long", "size": 1, "entry_price": 60_000}
        ],
    }
    change(spec)
    with pytest.raises(SpecError) as caught:
        parse_accounts({"accounts": [spec]}, source="accounts.json")
    assert any(p.startswith(f"accounts.json: {words}") for p in caught.value.problems), (
        caught.value.problems
    )
    # One sentence for a misspelt field, not a second one for the right name "missing".
    assert len(caught.value.problems) == 1, caught.value.problems


def test_a_venues_own_currency_code_points_at_the_unified_one() -> None:
    with pytest.raises(SpecError, match=r"write kraken's ZUSD as its unified code 'USD'"):
        parse_accounts(
            [{"venue": "kraken", "api_key": "k", "secret": B64, "balances": {"ZUSD": 1}}]
        )


def test_kraken_secrets_must_be_base64_like_the_venues() -> None:
    with pytest.raises(SpecError, match=r"accounts\[0\]\.secret must be base64"):
        parse_accounts([{"venue": "kraken", "api_key": "k", "secret": "not base64!"}])


def test_two_accounts_may_not_share_a_label_or_a_key() -> None:
    one = {"venue": "binanceusdm", "label": "main", "api_key": "k", "secret": "s"}
    with pytest.raises(SpecError) as caught:
        parse_accounts([one, dict(one)])
    assert [p.split(": ", 1)[1][:40] for p in caught.value.problems] == [
        "accounts[1].label 'main' is already used",
        "accounts[1] signs in like accounts[0] on",
    ]


def test_the_old_per_venue_scenario_format_is_refused_with_the_way_forward() -> None:
    old = {"venues": {"kraken": {"accounts": []}}, "demo": {"accounts": []}}
    with pytest.raises(SpecError, match=r"old scenario format.*--print-scenario"):
        parse_scenario(old, source="old.json")


def test_a_scenario_file_becomes_the_simulators_own_scenario() -> None:
    parsed = parse_scenario(
        {
            "accounts": [ACCOUNTS[2]],
            "prices": {"binanceusdm": {"BTC/USDT": 50_000}},
            "steps": [{"phase": "crash", "factor": 0.5}, {"prices": {"kraken": {"BTC/USD": 1}}}],
        },
        source="s.json",
    )
    assert isinstance(parsed, ScenarioFile)
    native = parsed.to_scenario()
    assert native.venues["binanceusdm"]["prices"] == {"BTC/USDT": 50_000}
    (account,) = native.venues["binanceusdm"]["accounts"]
    assert account["wallet_balance"] == 10_000
    assert [p["size"] for p in account["positions"]] == [0.5, -2]
    assert native.steps == (
        {"phase": "crash", "factor": 0.5},
        {"prices": {"kraken": {"BTC/USD": 1}}},
    )


@pytest.mark.parametrize(
    "scenario,words",
    [
        ({"steps": [{"phase": "nothing"}]}, "steps[0] moves nothing"),
        ({"steps": [{"factor": 0}]}, "steps[0].factor must be above 0"),
        (
            {"steps": [{"factr": 0.9}]},
            "steps[0].factr is not a field of a step: did you mean factor?",
        ),
        ({"prices": {"kraken": {"BTC/USDT": 1}}}, "prices.kraken.BTC/USDT: the kraken simulator"),
        ({"prices": {"krakn": {}}}, "prices.krakn 'krakn' is not a simulated venue"),
        (
            {"step_second": 5},
            "step_second is not a field of a scenario: did you mean step_seconds?",
        ),
    ],
)
def test_scenario_problems_name_the_field(scenario: dict, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_scenario(scenario, source="s.json")
    assert any(p.startswith(f"s.json: {words}") for p in caught.value.problems), (
        caught.value.problems
    )
