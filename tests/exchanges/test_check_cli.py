"""`marginwatch check`: replays of published examples, live reads from the simulator, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.sim import Simulator
from tests.support.limits import LIMITS_SPEED

from .conftest import USDM, scenario

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"


def run_check(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_binance_faq_example_replays_to_the_published_liquidation_price(capsys):
    code, out, err = run_check(
        capsys,
        "--exchange",
        "binanceusdm",
        "--replay",
        str(RECORDINGS / "binanceusdm-faq-example.json"),
        "--json",
    )
    assert code == 0, err
    health = json.loads(out)
    eth = next(p for p in health["positions"] if p["symbol"] == "ETH/USDT:USDT")
    assert eth["liquidation_price"] == pytest.approx(1153.26, abs=0.01)  # published
    assert eth["reported_liquidation_price"] == pytest.approx(1153.26, abs=0.01)
    # The worked example of docs/risk-contract.md.
    assert health["ratio"]["value"] == pytest.approx(0.4149, abs=5e-5)


def test_kraken_example_replays_to_the_published_margin_call_price(capsys):
    code, out, err = run_check(
        capsys,
        "--exchange",
        "kraken",
        "--replay",
        str(RECORDINGS / "kraken-margin-call-example.json"),
        "--json",
    )
    assert code == 0, err
    health = json.loads(out)
    (btc,) = health["positions"]
    # Kraken support 203325763: margin call at BTC 13,200 (equity 3,200 = 80 % of 4,000).
    assert btc["margin_call_price"] == pytest.approx(13200, abs=0.01)
    assert 20000 * (1 + health["move_to_margin_call"]) == pytest.approx(13200, abs=0.01)


def test_kraken_trade_balance_example_gives_krakens_margin_level(capsys):
    code, out, err = run_check(
        capsys,
        "--exchange",
        "kraken",
        "--replay",
        str(RECORDINGS / "kraken-trade-balance-example.json"),
    )
    assert code == 0, err
    # ml 5432.57 % in Kraken's docs, shown as the chat shows Kraken's margin level.
    assert re.search(r"^  Margin level +5,433%$", out, re.M), out
    assert "DOT.S" in out


def test_binance_margin_docs_example_gives_its_margin_level(capsys):
    code, out, err = run_check(
        capsys,
        "--exchange",
        "binance",
        "--replay",
        str(RECORDINGS / "binance-margin-docs-example.json"),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["ratio"]["value"] == pytest.approx(11.64405625, abs=1e-6)


def test_missing_private_endpoint_is_named(capsys, tmp_path):
    recording = tmp_path / "partial.json"
    recording.write_text(
        json.dumps(
            {
                "POST /0/private/TradeBalance": {
                    "error": [],
                    "result": {"tb": "1", "e": "1", "m": "0", "n": "0"},
                }
            }
        )
    )
    code, out, err = run_check(capsys, "--exchange", "kraken", "--replay", str(recording))
    assert code == 2 and out == ""
    assert "'POST /0/private/OpenPositions'" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not JSON"),
        ("[]", "must be a JSON object"),
        ('{"GET /x?a=1": {}}', "is not 'METHOD /path'"),
    ],
)
def test_bad_recording_is_one_line_and_exit_2(capsys, tmp_path, content, expected):
    recording = tmp_path / "bad.json"
    recording.write_text(content)
    code, _, err = run_check(capsys, "--exchange", "kraken", "--replay", str(recording))
    assert code == 2 and expected in err and len(err.splitlines()) == 1


def test_unknown_exchange_and_missing_keys_are_usage_errors(capsys, monkeypatch):
    for name in ("API_KEY", "SECRET", "PASSPHRASE", "WALLET_ADDRESS"):
        monkeypatch.delenv(f"MARGINWATCH_CHECK_{name}", raising=False)
    code, _, err = run_check(capsys, "--exchange", "mtgox")
    assert code == 2 and "unknown exchange 'mtgox'" in err
    code, _, err = run_check(capsys, "--exchange", "kraken")
    assert code == 2 and "needs api_key and secret" in err


async def _live_check(capsys, argv: list[str]) -> tuple[int, str, str]:
    import asyncio

    return await asyncio.to_thread(run_check, capsys, *argv)


async def test_live_check_reads_the_key_from_a_file(capsys, tmp_path):
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps({"api_key": USDM.api_key, "secret": USDM.secret}))
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim:
        code, out, err = await _live_check(
            capsys,
            [
                "--exchange",
                "binanceusdm",
                "--base-url",
                sim.base_url("binanceusdm"),
                "--key-file",
                str(key_file),
            ],
        )
    assert code == 0, err
    assert "ETH/USDT:USDT" in out and USDM.secret not in out + err


async def test_live_check_reads_the_key_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("MARGINWATCH_CHECK_API_KEY", USDM.api_key)
    monkeypatch.setenv("MARGINWATCH_CHECK_SECRET", "wrong-secret")
    async with Simulator(scenario(), limits_speed=LIMITS_SPEED) as sim:
        code, _out, err = await _live_check(
            capsys, ["--exchange", "binanceusdm", "--base-url", sim.base_url("binanceusdm")]
        )
    assert code == 1 and "auth_failed" in err and "wrong-secret" not in err


def test_check_shows_an_isolated_positions_own_distance(capsys) -> None:
    # ccxt's Hyperliquid example: the account's only position is isolated, 4 % from its own
    # liquidation price; the (empty) cross pool alone would read OK with nothing else said.
    from pathlib import Path

    from bot.cli import main

    recording = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
    code = main(
        [
            "check",
            "--exchange",
            "hyperliquid",
            "--replay",
            str(recording / "hyperliquid-ccxt-example.json"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    # The status card's own pool line (one view model with the chat: bot/core/views.py).
    (row,) = [line for line in out.splitlines() if line.startswith("  Isolated ")]
    assert row.startswith("  Isolated ETH/USDC:USDC long: liquidation 2,125.01, 4.02% below")
    assert "its own maintenance ratio" in row
    assert any(
        line.endswith("isolated: on its own margin") and "ETH/USDC:USDC" in line
        for line in out.splitlines()
    )


def test_check_lists_every_coin_pool_and_its_positions() -> None:
    import time

    import risk
    from bot.check import _view, render_text
    from bot.exchanges.types import AccountRead
    from bot.monitor.policy import Thresholds

    def pool(coin: str, wallet: float, size: float) -> risk.AccountSnapshot:
        return risk.AccountSnapshot(
            venue="binancecoinm",
            settle=coin,
            wallet_balance=wallet,
            positions=(
                risk.Position(
                    symbol=f"{coin}/USD:{coin}",
                    kind="inverse",
                    size=size,
                    contract_size=100,
                    entry_price=50_000.0,
                    mark_price=50_000.0,
                    maintenance_rate=0.01,
                ),
            ),
        )

    btc, eth = pool("BTC", 0.02, 100), pool("ETH", 1.0, 10)
    read = AccountRead(snapshot=btc, pools=(btc, eth))
    none = Thresholds()
    out = render_text(_view("binancecoinm", read, read.health(), none), none, now=time.time())
    lines = out.splitlines()
    assert lines[0].endswith("binancecoinm — Binance COIN-M futures")
    (row,) = [line for line in lines if line.startswith("  ETH pool: ")]
    assert "Margin ratio" in row and "equity 1.00 ETH" in row
    positions = [line.split()[1] for line in lines if line.lstrip().startswith("#")]
    assert positions == ["BTC/USD:BTC", "ETH/USD:ETH"]
