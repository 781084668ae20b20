"""`marginwatch check`, its reading half: the options, the key, one read (live or replayed).

``bot/check.py`` is the command: it shows what :func:`read` returns through the chats' own view
model (``bot.core.views``), which this layer may not import.

It reads the exchanges ``MARGINWATCH_EXCHANGE_MODE`` says, like ``marginwatch run`` (live, each
venue's testnet, or the simulator at ``MARGINWATCH_SIMULATOR_URL``); ``--base-url`` sends this
one venue's requests to another address instead (one venue of a simulator:
``http://127.0.0.1:8765/<venue>``).

Keys come from ``--key-file`` (JSON with ``api_key``, ``secret``, ``passphrase``,
``wallet_address``) or from the environment (``MARGINWATCH_CHECK_API_KEY``, ``_SECRET``,
``_PASSPHRASE``, ``_WALLET_ADDRESS``), never from the command line, where other users of the
machine and the shell history could see them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from .types import AccountRead, Credentials

# ccxt (and so the hub, the registry's venue modules and the replay) is imported in read():
# building `marginwatch --help` must not pay for it.

ENV_PREFIX = "MARGINWATCH_CHECK_"


class UsageError(ValueError):
    """Bad input: printed as one line, exit status 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exchange",
        required=True,
        metavar="ID",
        help="venue id: kraken, binance, binanceusdm, binancecoinm, bybit, okx, "
        "krakenfutures, hyperliquid, ...",
    )
    parser.add_argument(
        "--replay",
        metavar="FILE",
        help='read from a recording ({"METHOD /path": body}) instead of the live exchange',
    )
    parser.add_argument(
        "--key-file",
        metavar="FILE",
        help="JSON file with api_key, secret[, passphrase, wallet_address]; "
        f"default: the {ENV_PREFIX}* environment variables",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="send this venue's requests to URL instead: a simulator's per-venue address, "
        "e.g. http://127.0.0.1:8765/binanceusdm (the whole simulator: "
        "MARGINWATCH_EXCHANGE_MODE=simulator)",
    )
    parser.add_argument("--json", action="store_true", help="print the Health JSON")


def _credentials(args: argparse.Namespace) -> Credentials:
    from .registry import adapter_for

    if args.key_file:
        try:
            with open(args.key_file, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as exc:
            raise UsageError(f"cannot read key file {args.key_file}: {exc.strerror}") from None
        except json.JSONDecodeError:
            raise UsageError(f"key file {args.key_file} is not JSON") from None
        if not isinstance(data, dict):
            raise UsageError(f"key file {args.key_file} must be a JSON object")
        fields = {
            name: data.get(name) for name in ("api_key", "secret", "passphrase", "wallet_address")
        }
    else:
        fields = {
            name: os.environ.get(ENV_PREFIX + name.upper())
            for name in ("api_key", "secret", "passphrase", "wallet_address")
        }
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{name} in the key file must be a string")
    info = adapter_for(args.exchange).info
    creds = Credentials(
        api_key=fields["api_key"] or "",
        secret=fields["secret"] or "",
        passphrase=fields["passphrase"] or None,
        wallet_address=fields["wallet_address"] or None,
    )
    source = f"key file {args.key_file}" if args.key_file else f"{ENV_PREFIX}* variables"
    if info.needs_wallet_address:
        if not creds.wallet_address:
            raise UsageError(f"{info.label} needs wallet_address (from the {source})")
    elif not creds.api_key or (info.needs_secret and not creds.secret):
        raise UsageError(f"{info.label} needs api_key and secret (from the {source})")
    if info.needs_passphrase and not creds.passphrase:
        raise UsageError(f"{info.label} needs the key's passphrase (from the {source})")
    return creds


async def _read_live(args: argparse.Namespace, creds: Credentials) -> AccountRead:
    from .factory import hub_for

    base_urls = {args.exchange: args.base_url} if args.base_url else None
    # `marginwatch check` sets the settings' exchange mode; run() called on its own reads live.
    async with hub_for(getattr(args, "exchange_settings", None), base_urls=base_urls) as hub:
        return await hub.read_account(args.exchange, creds)


def read(args: argparse.Namespace) -> AccountRead:
    """One read of the account the options name, live or from ``--replay``.

    Raises UsageError or RecordingError (bad input: exit 2) and ExchangeReadError.
    """
    from .registry import adapter_for
    from .replay import load_recording, replay

    try:
        adapter_for(args.exchange)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    if args.replay:
        return asyncio.run(replay(args.exchange, load_recording(args.replay)))
    return asyncio.run(_read_live(args, _credentials(args)))
