"""The command menus Telegram shows (private chats, groups, administrators), from the registry."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.core.registry import COMMANDS, Audience, Command, commands_for

PLATFORM = "telegram"

# Telegram's rules for a command in the menu (setMyCommands answers 400 otherwise).
_DESCRIPTION_MAX = 256


@dataclass(frozen=True)
class Menu:
    """One scope's menu: who sees it and which commands, in registry order."""

    scope: BotCommandScope
    where: str  # how the README names the scope
    audiences: tuple[Audience, ...]

    def commands(self) -> tuple[Command, ...]:
        return commands_for(PLATFORM, self.audiences)


# Telegram shows the most specific scope: a group administrator sees the administrators' menu
# instead of the group one, so it repeats the member commands.
MENUS: tuple[Menu, ...] = (
    Menu(BotCommandScopeAllPrivateChats(), "private chat", (Audience.PRIVATE,)),
    Menu(BotCommandScopeAllGroupChats(), "group", (Audience.MEMBER,)),
    Menu(
        BotCommandScopeAllChatAdministrators(),
        "group (administrators)",
        (Audience.MEMBER, Audience.MODERATOR),
    ),
)


def bot_commands(menu: Menu) -> list[BotCommand]:
    """The menu's commands as the Bot API takes them; the description is the registry's."""
    return [BotCommand(c.name, c.description[:_DESCRIPTION_MAX]) for c in menu.commands()]


async def publish_menus(bot: Bot) -> None:
    """Tell Telegram which commands to offer where (one setMyCommands per scope)."""
    for menu in MENUS:
        await bot.set_my_commands(bot_commands(menu), scope=menu.scope)


def telegram_commands() -> tuple[Command, ...]:
    """Every registry command Telegram offers."""
    return tuple(c for c in COMMANDS if PLATFORM in c.platforms)


def command_table() -> tuple[str, ...]:
    """The README's Telegram command table: one Markdown row per command, header first."""
    rows = ["| Command | Where in Telegram | What it does |", "|---|---|---|"]
    for command in telegram_commands():
        where = ", ".join(m.where for m in MENUS if command in m.commands())
        rows.append(f"| `{command.usage}` | {where} | {command.description} |")
    return tuple(rows)
