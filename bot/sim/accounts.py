"""Accounts files: which accounts ``marginwatch sim`` opens, in one venue-neutral format.

::

    {
      "prices": {"BTC": 60000, "ETH": 3000},
      "accounts": [
        {"venue": "kraken", "label": "kraken-margin",
         "key": "sim-kraken-key", "secret": "c2ltLWtyYWtlbi1zZWNyZXQ=",
         "balances": {"USD": 28000},
         "positions": [{"symbol": "BTC/USD", "side": "long", "size": 1,
                        "entry": 60000, "leverage": 5}]}
      ]
    }

``prices`` (optional) are starting prices in US dollars, applied like ``POST /_sim/prices``.
Each account names its ``venue`` (a simulator venue id), a ``label`` (letters, digits, ``.``,
``_``, ``-``; default: the venue) and its credentials: ``key`` and ``secret`` (base64 for Kraken
and Kraken Futures, as those venues issue them), a ``passphrase`` for OKX, an ``address``
instead of both for Hyperliquid. ``balances`` and ``borrowed`` map assets to amounts;
``positions`` are ``{symbol, side, size, entry[, leverage][, margin_mode]}`` with the venue's
unified ccxt symbol, ``side`` long or short and ``size`` in the venue's own unit (see
:class:`bot.sim.venues.HeldPosition`). ``venue_state`` is merged into the venue model's state
as it is, for what only one venue has (Binance key restrictions, Bybit's account margin mode).

A bad file is refused whole, with a sentence naming the account and field.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .market import PriceError, parse_usd_prices
from .server import Simulator
from .venues import HeldPosition, Holdings, SimVenue, plugins

# What `marginwatch sim` opens when it is given no accounts: one account per venue.
DEFAULT_ACCOUNTS = Path(__file__).with_name("accounts.json")

# Printed on one line and typed into /link: no spaces, as short as a chat label.
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ACCOUNT_FIELDS = (
    "venue",
    "label",
    "key",
    "secret",
    "passphrase",
    "address",
    "balances",
    "borrowed",
    "positions",
    "venue_state",
)
_POSITION_FIELDS = ("symbol", "side", "size", "entry", "leverage", "margin_mode")


class AccountsError(ValueError):
    """An accounts file that cannot be used; ``str()`` names the file, account and field."""


@dataclass(frozen=True)
class SimulatedAccount:
    """One account the simulator opened, with the credentials a person links it with."""

    venue: str
    label: str
    key: str = field(repr=False)  # the API key, or the wallet address on address venues
    secret: str = field(default="", repr=False)
    passphrase: str | None = field(default=None, repr=False)
    uses_address: bool = False

    def line(self) -> str:
        """``account <venue> <label> key=<key> secret=<secret>`` (simulator credentials only)."""
        if self.uses_address:
            return f"account {self.venue} {self.label} address={self.key}"
        parts = [f"account {self.venue} {self.label}", f"key={self.key}", f"secret={self.secret}"]
        if self.passphrase:
            parts.append(f"passphrase={self.passphrase}")
        return " ".join(parts)


@dataclass(frozen=True)
class AccountSpec:
    venue: str
    label: str
    key: str = field(repr=False)
    secret: str = field(default="", repr=False)
    passphrase: str | None = field(default=None, repr=False)
    holdings: Holdings = field(default_factory=Holdings)
    venue_state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountsFile:
    prices: Mapping[str, Any] = field(default_factory=dict)  # validated against the venues
    accounts: tuple[AccountSpec, ...] = ()


def load_accounts(path: str | Path) -> AccountsFile:
    """The accounts file at ``path``, validated; :class:`AccountsError` with a sentence."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AccountsError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AccountsError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        return parse_accounts(data)
    except AccountsError as exc:
        raise AccountsError(f"{path}: {exc}") from None


