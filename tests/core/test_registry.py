"""The one command registry: valid on both chats, every command wired to a use case and in /help."""

from __future__ import annotations

import inspect
import re

import pytest

from bot.core import registry, texts
from bot.core.messages import Refusal
from bot.core.refs import CommandRef, fill
from bot.core.registry import COMMANDS, ArgType, Audience, UseCase
from bot.core.usecases import HANDLERS, Core

# Both Telegram (a-z, 0-9, _) and Discord (adds -) accept these; both cap names at 32.
NAME = re.compile(r"^[a-z0-9_]{1,32}$")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_fits_both_chats(command: registry.Command) -> None:
    assert NAME.match(command.name)
    assert 3 <= len(command.description) <= 100  # Discord's limit is the tighter one
    assert len(command.arguments) <= 25
    seen_optional = False
    for arg in command.arguments:
        assert NAME.match(arg.name) and 1 <= len(arg.description) <= 100
        # Discord requires required options before optional ones.
        assert not (arg.required and seen_optional), arg.name
        seen_optional = seen_optional or not arg.required
        assert len(arg.choices) <= 25
        if arg.type is ArgType.CHOICE:
            assert arg.choices


def test_every_use_case_has_exactly_one_method_and_every_command_one_use_case() -> None:
    assert set(HANDLERS) == set(UseCase)
    assert all(isinstance(c.usecase, UseCase) for c in COMMANDS)
    # The table names Core's own methods (a mixin method shadowed by another would be caught).
    for usecase, handler in HANDLERS.items():
        assert getattr(Core, handler.__name__) is handler, usecase


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_runs_a_use_case_that_takes_its_arguments(command: registry.Command) -> None:
    parameters = inspect.signature(HANDLERS[command.usecase]).parameters
    assert list(parameters)[:2] == ["self", "caller"]
    for arg in command.arguments:
        assert arg.name in parameters, (command.name, arg.name)
    # ...and needs nothing a command cannot give: a parameter without a default is a required
    # argument of the command.
    required = {arg.name for arg in command.arguments if arg.required}
    for name, parameter in list(parameters.items())[2:]:
        if parameter.default is inspect.Parameter.empty:
            assert name in required, (command.name, name)


def test_names_are_unique_and_help_lists_every_command() -> None:
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names))
    for platform in ("telegram", "discord"):
        lines = registry.help_lines(platform)
        for command in registry.commands_for(platform):
            # the usage is a reference each chat spells; its neutral spelling is Telegram's
            [line] = [
                line
                for line in lines
                if CommandRef(command.name, usage=True) in getattr(line, "parts", ())
            ]
            assert line == f"{command.usage} — {command.description}"


def test_start_is_telegram_only() -> None:
    assert "start" not in [c.name for c in registry.commands_for("discord")]
    assert "start" in [c.name for c in registry.commands_for("telegram")]


def test_moderator_help_is_separate() -> None:
    members = registry.help_lines("telegram", [Audience.PRIVATE, Audience.MEMBER])
    assert not any(line.startswith("/setalerts") for line in members)
    assert texts.HELP_SECTION["moderator"] in registry.help_lines("telegram")


def test_text_arguments_positional_and_named() -> None:
    alerts = registry.command("alerts")
    assert registry.parse_text_arguments(alerts, 'main critical=3 "20 %"') == {
        "account": "main",
        "critical": "3",
        "watch": "20 %",
    }
    with pytest.raises(Refusal) as refused:
        registry.parse_text_arguments(registry.command("accounts"), "extra")
    assert refused.value.sentence == "Too many values. Usage: /accounts"
    assert refused.value.sentence.parts[-1] == CommandRef("accounts", usage=True)
    with pytest.raises(Refusal) as refused:
        registry.parse_text_arguments(alerts, '"unclosed')
    assert refused.value.sentence == texts.ARGS_UNBALANCED_QUOTES


def test_checked_arguments() -> None:
    with pytest.raises(Refusal) as refused:
        registry.check_arguments(registry.command("unlink"), {})
    assert refused.value.sentence == "Please give the account. Usage: /unlink <account> [confirm]"
    with pytest.raises(Refusal) as refused:
        registry.check_arguments(registry.command("status"), {"acount": "x"})
    assert "There is no option called acount" in refused.value.sentence


async def test_unknown_commands_and_wrong_platform_are_refused(core: Core) -> None:
    from tests.core.conftest import ALICE, dm

    reply = await core.run(ALICE, "moon", {})
    assert reply.lines == (fill(texts.UNKNOWN_COMMAND, name="moon"),)
    assert reply.lines[0] == "I do not know the command 'moon'. Send /help to see what I can do."
    reply = await core.run(dm("5", platform="discord"), "start", {})
    assert reply.lines == (fill(texts.UNKNOWN_COMMAND, name="start"),)
