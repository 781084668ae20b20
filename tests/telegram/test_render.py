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


def test_a_refusal_too_long_for_one_message_keeps_its_reason_and_cuts_the_rest() -> None:
    # Even a sentence that echoes 10,000 characters (not cut by core) shows its start.
    long = "A label is 1 to 32 letters; " + "x" * 10_000 + " is not."
    shown = html_to_visible(to_html(message("Not done", "error", lines=(long,))))
    assert shown.startswith("⚠️ Not done\nA label is 1 to 32 letters; xxx")
    assert len(shown) <= TEXT_MAX and shown.endswith("…")


def test_references_are_spelled_the_telegram_way() -> None:
    from bot.core.refs import ChannelRef, RoleRef, UserRef, fill

    text = fill(
        "{member} set {channel}; see {/help} or {/unlink:account={label} confirm=yes} ({role})",
        label="a b",
        member=UserRef("42", "A<b>"),
        channel=ChannelRef("-100", here=True),
        role=RoleRef("7"),
    )
    shown = to_html(message("t", lines=(text,)))
    assert '<a href="tg://user?id=42">A&lt;b&gt;</a> set this chat; see /help or ' in shown
    assert '<code>/unlink "a b" confirm=yes</code> (the chosen role)' in shown
    assert html_to_visible(shown).splitlines()[1] == (
        'A<b> set this chat; see /help or /unlink "a b" confirm=yes (the chosen role)'
    )
    # A clipped line never splits a mention: it is kept whole or left out.
    clipped = html_to_visible(to_html(message("t", lines=(text,) * 3), limit=60))
    assert "tg://" not in clipped and len(clipped) <= 60
