"""The one account format a person writes for the simulator, the same for every venue.

A demo scenario's ``accounts`` and ``marginwatch sim --accounts FILE`` both hold accounts like::

    {"venue": "binanceusdm", "label": "binance-futures",
     "api_key": "demo-key", "secret": "demo-secret",
     "balances": {"USDT": 40000},
     "positions": [{"symbol": "BTC/USDT:USDT", "side": "long", "size": 1.5,
                    "entry_price": 58000, "leverage": 20}]}

Field names are those of the link form (``api_key``, ``secret``, ``passphrase``,
``wallet_address``) and of ccxt's unified model (unified symbols and currency codes, ``side``
long/short, ``size`` in the venue's own contracts, ``entry_price``), so one spelling works for
every venue. :func:`parse_accounts` validates a list of them (one sentence per problem, naming
the field, e.g. ``accounts[1].positions[0].entry is not a field of a position: did you mean
entry_price?``); :meth:`AccountSpec.native` turns one into the state the venue's plug-in reads
(Kraken's ``ZUSD``/``vol``/``type``, Binance's signed ``size`` and ``wallet_balance``...), which
is each plug-in's business and nobody else's.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .venues import binance, bybit, hyperliquid, kraken, krakenfutures, okx

# --- the format ---------------------------------------------------------------------------------


class PositionSpec(BaseModel):
    """One open position, in ccxt's unified terms."""

    model_config = ConfigDict(extra="forbid", title="position")

    symbol: str = Field(description="the ccxt unified symbol, e.g. BTC/USDT:USDT or BTC/USD")
    side: Literal["long", "short"] = Field(description="long or short")
    size: float = Field(
        gt=0,
        description="how much, in the venue's own contracts (ccxt's `contracts`): base units on "
        "most venues, contracts of 100 USD on Binance COIN-M BTC",
    )
    entry_price: float = Field(gt=0, description="the average entry price")
    leverage: float | None = Field(
        None, gt=0, description="the position's leverage (default: the venue's usual one)"
    )
    margin_mode: Literal["cross", "isolated"] = Field(
        "cross", description="cross (default) or isolated, where the venue simulates isolated"
    )


class AccountSpec(BaseModel):
    """One simulated account: where it is, how to sign in, what it holds."""

    model_config = ConfigDict(extra="forbid", title="account")

    venue: str = Field(description="the venue id, as in `marginwatch check --exchange`")
    label: str | None = Field(None, description="the name it is linked under (default: venue)")
    api_key: str | None = Field(None, min_length=1, description="the simulated API key")
    secret: str | None = Field(
        None,
        min_length=1,
        description="its secret (base64 on Kraken and Kraken Futures, as theirs are)",
    )
    passphrase: str | None = Field(None, min_length=1, description="its passphrase (OKX)")
    wallet_address: str | None = Field(
        None, min_length=1, description="the public wallet address (Hyperliquid, no key)"
    )
    balances: dict[str, float] = Field(
        default_factory=dict, description='currency code -> amount held, e.g. {"USD": 30000}'
    )
    borrowed: dict[str, float] = Field(
        default_factory=dict,
        description="currency code -> amount owed (Binance cross margin, which has no positions)",
    )
    positions: list[PositionSpec] = Field(default_factory=list, description="open positions")

    @property
    def name(self) -> str:
        return self.label or self.venue

    def native(self) -> dict[str, Any]:
        """The keyword arguments of ``Simulator.add_account(venue, ...)`` for this account."""
        fmt = VENUE_FORMATS[self.venue]
        login = self.wallet_address if fmt.credentials == ("wallet_address",) else self.api_key
        return {
            "api_key": login or "",
            "secret": self.secret or "",
            "passphrase": self.passphrase,
            **fmt.state(self),
        }

    def seed(self, simulator: Any) -> None:
        """Add this account to a ``bot.sim.Simulator``."""
        simulator.add_account(self.venue, **self.native())


class AccountsFile(BaseModel):
    """``marginwatch sim --accounts FILE``: the accounts to seed."""

    model_config = ConfigDict(extra="forbid", title="accounts file")

    accounts: list[AccountSpec] = Field(description="the accounts, in the format above")


class SpecError(ValueError):
    """An account list or scenario that cannot be used: ``problems`` holds one sentence each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(" ".join(self.problems))


# --- each venue: what it accepts and how its plug-in spells it --------------------------------


@dataclass(frozen=True)
class VenueFormat:
    """What an account of one simulated venue may hold, and its plug-in's own spelling of it."""

    credentials: tuple[str, ...]  # required fields
    symbols: Collection[str]  # position symbols the plug-in prices
    currencies: Collection[str]  # balance codes the plug-in values
    state: Callable[[AccountSpec], dict[str, Any]]
    isolated: bool = False  # the plug-in simulates per-position isolated margin
    holds_positions: bool = True
    borrows: bool = False
    base64_secret: bool = False
    # The plug-in's own currency codes, by the unified code they are written as (ZUSD: USD).
    native_codes: Mapping[str, str] = field(default_factory=dict)


