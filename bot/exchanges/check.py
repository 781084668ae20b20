"""`marginwatch check`: read one account once (live or from a recording) and print its health.

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
import sys
from collections.abc import Mapping
from typing import Any

import risk

from .types import AccountRead, Credentials

# ccxt (and so the hub, the registry's venue modules and the replay) is imported in run():
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


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.2f} %"


def render_table(label: str, health: Any, notes: tuple[str, ...], approximate: bool) -> str:
    ratio = health.ratio
    value = "—" if ratio.value is None else f"{ratio.value:.4f}"
    lines = [
        f"{label}: {health.state.upper()}" + ("  (approximate)" if approximate else ""),
        f"  {ratio.name.replace('_', ' ')} {value} ({ratio.safer} is safer; margin call "
        f"{ratio.margin_call:g}, liquidation {ratio.liquidation:g})",
        f"  equity {_money(health.equity)} {health.settle}   maintenance "
        f"{_money(health.maintenance_margin)}   leverage "
        + ("—" if health.effective_leverage is None else f"{health.effective_leverage:.2f}×"),
        f"  price move to margin call {_percent(health.move_to_margin_call)}   to liquidation "
        f"{_percent(health.move_to_liquidation)}",
    ]
    if health.positions:
        lines.append("")
        lines.append(
            f"  {'position':<18} {'liq. price':>14} {'distance':>10} "
            f"{'venue liq.':>14} {'unrealized':>14}"
        )
        for position in health.positions:
            lines.append(
                f"  {position.symbol:<18} {_money(position.liquidation_price):>14} "
                f"{_percent(position.distance):>10} "
                f"{_money(position.reported_liquidation_price):>14} "
                f"{_money(position.unrealized_pnl):>14}"
            )
    for name, figure in (health.reported or {}).items():
        if figure is not None and name in (
            "margin_level",
            "margin_ratio",
            "account_mm_rate",
            "mgn_ratio",
        ):
            lines.append(f"  the venue itself reports {name.replace('_', ' ')} {figure:.4f}")
    lines.extend(f"  note: {note}" for note in notes)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from .errors import ExchangeReadError
    from .registry import adapter_for
    from .replay import RecordingError, load_recording, replay

    try:
        try:
            adapter_for(args.exchange)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        if args.replay:
            read = asyncio.run(replay(args.exchange, load_recording(args.replay)))
        else:
            read = asyncio.run(_read_live(args, _credentials(args)))
    except (UsageError, RecordingError) as exc:
        print(f"marginwatch check: {exc}", file=sys.stderr)
        return 2
    except ExchangeReadError as exc:
        print(
            f"marginwatch check: {exc.state}: {exc.user_message}"
            + (f" [{exc.detail}]" if exc.detail else ""),
            file=sys.stderr,
        )
        return 1
    health = risk.assess(read.snapshot)
    if args.json:
        print(json.dumps(risk.health_to_dict(health), indent=2))
    else:
        label = adapter_for(args.exchange).info.label
        print(render_table(label, health, read.notes, read.approximate or health.approximate))
    return 0


def health_json(read: AccountRead) -> Mapping[str, Any]:
    """The Health JSON of one read (what ``--json`` prints)."""
    return risk.health_to_dict(risk.assess(read.snapshot))
