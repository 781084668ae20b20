"""Markup a user controls (their platform display name, the values they type) reaches both
chats through core's real paths and is shown as typed: no HTML or Markdown takes effect."""

from __future__ import annotations

import re

import pytest

from bot.chat.discord.render import render as discord_render
from bot.chat.telegram.render import render as telegram_render
from bot.core.messages import Message
from bot.core.presenter import CorePresenter
from bot.core.usecases import Core
from bot.monitor.policy import AlertEvent
from tests.fakes.telegram_api import html_to_visible

from .conftest import ALICE, ALICE_KEYS

HOSTILE = [
    "<b>boss</b>",
    "<a href='http://e.vil'>click</a>",
    "</i><i>",
    "a & b &amp; c",
    "*bold* _it_ __u__",
    "`code` ```block```",
    "[x](http://e.vil)",
    "||spoiler||",
    "~~gone~~",
    "> quoted",
    "# heading",
    "@everyone @here",
    "<@123> <#456> <@&789>",
    "\\*not bold\\*",
    "🚀 تداول 交易",
]


def telegram_visible(message: Message) -> str:
    return html_to_visible(telegram_render(message).html)  # raises as Telegram would


def discord_visible(message: Message) -> str:
    embed = discord_render(message).embed.to_dict()
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    text = "\n".join(parts)
    # Every Markdown character a user typed must arrive escaped: drop the escapes to compare.
    return re.sub(r"\\([\\*_`~|>#\[\]()<@&-])", r"\1", text)


def shared_alert(owner: str) -> Message:
    event = AlertEvent(
        subscription_id=1,
        account_label="main",
        venue="kraken",
        kind="escalation",
        level="margin_call",
        previous_level="ok",
        priority="routine",
        idempotency_key="k",
        at=0.0,
        ratio_name="margin_level",
        ratio_value=0.7,
        move_to_liquidation=-0.1,
    )
    return CorePresenter().deliverable([CorePresenter().render_alert(event, "ratio", owner=owner)])


@pytest.mark.parametrize("name", HOSTILE)
def test_a_display_name_with_markup_shows_as_typed_in_a_shared_alert(name: str) -> None:
    alert = shared_alert(name)
    assert name in alert.text  # core keeps it verbatim; each chat escapes it for itself
    assert name in telegram_visible(alert)
    assert name in discord_visible(alert)


@pytest.mark.parametrize("typed", HOSTILE)
async def test_a_typed_value_echoed_in_a_refusal_shows_as_typed(core: Core, typed: str) -> None:
    await core.link(ALICE, "kraken", "main", ALICE_KEYS)
    refusal = await core.run(ALICE, "alerts", {"account": "main", "watch": typed})
    echoed = repr(typed)[1:-1]  # the sentence quotes the value as repr() shows it
    assert refusal.severity == "error" and echoed in refusal.text
    assert echoed in telegram_visible(refusal)
    assert echoed in discord_visible(refusal)


def test_an_alert_never_carries_a_mention_that_pings() -> None:
    alert = shared_alert("@everyone")
    rendered = discord_render(alert)
    assert not rendered.kwargs().get("content")  # only the transport adds a role mention
