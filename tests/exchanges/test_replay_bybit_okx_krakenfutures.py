"""`marginwatch check --replay` for Bybit, OKX and Kraken Futures recordings.

Recordings (tests/fixtures/recordings/):

- ``bybit-inverse-docs-example.json``: Bybit v5 "Get Position Info" inverse example (short 300
  BTCUSD at 27,464.50441675, mark 28,224.50, positionValue 0.01092319 BTC, unrealisedPnl
  −0.00029413 BTC). The example's own positionIM/positionMM are inconsistent with its 10×
  leverage (margin-math §4.2), so they are replaced by the tier rate 0.5 % on the entry value
  plus the closing fee at the bankruptcy price; a one-coin (0.01 BTC) unified wallet whose
  totals follow from those figures.
- ``bybit-ccxt-recording.json``: ccxt's recorded wallet-balance and LTCUSDT position list.
- ``okx-ccxt-recording.json``: ccxt's recorded account/config, balance and position; acctLv is
  set to 3 (recorded: 1, simple mode) because the recorded balance is a multi-currency one.
- ``krakenfutures-docs-example.json``: Kraken's "Get wallets" flex example and the open
  positions example quoted by ccxt (one PI_XRPUSD inverse position).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"


def replay(capsys, venue: str, name: str, *extra: str) -> tuple[int, str, str]:
    code = main(["check", "--exchange", venue, "--replay", str(RECORDINGS / name), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_bybit_inverse_example_gives_the_published_pnl_and_value(capsys):
    code, out, err = replay(capsys, "bybit", "bybit-inverse-docs-example.json", "--json")
    assert code == 0, err
    health = json.loads(out)
    (position,) = health["positions"]
    mark = 28224.50
    # Bybit's published unrealisedPnl, in BTC: the dollar leg's P&L valued back at mark.
    assert position["unrealized_pnl"] / mark == pytest.approx(-0.00029413, abs=5e-9)
    # Published positionValue 0.01092319 BTC (at entry), worth this many dollars at mark.
    assert position["notional"] == pytest.approx(0.01092319 * mark, rel=1e-6)
    # Account MM rate: Bybit's 4 printed decimals.
    assert health["ratio"]["value"] == pytest.approx(
        health["reported"]["account_mm_rate"], abs=5e-5
    )
    assert position["reported_liquidation_price"] is None  # liqPrice "" is unknown, not 0


def test_bybit_ccxt_recording_replays_with_one_position(capsys):
    # The recording answers every position-list request (USDC, USDT and inverse) with the
    # same LTCUSDT body; it is still one position.
    code, out, err = replay(capsys, "bybit", "bybit-ccxt-recording.json", "--json")
    assert code == 0, err
    health = json.loads(out)
    assert [p["symbol"] for p in health["positions"]] == ["LTCUSDT"]
    assert health["reported"]["total_maintenance_margin"] == pytest.approx(7.38826721)
    assert abs(health["ratio"]["value"] - health["reported"]["account_mm_rate"]) < 1e-4


def test_okx_ccxt_recording_replays_to_its_adjusted_equity(capsys):
    code, out, err = replay(capsys, "okx", "okx-ccxt-recording.json")
    assert code == 0, err
    # adjEq 152,550.81: 0.015 % (see parsing tests)
    assert re.search(r"^  Equity +152,573\.35 USD$", out, re.M), out
    # OKX's own mgnRatio 15986.6322, shown as the chat shows OKX's ratio.
    assert re.search(r"^  Exchange's own figure +1,598,663%$", out, re.M), out
    assert "belongs to no position" in out


def test_kraken_futures_example_replays_to_its_margin_equity(capsys):
    code, out, err = replay(capsys, "krakenfutures", "krakenfutures-docs-example.json", "--json")
    assert code == 0, err
    health = json.loads(out)
    assert health["equity"] == pytest.approx(34122.66, abs=1e-6)  # marginEquity
    assert health["positions"] == []  # PI_XRPUSD has its own margin account


def test_a_recording_without_the_wallet_names_the_missing_endpoint(capsys, tmp_path):
    recording = json.loads((RECORDINGS / "bybit-ccxt-recording.json").read_text())
    del recording["GET /v5/account/wallet-balance"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(recording))
    code, _, err = replay(capsys, "bybit", str(path))
    assert code != 0
    assert "GET /v5/account/wallet-balance" in err
