"""Exchange faults injected through the simulator, through the whole product: each ends in the
right account state, the owner is told once, nothing crashes and no wrong figure is shown."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from bot.exchanges.texts import READ_FAILED
from bot.store import Account

from .rig import KRAKEN_KEY, OWNER, USDM_KEY, Rig, product

POSITION_RISK = "GET /fapi/v3/positionRisk"
FAPI_ACCOUNT = "GET /fapi/v3/account"

# Fault kind -> the account state it must end in, and what a lasting one is told as.
# venue -> (its simulator key, the label it is linked under, figures its healthy card shows)
VENUES = {
    "binanceusdm": (USDM_KEY, "futures", ("1,535,443", "Margin ratio")),
    "kraken": (KRAKEN_KEY, "spot", ("10,000", "Margin level")),
}
TRANSIENT = {
    "timeout": ("exchange_down", "is not answering"),
    "server_error": ("exchange_down", "is not answering"),
    "maintenance": ("exchange_down", "is not answering"),
    "rate_limit": ("rate_limited", "data stale"),
    "malformed_json": ("bad_response", "data stale"),
}


async def linked(rig: Rig, venue: str = "binanceusdm", label: str = "futures") -> Account:
    account = await rig.link(venue, label)
    await rig.monitor.run_until_idle()
    assert rig.inbox.sent == []  # a healthy account says nothing
    return account


async def assert_no_figures_shown(rig: Rig, label: str, venue: str = "binanceusdm") -> None:
    """/status while the exchange misbehaves: an error sentence, never a number as current."""
    card = await rig.core.run(OWNER, "status", {"account": label})
    assert card.severity == "error", card.text
    assert texts.ERROR_INTERNAL not in card.lines  # the read failed; nothing in us broke
    assert card.lines[0].startswith(f"I could not read {label}:"), card.text
    assert not card.fields
    for figure in VENUES[venue][2]:
        assert figure not in card.text, card.text


@pytest.mark.parametrize("venue", sorted(VENUES))
@pytest.mark.parametrize("kind", sorted(TRANSIENT))
async def test_one_failed_read_is_recorded_but_not_alerted_and_the_next_read_recovers(
    tmp_path: Path, kind: str, venue: str
) -> None:
    state, _ = TRANSIENT[kind]
    async with product(tmp_path) as rig:
        account = await linked(rig, venue, VENUES[venue][1])
        points = await rig.history(account.id)
        # The hub's own back-off runs on real time: keep a Retry-After short here (see below).
        rig.sim.inject_fault(venue, kind, retry_after=0.2 if kind == "rate_limit" else None)
        await rig.poll()

        failed = await rig.account(account.id)
        assert failed.status == "active"
        assert failed.consecutive_failures == 1
        assert failed.last_error == READ_FAILED[state]
        assert await rig.history(account.id) == points  # nothing recorded from a failed read
        assert rig.inbox.sent == []  # one hiccup is not worth waking anybody
        await asyncio.sleep(0.25)
        await rig.poll(120.0)
        healed = await rig.account(account.id)
        assert healed.consecutive_failures == 0 and healed.last_error is None
        assert await rig.history(account.id) == points + 1
        assert rig.inbox.sent == []  # nothing was told, so there is no "reading again" either


async def test_a_long_retry_after_is_honoured_before_any_new_request(tmp_path: Path) -> None:
    async with product(tmp_path) as rig:
        account = await linked(rig)
        rig.sim.inject_fault("binanceusdm", "rate_limit", retry_after=900.0)
        await rig.poll()
        limited = await rig.account(account.id)
        assert limited.last_error == READ_FAILED["rate_limited"]
        assert limited.next_poll_at >= rig.clock.now() + 900.0
        requests = len(rig.sim.requests)
        for _ in range(4):  # 14 minutes: the venue asked for 15
            await rig.poll(210.0)
        assert len(rig.sim.requests) == requests
        assert (await rig.account(account.id)).consecutive_failures == 1
        assert rig.inbox.sent == []


@pytest.mark.parametrize("kind", sorted(TRANSIENT))
async def test_a_lasting_fault_is_told_once_and_its_end_once(tmp_path: Path, kind: str) -> None:
    _, told = TRANSIENT[kind]
    async with product(tmp_path) as rig:
        account = await linked(rig)
        points = await rig.history(account.id)
        # Retry-After 0: the hub's own back-off runs on real time, the monitor's on the test clock.
        rig.sim.inject_fault("binanceusdm", kind, count=1000, retry_after=0.0)
        for _ in range(8):  # eight failed polls, backing off up to ten minutes apart
            await rig.poll(601.0)
        await assert_no_figures_shown(rig, "futures")
        assert (await rig.account(account.id)).consecutive_failures >= 8
        assert await rig.history(account.id) == points
        assert len(rig.inbox.titles) == 1 and told in rig.inbox.titles[0], rig.inbox.titles

        rig.sim.clear_faults()
        await rig.poll(601.0)
        await rig.poll(601.0)
        assert rig.inbox.titles[1:] == ["futures: reading again"]
        assert (await rig.account(account.id)).status == "active"


@pytest.mark.parametrize("venue", sorted(VENUES))
@pytest.mark.parametrize("how", ["revoke_key", "revoked_key", "auth", "permission"])
async def test_a_key_refused_mid_life_stops_polling_and_is_told_once(
    tmp_path: Path, how: str, venue: str
) -> None:
    key, label, _ = VENUES[venue]
    async with product(tmp_path) as rig:
        account = await linked(rig, venue, label)
        if how == "revoke_key":
            rig.sim.revoke_key(venue, key)
        else:
            rig.sim.inject_fault(venue, how, count=1000)
        await rig.poll()
        refused = await rig.account(account.id)
        assert refused.status == "key_invalid"
        assert rig.inbox.titles == [f"{label}: key invalid or revoked"]
        [(destination, alert)] = rig.inbox.sent
        assert destination.is_dm and alert.severity == "error"

        requests = len(rig.sim.requests)
        for _ in range(5):
            await rig.poll(601.0)
        assert len(rig.sim.requests) == requests  # no more reads with a refused key
        assert rig.inbox.titles == [f"{label}: key invalid or revoked"]


def _rows(change: Any) -> Any:
    def rewrite(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            change(row)
        return rows

    return rewrite


def _kraken(change: Any) -> Any:
    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "result": change(body["result"])}

    return rewrite


KRAKEN_BAD_BODIES: dict[str, tuple[str, Any]] = {
    "positions emptied while margin is used": (
        "POST /0/private/OpenPositions",
        _kraken(lambda result: {}),
    ),
    "equity NaN": ("POST /0/private/TradeBalance", _kraken(lambda r: {**r, "e": "NaN"})),
    "trade balance not an object": ("POST /0/private/TradeBalance", _kraken(lambda r: [r])),
    "result missing": ("POST /0/private/OpenPositions", lambda body: {"error": []}),
}
BAD_BODIES: dict[str, tuple[str, Any]] = {
    "mark price NaN": (POSITION_RISK, _rows(lambda r: r.update(markPrice="NaN"))),
    "mark price missing": (POSITION_RISK, _rows(lambda r: r.pop("markPrice"))),
    "position size missing": (POSITION_RISK, _rows(lambda r: r.pop("positionAmt"))),
    "mark price negative": (POSITION_RISK, _rows(lambda r: r.update(markPrice="-5"))),
    "mark price infinite": (POSITION_RISK, _rows(lambda r: r.update(markPrice="Infinity"))),
    "mark price 1e308 (overflows)": (POSITION_RISK, _rows(lambda r: r.update(markPrice="1e308"))),
    "margin balance missing": (
        FAPI_ACCOUNT,
        lambda body: {k: v for k, v in body.items() if k != "totalMarginBalance"},
    ),
    "wallet balance NaN": (
        FAPI_ACCOUNT,
        lambda body: {**body, "totalWalletBalance": "NaN", "totalMarginBalance": "NaN"},
    ),
    "account not an object": (FAPI_ACCOUNT, lambda body: [body]),
    "positions not a list": (POSITION_RISK, lambda rows: {"rows": rows}),
}


NONSENSE = [("binanceusdm", case) for case in sorted(BAD_BODIES)] + [
    ("kraken", case) for case in sorted(KRAKEN_BAD_BODIES)
]


@pytest.mark.parametrize(("venue", "case"), NONSENSE)
async def test_a_nonsense_answer_is_never_shown_as_figures(
    tmp_path: Path, venue: str, case: str
) -> None:
    key, change = (BAD_BODIES if venue == "binanceusdm" else KRAKEN_BAD_BODIES)[case]
    label = VENUES[venue][1]
    async with product(tmp_path) as rig:
        account = await linked(rig, venue, label)
        points = await rig.history(account.id)
        rig.sim.rewrite(venue, key, change)
        await assert_no_figures_shown(rig, label, venue)
        for _ in range(4):
            await rig.poll(601.0)
        broken = await rig.account(account.id)
        assert broken.status == "active" and broken.consecutive_failures >= 4
        assert broken.last_error is not None
        assert await rig.history(account.id) == points
        assert rig.inbox.titles == [f"{label}: data stale"]

        rig.sim.rewrite(venue, key, None)
        await rig.poll(601.0)
        assert rig.inbox.titles == [f"{label}: data stale", f"{label}: reading again"]
        assert await rig.history(account.id) == points + 1


@pytest.mark.parametrize("reported", ["0", "", "0.00000000"])
async def test_a_zero_or_empty_liquidation_price_is_no_price_not_a_price_of_zero(
    tmp_path: Path, reported: str
) -> None:
    async with product(tmp_path) as rig:
        await linked(rig)
        rig.sim.rewrite(
            "binanceusdm", POSITION_RISK, _rows(lambda r: r.update(liquidationPrice=reported))
        )
        card = await rig.core.run(OWNER, "positions", {"account": "futures"})
        assert card.severity != "error", card.text
        # Our own cross-margin figure is shown; the venue's empty one is not turned into 0.
        text = card.text
        assert "liquidation" in text.lower()
        for line in text.splitlines():
            if "liquidat" in line.lower():
                assert not any(token in line for token in (" 0 ", " 0.00", "$0", " 0\n")), line
        await rig.poll()
        assert rig.inbox.sent == []


async def test_a_vanished_position_is_told_once(tmp_path: Path) -> None:
    async with product(tmp_path) as rig:
        account = await linked(rig)
        positions = rig.sim.venue("binanceusdm").accounts[USDM_KEY].state["positions"]
        del positions[1]  # BTC closed (or liquidated) between two polls
        await rig.poll()
        assert rig.inbox.titles == ["futures: BTC/USDT:USDT is gone"]
        for _ in range(3):
            await rig.poll()
        assert rig.inbox.titles == ["futures: BTC/USDT:USDT is gone"]
        last = (await rig.store.health_series(account.id))[-1]
        assert last.state == "ok" and last.equity is not None and math.isfinite(last.equity)


async def test_every_position_vanishing_leaves_an_account_with_no_risk(tmp_path: Path) -> None:
    async with product(tmp_path) as rig:
        await linked(rig)
        rig.sim.venue("binanceusdm").accounts[USDM_KEY].state["positions"] = []
        await rig.poll()
        # Both in one message to the one chat (coalesced), each named once.
        [(_, told)] = rig.inbox.sent
        body = "\n".join(told.lines)
        assert body.count("BTC/USDT:USDT is gone") == 1, told.text
        assert body.count("ETH/USDT:USDT is gone") == 1, told.text
        await rig.poll()
        assert len(rig.inbox.sent) == 1
        card = await rig.core.run(OWNER, "status", {"account": "futures"})
        assert card.severity != "error", card.text
