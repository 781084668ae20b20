"""`marginwatch check` and the chat read an account the same way: one view model for both."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.console import render
from bot.cli import main
from bot.core.identity import Caller
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
from bot.sim import Simulator
from bot.sim.accounts import open_accounts, parse_accounts
from bot.store import Store, Vault, generate_key

RECORDINGS = Path(__file__).resolve().parent / "fixtures" / "recordings"
TRADER = Caller(
    platform="console", user_id="7", chat_id="7", is_private_chat=True, display_name="trader"
)

# 13 % from liquidation: inside a 20 % watch distance, far from the venue's own margin call.
USDM = {
    "venue": "binanceusdm",
    "label": "futures",
    "key": "check-usdm-key",
    "secret": "check-usdm-secret",
    "balances": {"USDT": 40_000},
    "positions": [
        {"symbol": "BTC/USDT:USDT", "side": "long", "size": 1.5, "entry": 58_000},
        {"symbol": "ETH/USDT:USDT", "side": "long", "size": 10, "entry": 3_100},
    ],
}
# An isolated 20x long at its entry: about 4.6 % from its own liquidation.
OKX = {
    "venue": "okx",
    "label": "okx",
    "key": "check-okx-key",
    "secret": "check-okx-secret",
    "passphrase": "check-okx-pass",
    "balances": {"USDT": 50_000},
    "positions": [
        {
            "symbol": "BTC/USDT:USDT",
            "side": "long",
            "size": 100,
            "entry": 60_000,
            "leverage": 20,
            "margin_mode": "isolated",
        }
    ],
}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator()
    simulator.serve_all()
    open_accounts(simulator, parse_accounts({"accounts": [USDM, OKX]}))
    async with simulator:
        simulator.set_price("binanceusdm", "BTC/USDT", 45_000)
        simulator.set_price("binanceusdm", "ETH/USDT", 2_250)
        yield simulator


async def chat_status(sim: Simulator, tmp_path: Path, spec: dict, **alerts: str) -> str:
    """The status card the chat shows the trader who linked ``spec``, rendered as text."""
    store = await Store.open(tmp_path / "chat.db", Vault.from_strings([generate_key()]))
    try:
        async with ExchangeHub(base_urls=sim.base_urls) as hub:
            core = Core(store, hub, SUPPORTED_VENUES)
            credentials = {"api_key": spec["key"], "secret": spec["secret"]}
            if "passphrase" in spec:
                credentials["passphrase"] = spec["passphrase"]
            await core.link(TRADER, spec["venue"], spec["label"], credentials=credentials)
            if alerts:
                await core.run(TRADER, "alerts", {"account": spec["label"], **alerts})
            card = await core.run(TRADER, "status", {"account": spec["label"]})
    finally:
        await store.close()
    return render(card)


def run_check(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def check(
    capsys: Any, sim: Simulator, tmp_path: Path, spec: dict, *argv: str
) -> tuple[int, str, str]:
    """``marginwatch check`` on the simulated account ``spec``, its key in a key file."""
    key = tmp_path / f"{spec['venue']}-key.json"
    names = {"key": "api_key", "secret": "secret", "passphrase": "passphrase"}  # the key file's
    key.write_text(json.dumps({names[k]: spec[k] for k in names if k in spec}))
    return await asyncio.to_thread(
        run_check,
        capsys,
        "--exchange",
        spec["venue"],
        "--base-url",
        sim.base_url(spec["venue"]),
        "--key-file",
        str(key),
        *argv,
    )


def card_body(text: str) -> list[str]:
    """The card's badge, headline, levels and figures; not its title, time or buttons."""
    lines = text.split("\n\n", 1)[0].splitlines()
    badge = lines[0].split("]")[0] + "]"
    body = [
        line
        for line in lines[1:]
        if line.strip() and not line.lstrip().startswith(("As of", "buttons:", "#", "Whole"))
    ]
    return [badge, *body]


async def test_check_shows_the_status_card_the_chat_shows_with_the_same_level(
    capsys: Any, sim: Simulator, tmp_path: Path
) -> None:
    chat = await chat_status(sim, tmp_path, USDM, watch="20%")
    code, out, err = await check(capsys, sim, tmp_path, USDM, "--watch", "20%")
    assert code == 0, err
    # Same badge, headline, levels line, figures and units: 80.0%, not 0.8.
    assert card_body(out) == card_body(chat)
    assert card_body(out)[0] == "[WATCH]"
    assert "margin call at 80.0%, liquidation at 100.0%" in out


async def test_without_thresholds_check_judges_as_the_chat_does_for_a_new_user(
    capsys: Any, sim: Simulator, tmp_path: Path
) -> None:
    chat = await chat_status(sim, tmp_path, USDM)
    code, out, err = await check(capsys, sim, tmp_path, USDM)
    assert code == 0, err
    assert card_body(out) == card_body(chat)


async def test_an_isolated_position_near_liquidation_shows_its_own_distance_in_check_and_chat(
    capsys: Any, sim: Simulator, tmp_path: Path
) -> None:
    # It is liquidated on its own margin, whatever the (empty) cross account says: the card
    # must say how close it is, in check exactly as in the chat.
    chat = await chat_status(sim, tmp_path, OKX)
    code, out, err = await check(capsys, sim, tmp_path, OKX)
    assert code == 0, err
    (line,) = [line.strip() for line in out.splitlines() if line.strip().startswith("Isolated")]
    assert line.startswith("Isolated BTC/USDT:USDT long") and "% below the mark" in line
    assert line in chat
    assert card_body(out) == card_body(chat)
    code, out, err = await check(capsys, sim, tmp_path, OKX, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["view"]["pools"] == [line]


def test_check_json_keeps_the_notes_and_the_level(capsys: Any) -> None:
    code, out, err = run_check(
        capsys,
        "--exchange",
        "kraken",
        "--replay",
        str(RECORDINGS / "kraken-trade-balance-example.json"),
        "--json",
    )
    assert code == 0, err
    shown = json.loads(out)
    assert any("DOT.S" in note for note in shown["notes"])
    assert shown["level"] in ("ok", "watch", "margin_call", "critical")
    # The figures as the chat words them, beside the numbers.
    assert shown["view"]["fields"]["Margin level"].endswith("%")
    assert shown["ratio"]["value"] == pytest.approx(54.3257, abs=1e-4)  # Kraken's ml 5432.57 %


def test_a_bad_threshold_is_one_sentence(capsys: Any) -> None:
    code, _, err = run_check(
        capsys,
        "--exchange",
        "kraken",
        "--replay",
        str(RECORDINGS / "kraken-trade-balance-example.json"),
        "--watch",
        "lots",
    )
    assert code == 2 and len(err.splitlines()) == 1 and "--watch" in err
