"""Every command Telegram offers has a description, a /help line, a README row and a menu entry."""

from __future__ import annotations

import re

from telegram.ext import ApplicationBuilder

from bot.chat.telegram.menu import MENUS, command_table, publish_menus, telegram_commands
from bot.core.registry import help_lines
from tests.fakes.telegram_api import FakeTelegramAPI, scope_key

_BOT_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def test_every_telegram_command_is_described_and_in_help_and_in_the_table() -> None:
    helps = "\n".join(help_lines("telegram"))
    table = "\n".join(command_table())
    assert telegram_commands(), "the registry offers Telegram nothing"
    for command in telegram_commands():
        assert _BOT_COMMAND.match(command.name), f"/{command.name} is not a valid bot command"
        assert 3 <= len(command.description) <= 256, f"/{command.name} has no usable description"
        assert f"{command.usage} — {command.description}" in helps, f"/{command.name} not in /help"
        assert f"| `{command.usage}` |" in table, f"/{command.name} has no command table row"


def test_every_command_appears_in_some_telegram_menu() -> None:
    in_menus = {c.name for menu in MENUS for c in menu.commands()}
    assert in_menus == {c.name for c in telegram_commands()}


async def test_menus_are_published_per_scope_and_accepted_by_the_bot_api(telegram_api) -> None:
    api: FakeTelegramAPI = telegram_api
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    async with app:
        await publish_menus(app.bot)
    private = [c["command"] for c in api.commands[scope_key("all_private_chats")]]
    groups = [c["command"] for c in api.commands[scope_key("all_group_chats")]]
    admins = [c["command"] for c in api.commands[scope_key("all_chat_administrators")]]
    assert {"start", "help", "link", "status", "deletemydata"} <= set(private)
    assert "setalerts" not in private and "setalerts" not in groups
    assert {"subscribe", "setalerts", "settings", "subscribers", "remove", "audit"} <= set(admins)
    assert set(groups) <= set(admins)  # admins see the members' commands as well
    descriptions = {
        c["command"]: c["description"] for c in api.commands[scope_key("all_private_chats")]
    }
    assert all(descriptions.values())
