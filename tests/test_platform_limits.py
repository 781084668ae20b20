"""Every title, description, option and suggestion fits its platform's limit, for every venue.

Discord answers 400 (or cuts) past 45 characters for a modal title or an input label, 100 for a
command or option description, a choice's name or value, and 25 suggestions; Telegram past 4096
characters for a message, 1024 for a caption, 256 for a menu description and 64 bytes of button
callback data.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.chat.discord.commands import (
    AUTOCOMPLETE_LIMIT,
    CHOICE_MAX,
    DESCRIPTION_MAX,
    build_groups,
    exported_schema,
)
from bot.chat.discord.frontend import DiscordFrontEnd
from bot.chat.discord.link_modal import MAX_TITLE
from bot.chat.telegram.menu import MENUS, bot_commands
from bot.chat.telegram.render import CAPTION_MAX, TEXT_MAX, to_html
from bot.core import registry, suggest, texts
from bot.core.identity import Caller
from bot.core.messages import Action, ActionId, account_ref, message, subscription_ref
from bot.core.refs import fill
from bot.core.registry import ArgType, Audience
from bot.core.usecases import Core
from bot.exchanges.registry import SUPPORTED_VENUES
from tests.discord.conftest import TOKEN, RecordingCore
from tests.fakes.telegram_api import html_to_visible


# The venues of today, and the kind of name a generic ccxt exchange brings (i13a links
# "generic:<id>"): long, with spaces and parentheses.
def _generic(venue: str, label: str, *, passphrase: bool) -> SimpleNamespace:
    return SimpleNamespace(
        venue=venue,
        label=label,
        needs_secret=True,
        needs_passphrase=passphrase,
        needs_wallet_address=False,
        approximate=True,
    )


VENUES = {
    **SUPPORTED_VENUES,
    "generic:longname": _generic(
        "generic:longname",
        "Some Extremely Long Exchange Name International (approximate)",
        passphrase=True,
    ),
    "generic:oneword": _generic(
        "generic:oneword", "Supercalifragilisticexpialidociousexchangeplatform", passphrase=False
    ),
}


def _core() -> Core:
    # Only link_form and suggest run: no store, and an exchange side that can read every venue.
    exchanges = SimpleNamespace(unavailable=lambda venue: None)
    return Core(store=None, exchanges=exchanges, venues=VENUES)  # type: ignore[arg-type]


@pytest.mark.parametrize("venue", list(VENUES))
def test_the_key_form_fits_discord_for_every_venue_and_never_cuts_a_word(venue: str) -> None:
    form = _core().link_form(venue)
    title = form.title(MAX_TITLE)
    assert 1 <= len(title) <= MAX_TITLE
    words = set(" ".join([*texts.LINK_FORM_TITLES, VENUES[venue].label]).split())
    shown = title.removesuffix("…").split()
    assert all(w in words or w.startswith("{") for w in shown[:-1]), title
    assert shown[-1] in words or title.endswith("…"), title  # a cut ends on a whole word
    if len(fill(texts.LINK_FORM_TITLES[-1], venue=VENUES[venue].label)) <= MAX_TITLE:
        assert VENUES[venue].label in title  # the venue's full name whenever it fits
    for field in form.fields:
        assert 1 <= len(field.label) <= MAX_TITLE  # a modal input's label
    # The Telegram conversation's prompts and hint fit one message.
    for text in (form.hint, *(f.prompt for f in form.fields)):
        assert len(text) <= TEXT_MAX


def test_every_exported_description_choice_and_suggestion_fits_discord() -> None:
    front = DiscordFrontEnd(RecordingCore(venues=VENUES), TOKEN)
    for group in build_groups(front):
        front.client.tree.add_command(group)
    checked = 0
    for group in exported_schema(front.client.tree):
        assert len(group["description"]) <= DESCRIPTION_MAX
        for command in group["options"]:
            assert len(command["description"]) <= DESCRIPTION_MAX, command["name"]
            for option in command.get("options", []):
                checked += 1
                assert len(option["description"]) <= DESCRIPTION_MAX, option["name"]
                assert len(option.get("choices", [])) <= AUTOCOMPLETE_LIMIT
                for choice in option.get("choices", []):
                    assert len(choice["name"]) <= CHOICE_MAX
                    assert len(str(choice["value"])) <= CHOICE_MAX
    assert checked > 20


@pytest.mark.parametrize(
    "kind,typed",
    [
        (ArgType.VENUE, ""),
        (ArgType.VENUE, "kra"),
        (ArgType.VENUE, "generic"),
        (ArgType.VENUES, ""),
        (ArgType.VENUES, "kraken,krakenfutures,binance,binanceusdm,binancecoinm,bybit,okx,"),
        (ArgType.TIMEZONE, ""),
        (ArgType.TIMEZONE, "a"),
        (ArgType.TIMEZONE, "new york"),
        (ArgType.TIME, ""),
        (ArgType.TIME, "0"),
    ],
)
async def test_suggestions_fit_discord(kind: ArgType, typed: str) -> None:
    alice = Caller("discord", "1", "1", True)
    found = await _core().suggest(alice, kind, typed)
    assert found, (kind, typed)
    # The adapter cuts to 25 and drops values over 100; core's own list stays useful within.
    for choice in found[:AUTOCOMPLETE_LIMIT]:
        assert len(choice.label) >= 1
        assert len(choice.value) <= CHOICE_MAX or kind is ArgType.VENUES


def test_time_zone_suggestions_put_the_common_ones_first_and_search_the_rest() -> None:
    assert suggest.timezones("")[:2] == ("UTC", "America/Los_Angeles")
    assert len(suggest.timezones("")) == AUTOCOMPLETE_LIMIT
    assert suggest.timezones("berl")[0] == "Europe/Berlin"
    assert suggest.timezones("new york")[0] == "America/New_York"
    assert "Asia/Kathmandu" in suggest.timezones("kathm")
    assert suggest.timezones("zzzz") == ()
    assert suggest.venues(VENUES, "kra")[:2] == (
        ("kraken", "Kraken (spot margin)"),
        ("krakenfutures", "Kraken Futures (multi-collateral)"),
    )
    assert suggest.venue_lists(VENUES, "kraken,by")[0] == ("kraken,bybit", "kraken,bybit")
    assert suggest.times("7")[0] == "07:00" and suggest.times("07:15") == ("07:15",)


def test_telegram_menus_help_and_the_venue_question_fit_telegram() -> None:
    for menu in MENUS:
        for command in bot_commands(menu):
            assert 1 <= len(command.description) <= 256
    moderator = registry.help_lines("telegram", tuple(Audience))
    shown = html_to_visible(
        to_html(message(texts.HELP_TITLE, lines=(texts.HELP_INTRO, *moderator)))
    )
    assert not shown.endswith("…") and len(shown) <= TEXT_MAX  # whole, never clipped
    venues = ", ".join(sorted(VENUES))
    assert len(fill(texts.LINK_ASK_VENUE, venues=venues)) <= TEXT_MAX
    caption = message("t", lines=("x" * 5000,), image=None)
    assert len(html_to_visible(to_html(caption, CAPTION_MAX))) <= CAPTION_MAX


def test_every_button_fits_telegrams_64_bytes_of_callback_data() -> None:
    largest = 10**18 - 1  # parse_ref's own bound on an id
    for ref in (account_ref(largest), subscription_ref(largest)):
        for action_id in ActionId:
            for args in ((ref,), (ref, "24h")):
                encoded = Action(action_id, "label", args).encode()
                assert len(encoded.encode()) <= 64
                assert Action.decode(encoded) == Action(action_id, "", args)