def parse_accounts(data: Any) -> AccountsFile:
    """An accounts file's JSON as :class:`AccountsFile`; every account is checked against its
    venue's model (markets, assets, credentials) before anything is opened."""
    if not isinstance(data, dict):
        raise AccountsError('an accounts file is a JSON object with "accounts" (a list)')
    extra = sorted(set(data) - {"prices", "accounts"})
    if extra:
        raise AccountsError(f"unknown field {extra[0]!r} (expected 'accounts' and 'prices')")
    prices = data.get("prices", {})
    if not isinstance(prices, dict):
        raise AccountsError("'prices' must map assets to their price in USD")
    accounts = data.get("accounts")
    if not isinstance(accounts, list):
        raise AccountsError("'accounts' must be a list of accounts")
    available = plugins()
    specs: list[AccountSpec] = []
    seen_labels: dict[str, int] = {}
    seen_keys: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(accounts):
        spec = _account(index, raw, available)
        where = f"accounts[{index}]"
        if spec.label.casefold() in seen_labels:
            raise AccountsError(
                f"{where}: label {spec.label!r} is already used by "
                f"accounts[{seen_labels[spec.label.casefold()]}]"
            )
        if (spec.venue, spec.key) in seen_keys:
            raise AccountsError(
                f"{where}: {spec.venue} key is already used by "
                f"accounts[{seen_keys[(spec.venue, spec.key)]}]"
            )
        seen_labels[spec.label.casefold()] = index
        seen_keys[(spec.venue, spec.key)] = index
        specs.append(spec)
    return AccountsFile(prices=prices, accounts=tuple(specs))


def _account(index: int, raw: Any, available: Mapping[str, type[SimVenue]]) -> AccountSpec:
    where = f"accounts[{index}]"
    _object(where, raw, _ACCOUNT_FIELDS, "venue, key, balances...")
    venue = raw.get("venue")
    if venue not in available:
        known = ", ".join(sorted(available))
        raise AccountsError(f"{where}: venue must be one of {known}, not {venue!r}")
    label = raw.get("label", venue)
    if not isinstance(label, str) or not _LABEL.match(label):
        raise AccountsError(
            f"{where}: label must be 1 to 32 letters, digits, '.', '_' or '-', not {label!r}"
        )
    where = f"accounts[{index}] ({venue} {label!r})"
    plugin = available[venue]()
    needs = plugin.credentials
    texts = {name: _text(where, raw, name) for name in ("key", "secret", "passphrase", "address")}
    if "address" in needs:
        for name in ("key", "secret", "passphrase"):
            if texts[name] is not None:
                raise AccountsError(f"{where}: {venue} accounts are an address, not a {name}")
        if texts["address"] is None:
            raise AccountsError(f"{where}: {venue} accounts need an 'address'")
        key, secret, passphrase = texts["address"] or "", "", None
    else:
        if texts["address"] is not None:
            raise AccountsError(f"{where}: {venue} accounts have a key, not an address")
        if texts["key"] is None or texts["secret"] is None:
            raise AccountsError(f"{where}: {venue} accounts need a 'key' and a 'secret'")
        key, secret = texts["key"] or "", texts["secret"] or ""
        if "secret_base64" in needs:
            try:
                base64.b64decode(secret, validate=True)
            except (binascii.Error, ValueError):
                raise AccountsError(
                    f"{where}: {venue} secrets are base64, as {venue} issues them"
                ) from None
        passphrase = texts["passphrase"]
        if "passphrase" in needs and passphrase is None:
            raise AccountsError(f"{where}: {venue} accounts need a 'passphrase'")
        if "passphrase" not in needs and passphrase is not None:
            raise AccountsError(f"{where}: {venue} accounts have no passphrase")
    holdings = Holdings(
        balances=_amounts(where, raw, "balances"),
        borrowed=_amounts(where, raw, "borrowed"),
        positions=tuple(_position(where, i, p) for i, p in enumerate(_list(where, raw))),
    )
    venue_state = raw.get("venue_state", {})
    if not isinstance(venue_state, dict):
        raise AccountsError(f"{where}: venue_state must be an object")
    try:
        plugin.seed_state(holdings)  # the venue's own checks: markets, assets
    except ValueError as exc:
        raise AccountsError(f"{where}: {exc}") from None
    return AccountSpec(venue, label, key, secret, passphrase, holdings, dict(venue_state))


