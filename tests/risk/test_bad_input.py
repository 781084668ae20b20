"""Bad snapshots are refused with one line naming the field; the CLI exits 2, no traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import risk
from risk.__main__ import main

GOOD: dict[str, Any] = {
    "venue": "binanceusdm",
    "settle": "USDT",
    "wallet_balance": 1000,
    "positions": [
        {
            "symbol": "BTC/USDT:USDT",
            "kind": "linear",
            "size": 0.1,
            "entry_price": 50_000,
            "mark_price": 50_000,
            "maintenance_rate": 0.004,
        }
    ],
}


def with_position(**changes: Any) -> dict[str, Any]:
    position = {**GOOD["positions"][0], **changes}
    return {**GOOD, "positions": [{k: v for k, v in position.items() if v is not ...}]}


@pytest.mark.parametrize(
    "book,path,words",
    [
        ({**GOOD, "venue": "ftx"}, "venue", "unknown venue 'ftx'"),
        ({k: v for k, v in GOOD.items() if k != "wallet_balance"}, "wallet_balance", "missing"),
        ({**GOOD, "wallet_balance": -5}, "wallet_balance", "must not be negative"),
        ({**GOOD, "wallet_balance": float("nan")}, "wallet_balance", "NaN"),
        ({**GOOD, "wallet_balance": "1000"}, "wallet_balance", "must be a number"),
        (with_position(kind="perpetual"), "positions[0].kind", "unknown kind 'perpetual'"),
        (with_position(mark_price=-1), "positions[0].mark_price", "greater than 0"),
        (with_position(mark_price=float("inf")), "positions[0].mark_price", "infinite"),
        (with_position(entry_price=...), "positions[0].entry_price", "missing"),
        (with_position(maintenance_rate=...), "positions[0].maintenance_rate", "missing"),
        (with_position(maintenance_rate=4), "positions[0].maintenance_rate", "fraction below 1"),
        (with_position(size=0), "positions[0].size", "is 0"),
        (with_position(margin_mode="isolated"), "positions[0].isolated_margin", "missing"),
        ({**GOOD, "positions": "BTC"}, "positions", "must be a list"),
        ({**GOOD, "positions": [7]}, "positions[0]", "must be an object"),
        ({**GOOD, "thresholds": {"margin_call": 0}}, "thresholds.margin_call", "greater than 0"),
    ],
)
def test_a_bad_field_is_named_with_its_problem(book: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(risk.SnapshotError) as caught:
        risk.parse_snapshot(book)
    assert caught.value.path == path
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def run_cli(text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(["assess", "-"], stdin=io.StringIO(text))
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "text,words",
    [
        ("{not json", "not JSON"),
        (
            '{"venue": "binanceusdm", "settle": "USDT", "wallet_balance": NaN}',
            "wallet_balance: is NaN",
        ),
        ("[]", "snapshot: must be an object"),
    ],
)
def test_the_cli_exits_2_with_one_line(text: str, words: str) -> None:
    code, out, err = run_cli(text)
    assert code == 2 and out == ""
    assert words in err and err.count("\n") == 1


def test_the_cli_prints_health_json_and_a_table() -> None:
    code, out, _ = run_cli(json.dumps(GOOD))
    assert code == 0 and json.loads(out)["state"] == "ok"
    proc = subprocess.run(
        [sys.executable, "-m", "risk", "assess", "-", "--text"],
        input=json.dumps(GOOD),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "margin_ratio" in proc.stdout and "BTC/USDT:USDT" in proc.stdout


def test_a_missing_file_is_one_line_not_a_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "risk", "assess", "/nonexistent/x.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cannot read" in proc.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


TOP_KEYS = [*GOOD, "assets", "liabilities", "thresholds", "reported"]


@given(st.dictionaries(st.sampled_from(TOP_KEYS), json_values))
def test_any_json_object_is_either_a_snapshot_or_one_snapshot_error(raw: dict[str, Any]) -> None:
    try:
        snapshot = risk.parse_snapshot({**GOOD, **raw})
    except risk.SnapshotError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        risk.assess(snapshot)
