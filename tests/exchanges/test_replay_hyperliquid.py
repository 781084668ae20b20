"""`marginwatch check --replay` for Hyperliquid: body-qualified keys (``"POST /info#type"``).

Recording (tests/fixtures/recordings/): ``hyperliquid-ccxt-example.json`` holds, under
``"POST /info#clearinghouseState"``, the clearinghouseState example ccxt 4.5.90 quotes in
``fetch_positions`` (the sample of test_hyperliquid_parse.py: one isolated ETH long, 0.2259 at
2,213.9, liquidationPx 2,125.00856238). Market loading (``meta``, ``spotMeta``...) is not in
it and comes from the simulator.
"""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
RECORDING = RECORDINGS / "hyperliquid-ccxt-example.json"
STATE_KEY = "POST /info#clearinghouseState"


def replay(capsys, path: Path, *extra: str, venue: str = "hyperliquid") -> tuple[int, str, str]:
    code = main(["check", "--exchange", venue, "--replay", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_liquidation_price_is_the_venues_own(capsys):
    code, out, err = replay(capsys, RECORDING, "--json")
    assert code == 0, err
    health = json.loads(out)
    (position,) = health["positions"]
    assert position["symbol"] == "ETH/USDC:USDC"
    assert position["reported_liquidation_price"] == pytest.approx(2125.00856238)
    # Same tolerance as test_hyperliquid_parse.py: the row's figures have 5-6 digits.
    assert position["liquidation_price"] == pytest.approx(2125.00856238, abs=0.01)
    assert health["equity"] == pytest.approx(100.0)  # crossMarginSummary.accountValue


def test_a_recording_without_the_account_state_names_the_qualified_key(capsys, tmp_path):
    # A public type only: market data falls through, the user's state must be recorded.
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({"POST /info#spotMeta": {"universe": [], "tokens": []}}))
    code, _, err = replay(capsys, path)
    assert code != 0
    assert STATE_KEY in err


def test_a_qualified_key_on_a_path_keyed_venue_is_refused(capsys, tmp_path):
    path = tmp_path / "bybit.json"
    path.write_text(json.dumps({"GET /v5/account/wallet-balance#type": {}}))
    code, _, err = replay(capsys, path, venue="bybit")
    assert code != 0
    assert "GET /v5/account/wallet-balance#type" in err and "path alone" in err


def test_an_empty_kind_after_the_hash_is_refused():
    with pytest.raises(ValueError, match="nothing after '#'"):
        Simulator(limits_speed=LIMITS_SPEED).load_recording("hyperliquid", {"POST /info#": {}})


async def test_qualified_key_wins_and_the_plain_key_answers_the_rest():
    sim = Simulator(limits_speed=LIMITS_SPEED)
    sim.load_recording(
        "hyperliquid", {STATE_KEY: {"from": "qualified"}, "POST /info": {"from": "plain"}}
    )
    async with sim, aiohttp.ClientSession() as session:
        url = sim.base_url("hyperliquid") + "/info"
        async with session.post(url, json={"type": "clearinghouseState", "user": "0x1"}) as r:
            assert await r.json() == {"from": "qualified"}
        async with session.post(url, json={"type": "spotMeta"}) as r:
            assert await r.json() == {"from": "plain"}


async def test_public_kinds_missing_from_a_recording_reach_the_simulators_own_answer():
    sim = Simulator(limits_speed=LIMITS_SPEED)
    sim.load_recording("hyperliquid", {STATE_KEY: {}})
    async with sim, aiohttp.ClientSession() as session:
        url = sim.base_url("hyperliquid") + "/info"
        async with session.post(url, json={"type": "metaAndAssetCtxs"}) as r:
            meta, _ = await r.json()  # the plug-in still read the body the recording looked at
        async with session.post(url, json={"type": "userFills", "user": "0x1"}) as r:
            assert r.status == 404
            assert "POST /info#userFills" in await r.text()
    assert [coin["name"] for coin in meta["universe"]] == ["BTC", "ETH", "SOL"]
    assert sim.missing == ["POST /info#userFills"]