def _object(where: str, raw: Any, fields: tuple[str, ...], needs: str) -> None:
    """Refuse anything but an object of these ``fields`` (a typo is named, never ignored)."""
    if not isinstance(raw, dict):
        raise AccountsError(f"{where} must be an object with {needs}")
    extra = sorted(set(raw) - set(fields))
    if extra:
        # Another venue's spelling (entry_price, api_key) is the usual cause: name the field.
        close = difflib.get_close_matches(extra[0], fields, n=1, cutoff=0.6)
        raise AccountsError(
            f"{where}: unknown field {extra[0]!r}"
            + (f": did you mean {close[0]!r}?" if close else f" (fields: {', '.join(fields)})")
        )


def _text(where: str, raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
        raise AccountsError(f"{where}: {name} must be text without spaces")
    return value


def _number(where: str, value: Any, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AccountsError(f"{where} must be a number, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise AccountsError(f"{where} must be {'above' if positive else 'at least'} 0")
    return float(value)


def _amounts(where: str, raw: Mapping[str, Any], name: str) -> dict[str, float]:
    given = raw.get(name, {})
    if not isinstance(given, dict):
        raise AccountsError(f"{where}: {name} must map assets to amounts")
    return {
        str(asset): _number(f"{where}: {name}.{asset}", amount, positive=False)
        for asset, amount in given.items()
    }


def _list(where: str, raw: Mapping[str, Any]) -> list[Any]:
    positions = raw.get("positions", [])
    if not isinstance(positions, list):
        raise AccountsError(f"{where}: positions must be a list")
    return positions


def _position(where: str, index: int, raw: Any) -> HeldPosition:
    here = f"{where}: positions[{index}]"
    _object(here, raw, _POSITION_FIELDS, "symbol, side, size and entry")
    symbol = raw.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise AccountsError(f"{here}: symbol must be the market's symbol, e.g. 'BTC/USDT:USDT'")
    side = raw.get("side")
    if side not in ("long", "short"):
        raise AccountsError(f"{here}: side must be 'long' or 'short', not {side!r}")
    for name in ("size", "entry"):
        if name not in raw:
            raise AccountsError(f"{here}: {name} is missing")
    leverage = raw.get("leverage")
    margin_mode = raw.get("margin_mode")
    if margin_mode not in (None, "cross", "isolated"):
        raise AccountsError(f"{here}: margin_mode must be 'cross' or 'isolated'")
    return HeldPosition(
        symbol=symbol,
        side=side,
        size=_number(f"{here}: size", raw["size"], positive=True),
        entry=_number(f"{here}: entry", raw["entry"], positive=True),
        leverage=None
        if leverage is None
        else _number(f"{here}: leverage", leverage, positive=True),
        margin_mode=margin_mode,
    )


def open_accounts(sim: Simulator, accounts: AccountsFile) -> list[SimulatedAccount]:
    """Apply the file's prices and open its accounts on ``sim``; what was opened, in order."""
    if accounts.prices:
        try:
            sim.set_usd_prices(parse_usd_prices({"prices": accounts.prices}, sim.known_assets()))
        except PriceError as exc:
            raise AccountsError(f"prices: {exc}") from None
    opened = []
    for spec in accounts.accounts:
        plugin = sim.venue(spec.venue)
        state = {**plugin.seed_state(spec.holdings), **spec.venue_state}
        sim.add_account(
            spec.venue, api_key=spec.key, secret=spec.secret, passphrase=spec.passphrase, **state
        )
        sim.labels[(spec.venue, spec.key)] = spec.label
        opened.append(
            SimulatedAccount(
                spec.venue,
                spec.label,
                spec.key,
                spec.secret,
                spec.passphrase,
                uses_address="address" in plugin.credentials,
            )
        )
    return opened
