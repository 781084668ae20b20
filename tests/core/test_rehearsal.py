"""Rehearsals in core: generic:<ccxt id> links like any venue, and every message made while the
service reads no live exchange carries the mode's marker, in every renderer and in the outbox."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from bot.chat.console.render import render as console_render
from bot.chat.discord.render import embed_for
from bot.chat.telegram.render import to_html
from bot.core import texts
from bot.core.messages import (
    Refusal,
    current_marker,
    from_payload,
    mark_rehearsal,
    message,
    to_payload,
)
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, ExchangeHub
from bot.exchanges.modes import ExchangeMode
from bot.sim import Simulator
from bot.store import Store
from tests.core.conftest import ALICE, BOB_BYBIT
from tests.support.limits import limits_budget


async def test_an_exchange_ccxt_reads_links_as_generic_and_is_labelled_approximate(
    store: Store, sim: Simulator
) -> None:
    # Simulator mode reads generic:bybit from the simulator's Bybit: the production path.
    async with ExchangeHub(mode=ExchangeMode("simulator", sim.url), budget=limits_budget()) as hub:
        core = Core(store, hub, SUPPORTED_VENUES)
        reply = await core.link(ALICE, "generic:bybit", "any", BOB_BYBIT)
        assert reply.lines[0] == texts.LINK_DONE.format(label="any", venue="Bybit (approximate)")
        assert any("Approximate" in line or "Estimated" in line for line in reply.lines)
        [account] = await store.read(lambda tx: tx.accounts.list_all())
        assert account.venue == "generic:bybit"
        with pytest.raises(Refusal) as refused:  # the simulator has no KuCoin: said up front
            core.link_form("generic:kucoin")
        assert "The simulator does not serve KuCoin" in refused.value.sentence


def test_a_generic_venue_asks_for_what_ccxt_says_its_keys_have(core: Core) -> None:
    form = core.link_form("generic:kucoin")  # KuCoin keys have a passphrase
    assert [f.name for f in form.fields] == ["api_key", "secret", "passphrase"]
    assert "approximate" in form.venue_label


async def test_an_unknown_venue_names_the_generic_way_in(core: Core) -> None:
    with pytest.raises(Refusal) as refused:
        core.link_form("generic:mtgox")
    assert "I cannot watch 'generic:mtgox'" in refused.value.sentence
    assert "generic:<ccxt id>" in refused.value.sentence


async def test_every_message_made_in_a_rehearsal_carries_the_marker(core: Core) -> None:
    async def rehearsing() -> tuple[str, str]:
        mark_rehearsal(texts.MODE_MARKERS["simulator"])
        answer = await core.run(ALICE, "help")
        refusal = await core.run(ALICE, "status", {"account": "none"})
        return answer.heading, refusal.heading

    helped, refused = await asyncio.create_task(rehearsing())
    assert helped == f"[simulator] {texts.HELP_TITLE}"
    assert refused.startswith("[simulator] ")
    # The test's own context (like the demo's) stays unmarked.
    assert current_marker() == "" and (await core.run(ALICE, "help")).heading == texts.HELP_TITLE


def test_each_renderer_shows_the_marker_before_the_title_and_the_outbox_keeps_it() -> None:
    def made() -> dict[str, object]:
        mark_rehearsal("[testnet]")
        return to_payload(message("main: MARGIN CALL", "margin_call", lines=("Margin level: 75%",)))

    payload = contextvars.copy_context().run(made)
    # Delivered later, from a context that is not marked (a restart in between): still marked.
    alert = from_payload(payload)
    assert alert.marker == "[testnet]" and alert.heading == "[testnet] main: MARGIN CALL"
    assert alert.text.startswith("[testnet] main: MARGIN CALL")
    assert "<b>🟠 [testnet] main: MARGIN CALL</b>" in to_html(alert)
    assert embed_for(alert).title == "[testnet] main: MARGIN CALL"
    assert console_render(alert).startswith("[MARGIN CALL] [testnet] main: MARGIN CALL")
    live = message("main: MARGIN CALL", "margin_call")
    assert live.marker == "" and to_html(live).startswith("<b>🟠 main: MARGIN CALL</b>")