def _sign(position: PositionSpec) -> float:
    return position.size if position.side == "long" else -position.size


def _leverage(position: PositionSpec, name: str = "leverage") -> dict[str, float]:
    return {} if position.leverage is None else {name: position.leverage}


# Kraken's asset ids by the unified code ccxt shows (XBT is BTC; earn balances keep their suffix).
_KRAKEN_ASSETS = {
    ("BTC" + spec[0][3:]) if spec[0].startswith("XBT") else spec[0]: asset
    for asset, spec in kraken.ASSETS.items()
}


def _kraken(account: AccountSpec) -> dict[str, Any]:
    return {
        "balances": {_KRAKEN_ASSETS[code]: amount for code, amount in account.balances.items()},
        "positions": [
            {
                "symbol": p.symbol,
                "type": "buy" if p.side == "long" else "sell",
                "vol": p.size,
                "price": p.entry_price,
                **_leverage(p),
                "time": 1_700_000_000 + 600 * index,
            }
            for index, p in enumerate(account.positions)
        ],
    }


def _binance_margin(account: AccountSpec) -> dict[str, Any]:
    codes = dict.fromkeys([*account.balances, *account.borrowed])
    return {
        "assets": {
            code: {
                "free": account.balances.get(code, 0.0),
                "borrowed": account.borrowed.get(code, 0.0),
            }
            for code in codes
        }
    }


def _binance_positions(account: AccountSpec) -> list[dict[str, Any]]:
    """Binance futures' position rows: a signed size (positionAmt), as both dialects read it."""
    return [
        {"symbol": p.symbol, "size": _sign(p), "entry_price": p.entry_price, **_leverage(p)}
        for p in account.positions
    ]


def _binance_usdm(account: AccountSpec) -> dict[str, Any]:
    return {
        "wallet_balance": account.balances.get("USDT", 0.0),
        "positions": _binance_positions(account),
    }


def _binance_coinm(account: AccountSpec) -> dict[str, Any]:
    return {"wallets": dict(account.balances), "positions": _binance_positions(account)}


def _bybit(account: AccountSpec) -> dict[str, Any]:
    return {
        "coins": dict(account.balances),
        "positions": [
            {
                "symbol": p.symbol,
                "side": "Buy" if p.side == "long" else "Sell",
                "size": p.size,
                "entry": p.entry_price,
                **_leverage(p),
            }
            for p in account.positions
        ],
    }


def _okx(account: AccountSpec) -> dict[str, Any]:
    return {
        "balances": dict(account.balances),
        "positions": [
            {
                "symbol": p.symbol,
                "side": p.side,
                "contracts": p.size,
                "entry": p.entry_price,
                "mode": p.margin_mode,
                **_leverage(p, "lever"),
            }
            for p in account.positions
        ],
    }


_KRAKENFUTURES_CONTRACTS = {
    symbol: contract for contract, (symbol, _) in krakenfutures.CONTRACTS.items()
}
# Kraken Futures' wallet codes by the unified code (its bitcoin is XBT).
_KRAKENFUTURES_CODES = {("BTC" if code == "XBT" else code): code for code in krakenfutures.HAIRCUT}


def _krakenfutures(account: AccountSpec) -> dict[str, Any]:
    return {
        "currencies": {
            _KRAKENFUTURES_CODES[code]: amount for code, amount in account.balances.items()
        },
        "positions": [
            {
                "symbol": _KRAKENFUTURES_CONTRACTS[p.symbol],
                "side": p.side,
                "size": p.size,
                "price": p.entry_price,
            }
            for p in account.positions
        ],
    }


def _hyperliquid(account: AccountSpec) -> dict[str, Any]:
    return {
        "usdc": account.balances.get("USDC", 0.0),
        "positions": [
            {
                "coin": p.symbol.split("/")[0],
                "szi": _sign(p),
                "entry": p.entry_price,
                "type": p.margin_mode,
                **_leverage(p),
            }
            for p in account.positions
        ],
    }


def _priced(prices: Mapping[str, float], quote: str) -> list[str]:
    """Currencies a plug-in can value: the quote itself and every base priced in it."""
    return [quote, *(s.split("/")[0] for s in prices if s.split(":")[0].endswith("/" + quote))]


