"""Status, the liquidation-price summary and the chart, read live through the simulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import risk
from bot.core import texts
from bot.core.messages import ActionId
from bot.core.usecases import Core
from bot.core.views import AccountView, status_message
from bot.exchanges import Credentials, ExchangeHub
from bot.sim.server import Simulator
from bot.store import Store
from tests.core.conftest import ALICE, ALICE_KRAKEN, BOB_BYBIT
from tests.support.fixtures import Clock


@pytest.fixture
async def linked(core: Core) -> Core:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    return core


async def test_positions_show_liquidation_price_distance_rank_and_account_moves(
    linked: Core,
) -> None:
    reply = await linked.run(ALICE, "positions", {})
    assert reply.title == texts.POSITIONS_TITLE.format(label="main")
    # 0.5 BTC long at 5x on 10,000 USD: Kraken liquidates at a 40 % margin level.
    assert reply.lines[0] == (
        "#1 BTC/USD long: liquidation 44,800.00, 25.3% below the mark 60,000.00"
    )
    assert reply.lines[1] == texts.POSITIONS_ACCOUNT_MOVE.format(
        call="17.3% fall", liquidation="25.3% fall"
    )
    assert reply.actions[0].id is ActionId.REFRESH_POSITIONS


async def test_a_price_fall_shows_up_on_refresh(linked: Core, sim: Simulator) -> None:
    card = await linked.run(ALICE, "status", {})
    assert card.severity == "ok"
    sim.move_prices(0.80, "kraken")  # past the 17.3 % fall to margin call
    refreshed = await linked.act(ALICE, card.actions[0])
    assert refreshed.severity == "margin_call"
    assert refreshed.lines[0] == texts.STATUS_STATE["margin_call"]
    assert not refreshed.silent


async def test_an_exchange_outage_is_an_error_card_with_a_refresh_button(
    linked: Core, sim: Simulator
) -> None:
    sim.inject_fault("kraken", "maintenance", count=5)
    reply = await linked.run(ALICE, "status", {})
    assert reply.severity == "error"
    assert reply.lines[0].startswith("I could not read main: The exchange is not answering")
    assert [a.id for a in reply.actions] == [ActionId.REFRESH_STATUS]


async def test_a_revoked_key_says_so(linked: Core, sim: Simulator) -> None:
    sim.revoke_key("kraken", ALICE_KRAKEN["api_key"])
    reply = await linked.run(ALICE, "positions", {})
    assert reply.severity == "error"
    assert "rejected the API key" in reply.lines[0]


async def test_status_without_a_name_gives_one_line_per_account(linked: Core) -> None:
    await linked.link(ALICE, "bybit", "futures", BOB_BYBIT)
    reply = await linked.run(ALICE, "status", {})
    assert [f.name for f in reply.fields] == [
        "main — Kraken (spot margin)",
        "futures — Bybit (unified trading account)",
    ]
    assert reply.fields[0].value == "Healthy; Margin level 166.7%; Move to liquidation: 25.3% fall"
    reply = await linked.run(ALICE, "positions", {})
    assert reply.lines == (texts.ACCOUNT_NEEDED.format(labels="main, futures"),)


async def test_the_chart_is_a_png_of_the_recorded_history(
    linked: Core, store: Store, clock: Clock, sim: Simulator
) -> None:
    for _ in range(3):
        clock.now += 3600
        sim.move_prices(0.97, "kraken")
        await linked.run(ALICE, "status", {})
    reply = await linked.run(ALICE, "chart", {"days": "1"})
    assert reply.image is not None
    assert reply.image.data.startswith(b"\x89PNG")
    assert reply.image.filename == "main-health.png"
    reply = await linked.run(ALICE, "chart", {"days": "365"})
    assert reply.lines == ("Days must be a whole number from 1 to 90; not '365'.",)
    clock.now += 30 * 86400
    reply = await linked.run(ALICE, "chart", {"days": "2"})
    assert reply.image is None
    assert reply.lines == (texts.CHART_NO_HISTORY.format(label="main"),)


async def test_status_says_when_the_exchanges_limits_stretch_the_cadence(
    linked: Core, hub: ExchangeHub
) -> None:
    creds = Credentials(api_key=ALICE_KRAKEN["api_key"], secret=ALICE_KRAKEN["secret"])
    read = await hub.read_account("kraken", creds)
    assert read.pace is not None
    read.pace.interval(60.0, urgent=False)  # the monitor's minute fits the key's counter
    card = await linked.run(ALICE, "status", {})
    assert not [line for line in card.lines if line.startswith("Read every")]
    # A read every 5 s asks 3 points of Kraken's per-key counter each: more than it drains.
    granted = read.pace.interval(5.0, urgent=False)
    assert granted > 5.0
    card = await linked.run(ALICE, "status", {})
    (line,) = [line for line in card.lines if line.startswith("Read every")]
    assert re.fullmatch(r"Read every \d+ s: Kraken limits how often it may be asked\.", line)
    assert f"every {round(granted)} s" in line


def test_the_cadence_line_reads_like_a_person_wrote_it() -> None:
    view = AccountView(1, "main", "binanceusdm", "Binance USDⓈ-M futures", None, 240.0, "Binance")
    example = Path(risk.__file__).parent / "examples" / "binance-usdm.json"
    health = risk.assess(risk.parse_snapshot(json.loads(example.read_text())))
    card = status_message(view, health, now=0.0)
    assert "Read every 4 min: Binance limits how often it may be asked." in card.lines


async def test_the_chart_marks_alerts_sent_and_speaks_the_users_time_zone(
    linked: Core, store: Store, clock: Clock, sim: Simulator
) -> None:
    from bot.core.presenter import CorePresenter
    from bot.monitor.policy import AlertEvent
    from bot.store.records import NewMessage

    await linked.run(ALICE, "digest", {"timezone": "Asia/Tokyo", "time": "08:00"})
    sim.move_prices(0.80, "kraken")
    clock.now += 3600
    await linked.run(ALICE, "status", {})

    def user_sub(tx):  # type: ignore[no-untyped-def]
        user = tx.users.find("telegram", ALICE.user_id)
        return next(s for s in tx.subscriptions.for_owner(user.id) if s.destination.is_dm)

    sub = await store.read(user_sub)
    event = AlertEvent(
        sub.id, "main", "kraken", "escalation", "margin_call", "ok", "routine", "k1", clock.now
    )
    payload = CorePresenter().render_alert(event, "positions", owner="")
    digest = {**payload}
    digest.pop("alert")  # a digest (or any notice) is no alert: no marker

    def send(tx):  # type: ignore[no-untyped-def]
        ids = [
            tx.outbox.enqueue(
                NewMessage(key, sub.destination, body, subscription_id=sub.id), now=clock.now
            )
            for key, body in (("k1", payload), ("digest:1", digest))
        ]
        tx.outbox.mark_delivered(ids, now=clock.now + 2)

    await store.run(send)
    reply = await linked.run(ALICE, "chart", {"days": "1"})
    assert reply.image is not None
    assert reply.severity == "margin_call"  # the chart's colour is the account's level now
    assert "1 alert(s) sent. Times in Asia/Tokyo." in reply.lines[-1]
    assert reply.image.description == " ".join(reply.lines)  # alt text: the same figures
