"""The `marginwatch` command line: one sub-command per job, each implemented in its own module.

Sub-commands are imported lazily so that `marginwatch --help` and the demo start fast and a
broken optional part cannot stop the others from running.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence

# name -> (module, help). Each module exposes `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("bot.demo", "run the product against a local exchange simulator (no keys needed)"),
    "check": ("bot.check", "read one account once and show its health as the chats would"),
    "run": ("bot.app", "run the service (Discord and/or Telegram)"),
    "sim": (
        "bot.sim.cli",
        "serve the exchange simulator, to rehearse with `run` before a real key",
    ),
    "keys": ("bot.store.keys_cli", "make and rotate the master keys that encrypt secrets"),
    "db": ("bot.store.db_cli", "migrate or back up the database"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="marginwatch",
        description="Watches cross-margin accounts and warns before liquidation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            sub_parser.set_defaults(_missing=module_name)
            continue
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _refuse_unknown_options(parser, list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if args.command is None:
        # A newcomer with nothing configured sees the demo first.
        args = parser.parse_args(["demo", *(argv or [])])
    if getattr(args, "_missing", None):
        print(f"marginwatch {args.command}: not available in this build", file=sys.stderr)
        return 2
    if _needs_settings(args):
        problem = _apply_settings(args)
        if problem:
            print(f"marginwatch {args.command}: {problem}", file=sys.stderr)
            return 2
    if args.command == "check":
        problem = _apply_exchange_settings(args)
        if problem:
            print(f"marginwatch check: {problem}", file=sys.stderr)
            return 2
    return int(args._run(args) or 0)


def _refuse_unknown_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Name a mistyped ``--option`` and the one it was probably meant to be.

    argparse checks required options before it reports unknown ones, so ``--exchnage kraken``
    read "the following arguments are required: --exchange". Options are looked up along the
    sub-commands the arguments name; argparse's own prefix abbreviations stay accepted.
    """
    current, known = parser, _long_options(parser)
    for token in argv:
        if token == "--":
            return
        sub = _subcommands(current).get(token)
        if sub is not None:
            current = sub
            known |= _long_options(sub)
            continue
        if not token.startswith("--"):
            continue
        name = token.split("=", 1)[0]
        if name in known or len([k for k in known if k.startswith(name)]) == 1:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        current.error(f"unknown option {name}" + (f": did you mean {close[0]}?" if close else ""))


def _long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for action in parser._actions for o in action.option_strings if o.startswith("--")}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _needs_settings(args: argparse.Namespace) -> bool:
    """Database and key commands read the same settings as the service (.env, secrets dir)."""
    return args.command == "db" or (args.command == "keys" and args.keys_action != "new")


def _apply_exchange_settings(args: argparse.Namespace) -> str | None:
    """`check` reads the exchanges `run` would (MARGINWATCH_EXCHANGE_MODE), and nothing else:
    a one-off read is not refused over a database folder or a chat token it never uses."""
    from bot.settings import SettingsError, load_exchange_settings

    try:
        args.exchange_settings = load_exchange_settings()
    except SettingsError as exc:
        return " ".join(exc.problems)
    return None


def _apply_settings(args: argparse.Namespace) -> str | None:
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        return " ".join(exc.problems)
    if not getattr(args, "database", None):
        args.database = str(settings.database)
    args.vault_environ = settings.vault_environ()
    return None


if __name__ == "__main__":
    sys.exit(main())