VENUE_FORMATS: dict[str, VenueFormat] = {
    "kraken": VenueFormat(
        credentials=("api_key", "secret"),
        symbols=tuple(kraken.SYMBOL_TO_PAIR),
        currencies=tuple(_KRAKEN_ASSETS),
        state=_kraken,
        base64_secret=True,
        native_codes={native: code for code, native in _KRAKEN_ASSETS.items()},
    ),
    "binance": VenueFormat(
        credentials=("api_key", "secret"),
        symbols=(),
        currencies=tuple(dict.fromkeys(_priced(binance.BinanceBase.default_prices, "USDT"))),
        state=_binance_margin,
        holds_positions=False,
        borrows=True,
    ),
    "binanceusdm": VenueFormat(
        credentials=("api_key", "secret"),
        symbols=tuple(binance.LINEAR),
        currencies=("USDT",),
        state=_binance_usdm,
    ),
    "binancecoinm": VenueFormat(
        credentials=("api_key", "secret"),
        symbols=tuple(binance.INVERSE),
        currencies=tuple(spec[1] for spec in binance.INVERSE.values()),
        state=_binance_coinm,
    ),
    "bybit": VenueFormat(
        credentials=("api_key", "secret"),
        symbols=tuple(bybit.MARKETS),
        currencies=tuple(bybit.COLLATERAL_RATIO),
        state=_bybit,
    ),
    "okx": VenueFormat(
        credentials=("api_key", "secret", "passphrase"),
        symbols=tuple(okx.INSTRUMENTS),
        currencies=tuple(okx.DISCOUNT),
        state=_okx,
        isolated=True,
    ),
    "krakenfutures": VenueFormat(
        credentials=("api_key", "secret"),
        symbols=tuple(_KRAKENFUTURES_CONTRACTS),
        currencies=tuple(_KRAKENFUTURES_CODES),
        state=_krakenfutures,
        base64_secret=True,
        native_codes={native: code for code, native in _KRAKENFUTURES_CODES.items()},
    ),
    "hyperliquid": VenueFormat(
        credentials=("wallet_address",),
        symbols=tuple(f"{coin}/USDC:USDC" for coin in hyperliquid.UNIVERSE),
        currencies=("USDC",),
        state=_hyperliquid,
        isolated=True,
    ),
}

# --- validation ---------------------------------------------------------------------------------


def parse_accounts(data: Any, *, source: str = "accounts") -> list[AccountSpec]:
    """Accounts from a JSON document (``{"accounts": [...]}`` or a bare list), or SpecError."""
    if isinstance(data, list):
        data = {"accounts": data}
    try:
        parsed = AccountsFile.model_validate(data)
    except ValidationError as exc:
        raise SpecError([f"{source}: {p}" for p in error_sentences(exc)]) from None
    problems = [f"{source}: {p}" for p in account_problems(parsed.accounts)]
    if problems:
        raise SpecError(problems)
    return parsed.accounts


def account_problems(accounts: Sequence[AccountSpec], where: str = "accounts") -> list[str]:
    """What the venues themselves refuse in well-formed accounts: one sentence per problem."""
    problems: list[str] = []
    names: dict[str, int] = {}
    logins: dict[tuple[str, str], int] = {}
    for index, account in enumerate(accounts):
        at = f"{where}[{index}]"
        fmt = VENUE_FORMATS.get(account.venue)
        if fmt is None:
            problems.append(
                f"{at}.venue {account.venue!r} is not a simulated venue "
                f"(known: {', '.join(VENUE_FORMATS)})" + suggestion(account.venue, VENUE_FORMATS)
            )
            continue
        problems += _venue_problems(account, fmt, at)
        if account.name in names:
            problems.append(
                f"{at}.label {account.name!r} is already used by {where}[{names[account.name]}]: "
                "give each account its own label."
            )
        names.setdefault(account.name, index)
        login = account.wallet_address or account.api_key
        if login is not None:
            key = (
                account.venue,
                login.lower() if fmt.credentials == ("wallet_address",) else login,
            )
            if key in logins:
                problems.append(
                    f"{at} signs in like {where}[{logins[key]}] on {account.venue}: give each "
                    "account its own key."
                )
            logins.setdefault(key, index)
    return problems


