"""Thresholds, snooze, digest and sharing: validated, and a wrong value changes nothing."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.messages import ActionId
from bot.core.refs import fill
from bot.core.usecases import Core
from bot.store import Store, Subscription
from tests.core.conftest import ALICE, ALICE_KRAKEN
from tests.support.fixtures import Clock


async def _dm_sub(store: Store) -> Subscription:
    def read(tx):
        user = tx.users.find("telegram", ALICE.user_id)
        return next(s for s in tx.subscriptions.for_owner(user.id) if s.destination.is_dm)

    return await store.read(read)


@pytest.fixture
async def linked(core: Core) -> Core:
    await core.link(ALICE, "kraken", "main", ALICE_KRAKEN)
    return core


async def test_setting_thresholds_saves_them_as_fractions(linked: Core, store: Store) -> None:
    reply = await linked.run(ALICE, "alerts", {"watch": "20%", "critical": "4", "level": "120%"})
    assert reply.lines[0] == texts.ALERTS_SAVED
    thresholds = (await _dm_sub(store)).thresholds
    assert thresholds.watch_move == pytest.approx(0.20)
    assert thresholds.critical_move == pytest.approx(0.04)
    assert thresholds.watch_ratio == pytest.approx(1.20)  # Kraken shows margin level in %
    shown = await linked.run(ALICE, "alerts", {})
    assert "at Margin level 120.0%" in shown.text
    assert "when a 20.0% move would liquidate" in shown.text
    assert "when a 4.00% move would liquidate" in shown.text


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"watch": "lots"}, "Watch must be a percentage between 1.00% and 90.0%"),
        ({"watch": "95%"}, "Watch must be a percentage between 1.00% and 90.0%"),
        ({"critical": "0"}, "Critical must be a percentage between 0.50% and 50.0%"),
        ({"watch": "5%", "critical": "10%"}, "Critical (10.0%) must be closer"),
        ({"level": "abc"}, "The level must be a number as Kraken (spot margin) shows its Margin"),
        # Below Kraken's 40 % liquidation level a watch level could never fire first.
        ({"level": "30%"}, "must lie between liquidation (40.0%)"),
    ],
)
async def test_a_wrong_threshold_gets_a_specific_sentence_and_changes_nothing(
    linked: Core, store: Store, arguments: dict[str, str], expected: str
) -> None:
    before = await _dm_sub(store)
    reply = await linked.run(ALICE, "alerts", arguments)
    assert reply.severity == "error"
    assert expected in reply.lines[0]
    assert await _dm_sub(store) == before


async def test_snooze_and_unsnooze(linked: Core, store: Store, clock: Clock) -> None:
    reply = await linked.run(ALICE, "snooze", {"duration": "4h"})
    assert "Critical alerts still come" in reply.title
    assert (await _dm_sub(store)).snoozed_until == clock.now + 4 * 3600
    assert [a.id for a in reply.actions] == [ActionId.UNSNOOZE]
    # A status card while snoozed offers Unsnooze instead of Snooze.
    card = await linked.run(ALICE, "status", {})
    assert ActionId.UNSNOOZE in [a.id for a in card.actions]
    assert ActionId.SNOOZE not in [a.id for a in card.actions]
    reply = await linked.act(ALICE, card.actions[-1])
    assert reply.title == texts.UNSNOOZE_DONE.format(label="main")
    assert (await _dm_sub(store)).snoozed_until is None
    reply = await linked.run(ALICE, "unsnooze", {})
    assert reply.title == texts.UNSNOOZE_NOT_SNOOZED.format(label="main")


@pytest.mark.parametrize("duration", ["forever", "1m", "8d", "-2h"])
async def test_a_bad_snooze_is_refused(linked: Core, store: Store, duration: str) -> None:
    reply = await linked.run(ALICE, "snooze", {"duration": duration})
    assert reply.lines == (texts.SNOOZE_BAD.format(value=duration),)
    assert (await _dm_sub(store)).snoozed_until is None


async def test_snooze_from_an_alert_button(linked: Core, store: Store, clock: Clock) -> None:
    sub = await _dm_sub(store)
    reply = await linked.act(ALICE, f"mw:sn:s{sub.id}:1h")
    assert reply.title.startswith("Reminders for main snoozed")
    assert (await _dm_sub(store)).snoozed_until == clock.now + 3600


async def test_digest_settings(linked: Core, store: Store) -> None:
    reply = await linked.run(ALICE, "digest", {})
    assert reply.lines == (fill(texts.DIGEST_OFF, label="main"),)
    # the example is a command each chat spells its own way; here, as Telegram takes it
    assert reply.lines[0] == "No digest. Set one with /digest main daily 08:00 Europe/Berlin."
    reply = await linked.run_text(ALICE, "digest", "main weekly 7:30 Europe/Berlin fri")
    assert "Every Friday at 07:30 (Europe/Berlin)." in reply.lines
    sub = await _dm_sub(store)
    assert (sub.digest, sub.digest_time, sub.digest_weekday, sub.timezone) == (
        "weekly",
        "07:30",
        4,
        "Europe/Berlin",
    )
    for arguments, expected in [
        ({"time": "25:00"}, texts.DIGEST_BAD_TIME.format(value="25:00")),
        ({"timezone": "Mars/Olympus"}, texts.DIGEST_BAD_TIMEZONE.format(value="Mars/Olympus")),
        ({"schedule": "hourly"}, "'hourly' is not a valid schedule"),
    ]:
        reply = await linked.run(ALICE, "digest", arguments)
        assert expected in reply.lines[0]
    assert await _dm_sub(store) == sub
    await linked.run(ALICE, "digest", {"schedule": "off"})
    assert (await _dm_sub(store)).digest == "off"


async def test_share_setting(linked: Core, store: Store) -> None:
    reply = await linked.run(ALICE, "share", {})
    assert "nothing (alerts stay private)" in reply.text
    await linked.run(ALICE, "share", {"level": "ratio"})
    assert (await _dm_sub(store)).share == "ratio"
    reply = await linked.run(ALICE, "share", {"level": "balances"})
    assert "'balances' is not a valid level" in reply.lines[0]
    assert (await _dm_sub(store)).share == "ratio"
