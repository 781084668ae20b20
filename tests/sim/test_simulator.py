"""The simulator itself: scenarios, price paths, real signature checks, loopback only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse

import aiohttp
import pytest

from bot.exchanges import Credentials, ExchangeHub
from bot.sim import FAULT_KINDS, Scenario, Simulator
from tests.support.limits import LIMITS_SPEED, limits_budget

from .conftest import KRAKEN_SECRET, scenario


def kraken_sign(path: str, body: str, nonce: str, secret: str) -> str:
    digest = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


async def kraken_post(
    sim: Simulator, method: str, nonce: int, secret: str = KRAKEN_SECRET, key: str = "k-1"
) -> dict:
    path = f"/0/private/{method}"
    body = urllib.parse.urlencode({"nonce": str(nonce)})
    headers = {
        "API-Key": key,
        "API-Sign": kraken_sign(path, body, str(nonce), secret),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.base_url("kraken") + path, data=body, headers=headers) as response,
    ):
        return json.loads(await response.text())


async def test_kraken_checks_api_sign_and_strictly_increasing_nonces():
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim:
        assert (await kraken_post(sim, "TradeBalance", 100))["error"] == []
        assert (await kraken_post(sim, "TradeBalance", 100))["error"] == ["EAPI:Invalid nonce"]
        assert (await kraken_post(sim, "TradeBalance", 99))["error"] == ["EAPI:Invalid nonce"]
        assert (await kraken_post(sim, "TradeBalance", 101))["error"] == []
        wrong = base64.b64encode(b"other").decode()
        assert (await kraken_post(sim, "TradeBalance", 102, wrong))["error"] == ["EAPI:Invalid key"]
        assert (await kraken_post(sim, "TradeBalance", 103, key="nobody"))["error"] == [
            "EAPI:Invalid key"
        ]


async def binance_get(sim: Simulator, path: str, secret: str, timestamp: int) -> tuple[int, dict]:
    query = urllib.parse.urlencode({"timestamp": timestamp, "recvWindow": 5000})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    url = f"{sim.base_url('binanceusdm')}{path}?{query}&signature={signature}"
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={"X-MBX-APIKEY": "b-1"}) as response,
    ):
        return response.status, json.loads(await response.text())


async def test_binance_checks_hmac_signature_and_timestamp_window():
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim:
        now = int(time.time() * 1000)
        status, body = await binance_get(sim, "/fapi/v3/account", "b-secret", now)
        assert status == 200 and "totalMaintMargin" in body
        status, body = await binance_get(sim, "/fapi/v3/account", "wrong", now)
        assert (status, body["code"]) == (400, -1022)
        status, body = await binance_get(sim, "/fapi/v3/account", "b-secret", now - 60_000)
        assert (status, body["code"]) == (400, -1021)


async def test_scenario_steps_move_prices_in_order(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario()))
    sim = Simulator(Scenario.from_file(path), limits_speed=LIMITS_SPEED)
    kraken, usdm = sim.venue("kraken"), sim.venue("binanceusdm")
    start_btc, start_usdm = kraken.prices["BTC/USD"], usdm.prices["BTC/USDT"]
    sim.step()  # everything x 0.5
    assert kraken.prices["BTC/USD"] == pytest.approx(start_btc * 0.5)
    assert usdm.prices["BTC/USDT"] == pytest.approx(start_usdm * 0.5)
    sim.step()  # kraken only x 2
    assert kraken.prices["BTC/USD"] == pytest.approx(start_btc)
    assert usdm.prices["BTC/USDT"] == pytest.approx(start_usdm * 0.5)
    sim.step()  # past the end: nothing moves
    assert sim.steps_taken == 2


async def test_positions_follow_set_price_through_ccxt():
    async with (
        Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim,
        ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub,
    ):
        sim.set_price("kraken", "BTC/USD", 30000.0)
        read = await hub.read_account("kraken", Credentials("k-1", KRAKEN_SECRET))
    assert read.snapshot.positions[0].mark_price == pytest.approx(30000.0)


async def test_every_request_comes_from_and_goes_to_loopback():
    async with (
        Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim,
        ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub,
    ):
        assert sim.base_url("kraken").startswith("http://127.0.0.1:")
        await hub.read_account("kraken", Credentials("k-1", KRAKEN_SECRET))
    assert sim.requests and {r.remote for r in sim.requests} == {"127.0.0.1"}


def test_bad_scenarios_and_calls_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="no venue 'mtgox'"):
        Simulator({"venues": {"mtgox": {"accounts": []}}}, limits_speed=LIMITS_SPEED)
    with pytest.raises(ValueError, match="has no api_key"):
        Simulator(
            {"venues": {"kraken": {"accounts": [{"secret": "x"}]}}}, limits_speed=LIMITS_SPEED
        )
    sim = Simulator(scenario(), limits_speed=LIMITS_SPEED)
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject_fault("kraken", "meteor")
    with pytest.raises(ValueError, match="must be positive"):
        sim.set_price("kraken", "BTC/USD", 0)
    with pytest.raises(ValueError, match="METHOD /path"):
        sim.load_recording("kraken", {"/0/private/Balance": {}})
    assert set(FAULT_KINDS) >= {
        "rate_limit",
        "timeout",
        "server_error",
        "maintenance",
        "revoked_key",
        "malformed_json",
    }


async def test_added_accounts_are_served_and_latency_is_applied():
    async with (
        Simulator(latency=0.05, limits_speed=LIMITS_SPEED) as sim,
        ExchangeHub(base_urls=sim.base_urls, budget=limits_budget()) as hub,
    ):
        sim.add_account("binanceusdm", api_key="late", secret="late-secret", wallet_balance=42.0)
        started = time.monotonic()
        read = await hub.read_account("binanceusdm", Credentials("late", "late-secret"))
        elapsed = time.monotonic() - started
    assert read.snapshot.wallet_balance == pytest.approx(42.0)
    assert elapsed >= 0.05 * 3  # markets, brackets, account, positions: each delayed
