"""Neutral messages become Telegram HTML that is escaped, within limits, and loud only when due."""

from __future__ import annotations

from bot.chat.telegram.render import CAPTION_MAX, TEXT_MAX, keyboard_for, render, to_html
from bot.core.messages import Action, ActionId, Field, Image, message
from tests.fakes.telegram_api import html_to_visible


def test_user_text_is_escaped_so_telegram_accepts_it_and_shows_it_verbatim() -> None:
    hostile = message(
        "<b>Alice & Bob</b>",
        "watch",
        lines=("label: <script>&amp;",),
        fields=(Field("a<b", "1 > 0"),),
        footer="</i>",
    )
    shown = to_html(hostile)
    visible = html_to_visible(shown)  # raises like Telegram on anything unescaped
    assert "<b>Alice & Bob</b>" in visible
    assert "label: <script>&amp;" in visible
    assert "a<b: 1 > 0" in visible
    assert visible.endswith("</i>")


def test_routine_messages_are_silent_and_margin_call_or_worse_ring() -> None:
    assert render(message("fine", "ok")).disable_notification
    assert render(message("watch", "watch")).disable_notification
    assert not render(message("call", "margin_call")).disable_notification
    assert not render(message("critical", "critical")).disable_notification


def test_an_overlong_message_is_cut_between_blocks_and_still_parses() -> None:
    many = message("Status & more", lines=[f"line {i} <x>" for i in range(2000)])
    shown = to_html(many)
    visible = html_to_visible(shown)
    assert len(visible) <= TEXT_MAX
    assert visible.startswith("Status & more")
    assert visible.endswith("…")


def test_an_overlong_title_alone_is_cut_on_its_plain_text() -> None:
    shown = to_html(message("&" * 5000))
    assert len(html_to_visible(shown)) <= TEXT_MAX


def test_an_image_goes_as_a_photo_with_a_caption_inside_telegram_limits() -> None:
    chart = Image(b"\x89PNG...", "health.png")
    shown = render(message("Chart", lines=["x" * 3000], image=chart))
    assert shown.photo == b"\x89PNG..."
    assert len(html_to_visible(shown.html)) <= CAPTION_MAX


def test_buttons_carry_core_actions_and_fall_back_to_catalogue_labels() -> None:
    keyboard = keyboard_for(
        (
            Action(ActionId.REFRESH_STATUS, "", ("a1",)),
            Action(ActionId.SNOOZE, "", ("a1", "4h")),
            Action(ActionId.UNSNOOZE, "Wake", ("a1",)),
            Action(ActionId.SNOOZE, "Snooze 24h", ("a1", "24h")),
        )
    )
    assert keyboard is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in keyboard.inline_keyboard]
    assert rows == [
        [("Refresh", "mw:rs:a1"), ("Snooze 4h", "mw:sn:a1:4h"), ("Wake", "mw:us:a1")],
        [("Snooze 24h", "mw:sn:a1:24h")],
    ]
    assert keyboard_for(()) is None