def _venue_problems(account: AccountSpec, fmt: VenueFormat, at: str) -> list[str]:
    venue = account.venue
    problems = [
        f"{at}.{name} is missing: an account on {venue} needs {_and(fmt.credentials)}."
        for name in fmt.credentials
        if getattr(account, name) is None
    ]
    for name in ("api_key", "secret", "passphrase", "wallet_address"):
        if name not in fmt.credentials and getattr(account, name) is not None:
            problems.append(
                f"{at}.{name} is not used by {venue}, which needs {_and(fmt.credentials)}."
            )
    if fmt.base64_secret and account.secret is not None and not _is_base64(account.secret):
        problems.append(
            f"{at}.secret must be base64, as {venue}'s own secrets are "
            "(e.g. python3 -c \"import base64; print(base64.b64encode(b'any words').decode())\")."
        )
    for name, amounts in (("balances", account.balances), ("borrowed", account.borrowed)):
        if name == "borrowed" and amounts and not fmt.borrows:
            problems.append(
                f"{at}.borrowed is only for Binance cross margin (venue binance); {venue} "
                "borrows through its positions."
            )
            continue
        for code, amount in amounts.items():
            if code not in fmt.currencies:
                unified = fmt.native_codes.get(code)
                problems.append(
                    f"{at}.{name}.{code}: the {venue} simulator holds no {code!r} "
                    f"(it values {_and(fmt.currencies)})"
                    + (
                        f": write {venue}'s {code} as its unified code {unified!r}."
                        if unified and unified != code
                        else suggestion(code, fmt.currencies)
                    )
                )
            elif amount < 0:
                problems.append(f"{at}.{name}.{code} must be 0 or more, not {amount:g}.")
    if account.positions and not fmt.holds_positions:
        problems.append(
            f"{at}.positions: {venue} is cross margin without positions; give what it holds in "
            "'balances' and what it owes in 'borrowed'."
        )
        return problems
    for index, position in enumerate(account.positions):
        if position.symbol not in fmt.symbols:
            problems.append(
                f"{at}.positions[{index}].symbol {position.symbol!r} is not a market of the "
                f"{venue} simulator (it has {_and(fmt.symbols)})"
                + suggestion(position.symbol, fmt.symbols)
            )
        if position.margin_mode == "isolated" and not fmt.isolated:
            problems.append(
                f"{at}.positions[{index}].margin_mode: the {venue} simulator has cross "
                "positions only."
            )
    return problems


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _and(items: Collection[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def suggestion(word: str, choices: Collection[str]) -> str:
    """The end of a sentence: ``": did you mean 'X'?"`` for a near miss, else ``"."``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f": did you mean {close[0]!r}?" if close else "."


def error_sentences(exc: ValidationError) -> list[str]:
    """One sentence per schema problem, naming the field as a path (``accounts[0].venue``)."""
    sentences = []
    errors = exc.errors(include_url=False)
    # A misspelt field is also reported missing under its right name: say it once.
    renamed = {
        (*error["loc"][:-1], hint)
        for error in errors
        if error.get("type") == "extra_forbidden"
        for hint in _hints(exc.title, error["loc"])
    }
    for error in errors:
        if error.get("type") == "missing" and tuple(error.get("loc", ())) in renamed:
            continue
        loc = error.get("loc", ())
        path = _path(loc)
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            parent = _model_at(exc.title, loc[:-1])
            known = list(parent.model_fields) if parent is not None else []
            what = parent.model_config.get("title", "this") if parent is not None else "this"
            hint = _hints(exc.title, loc)
            sentences.append(
                f"{path} is not a field of {_article(what)}"
                + (f": did you mean {hint[0]}?" if hint else f" (its fields: {', '.join(known)}).")
            )
        elif kind == "missing":
            sentences.append(f"{path} is missing.")
        elif kind == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            sentences.append(f"{path} must be {expected}, not {error.get('input')!r}.")
        elif kind in ("greater_than", "greater_than_equal"):
            ctx = error.get("ctx", {})
            bound = f"above {ctx['gt']:g}" if "gt" in ctx else f"{ctx.get('ge'):g} or more"
            sentences.append(f"{path} must be {bound}, not {error.get('input')!r}.")
        elif kind.endswith("_parsing") or kind.endswith("_type"):
            wanted = {
                "float": "a number",
                "int": "a whole number",
                "string": "text",
                "dict": "an object",
                "list": "a list",
                "model": "an object",
                "model_attributes": "an object",
                "bool": "true or false",
            }.get(kind.split("_")[0], kind)
            sentences.append(f"{path} must be {wanted}, not {error.get('input')!r}.")
        elif kind == "string_too_short":
            sentences.append(f"{path} must not be empty.")
        else:
            message = str(error.get("ctx", {}).get("error") or error.get("msg", kind))
            sentences.append(f"{path}: {message.removeprefix('Value error, ')}.")
    return sentences


def _hints(root_title: str, loc: Sequence[Any]) -> list[str]:
    """The field an unknown one at ``loc`` was probably meant to be (``entry`` -> entry_price)."""
    parent = _model_at(root_title, loc[:-1])
    if parent is None:
        return []
    return difflib.get_close_matches(str(loc[-1]), list(parent.model_fields), n=1, cutoff=0.6)


# Models that may appear in a document, by their title, to find the one an error sits in.
_MODELS: dict[str, type[BaseModel]] = {}


def register_model(model: type[BaseModel]) -> type[BaseModel]:
    _MODELS[str(model.model_config.get("title") or model.__name__)] = model
    return model


for _model in (PositionSpec, AccountSpec, AccountsFile):
    register_model(_model)


def _model_at(root_title: str, loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class that the location ``loc`` (below the root model) points into."""
    model = _MODELS.get(root_title)
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _path(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the document"


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun
