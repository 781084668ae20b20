"""Neutral messages as Discord embeds: colours, limits, Markdown-safe text, buttons."""

from __future__ import annotations

from bot.chat.discord.render import SEVERITY_COLOURS, render
from bot.core.messages import SEVERITIES, Action, ActionId, Field, message


def test_every_severity_has_its_own_colour() -> None:
    colours = [SEVERITY_COLOURS[s] for s in SEVERITIES]
    assert len(set(colours)) == len(SEVERITIES)
    for severity in SEVERITIES:
        assert render(message("t", severity)).embed.colour.value == SEVERITY_COLOURS[severity]


def test_user_chosen_labels_do_not_become_markdown() -> None:
    rendered = render(
        message(
            "my_*desk* — bybit", lines=("`main` is **fine**",), fields=(Field("acct_1", "> 5"),)
        )
    )
    embed = rendered.embed.to_dict()
    assert embed["title"] == r"my\_\*desk\* — bybit"
    assert embed["description"] == r"\`main\` is \*\*fine\*\*"
    assert embed["fields"][0] == {"name": r"acct\_1", "value": r"\> 5", "inline": True}


def test_discord_limits_are_respected_instead_of_failing_the_send() -> None:
    long = message(
        "x" * 300,
        lines=tuple("line " * 100 for _ in range(20)),
        fields=tuple(Field(f"f{i}", "v" * 2000) for i in range(30)),
    )
    embed = render(long).embed.to_dict()
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    assert len(embed["description"]) == 4096
    assert len(embed["fields"]) == 25
    assert all(len(f["value"]) == 1024 for f in embed["fields"])


def test_actions_become_persistent_buttons_and_routine_messages_are_silent() -> None:
    routine = render(
        message(
            "main: watch",
            "watch",
            actions=(
                Action(ActionId.SNOOZE, "Snooze 1h", ("s3", "1h")),
                Action(ActionId.REFRESH_STATUS, "Refresh", ("a3",)),
            ),
        )
    )
    assert routine.silent
    assert routine.view is not None and routine.view.timeout is None
    assert [(b.item.label, b.item.custom_id) for b in routine.view.children] == [  # type: ignore[attr-defined]
        ("Snooze 1h", "mw:sn:s3:1h"),
        ("Refresh", "mw:rs:a3"),
    ]
    assert not render(message("main: CRITICAL", "critical")).silent
    assert render(message("no buttons")).view is None
