"""The exchange layer's catalogue: every sentence it writes for a user, and nowhere else.

These sentences reach users through ``bot.core`` (why a read failed, a key check's verdict, the
notes of a read), but the import table forbids ``bot.exchanges`` to import ``bot.core``, so they
cannot live in ``bot/core/texts.py``. Adapters and the hub take their words from here; the log-only
``detail`` of an error and the ``bad_response`` reasons are for developers and stay where they are
raised. Placeholders use ``str.format`` names; chat adapters escape for their own markup.
"""

from __future__ import annotations

from collections.abc import Mapping

from .types import (
    RIGHT_FUTURES,
    RIGHT_MARGIN,
    RIGHT_OPTIONS,
    RIGHT_TRADE,
    RIGHT_TRANSFER,
    RIGHT_WITHDRAW,
    ReadState,
)

# --- why a read failed: one sentence per state (a test checks every state has one) --------------
READ_FAILED: Mapping[ReadState, str] = {
    "auth_failed": "The exchange rejected the API key: it is wrong, expired or revoked. "
    "Link a new read-only key.",
    "permission_denied": "The API key is valid but lacks a read permission this account needs.",
    "rate_limited": "The exchange is slowing us down (rate limit); the next read waits.",
    "exchange_down": "The exchange is not answering (down, in maintenance or timing out); "
    "the last figures are stale.",
    "bad_response": "The exchange sent an answer that could not be read as an account; "
    "nothing was shown from it.",
}

# --- credentials a venue cannot be read without -------------------------------------------------
NEEDS_WALLET_ADDRESS = "{venue} needs a wallet address."
NEEDS_KEY_AND_SECRET = "{venue} needs an API key and secret."
NEEDS_PASSPHRASE = "{venue} needs the key's passphrase."
WALLET_ADDRESS_IS_A_PRIVATE_KEY = (
    "That looks like a private key, not a wallet address. Never share a private key: "
    "Hyperliquid needs only your public address (0x + 40 hex digits)."
)
WALLET_ADDRESS_MALFORMED = "A Hyperliquid wallet address is 0x followed by 40 hex digits."

# --- key checks at link time --------------------------------------------------------------------
# What a key may do that marginwatch refuses, as a user reads it in "This key allows ...".
DANGEROUS_RIGHT_NAMES: Mapping[str, str] = {
    RIGHT_TRADE: "trading",
    RIGHT_WITHDRAW: "withdrawals",
    RIGHT_TRANSFER: "transfers",
    RIGHT_MARGIN: "margin trading and borrowing",
    RIGHT_FUTURES: "futures trading",
    RIGHT_OPTIONS: "options trading",
}
KEY_ACCEPTED = "Read-only {venue} key accepted."

BINANCE_KEY_ACCEPTED = "The Binance key is read-only: linked."
BINANCE_KEY_RIGHTS_UNKNOWN = "Binance did not say what this key may do; try again later."
BINANCE_KEY_CANNOT_READ = (
    "This Binance key cannot read the account. In API Management, edit the key, tick "
    "'Enable Reading' only, save, and link it again."
)
BINANCE_KEY_TOO_MUCH = (
    "This Binance key can do more than read, so it was not linked. In API Management, edit the "
    "key's restrictions and untick {boxes} (keep only 'Enable Reading'), save, and link it again."
)

BYBIT_NOT_UNIFIED = (
    "This Bybit account is not a unified trading account; marginwatch reads the unified "
    "account's maintenance rate. Upgrade the account in Bybit first."
)
BYBIT_READ_ONLY_KEY_HELP = (
    "In Bybit go to API Management, edit the key (or create a new system-generated key) and "
    "choose 'Read-Only' permissions, with nothing under Wallet (no transfer, no withdrawal), "
    "then link it again."
)
BYBIT_KEY_TOO_MUCH = (
    "This Bybit key allows {rights}. marginwatch only reads; a key that can move money is "
    "refused. " + BYBIT_READ_ONLY_KEY_HELP
)

OKX_READ_ONLY_KEY_HELP = (
    "In OKX go to API, create a new V5 API key with only the 'Read' permission (leave 'Trade' "
    "and 'Withdraw' unticked) and link that key with its passphrase."
)
OKX_KEY_TOO_MUCH = (
    "This OKX key allows {rights}. marginwatch only reads; a key that can trade or withdraw is "
    "refused. " + OKX_READ_ONLY_KEY_HELP
)

KRAKEN_QUERY_ONLY_KEY_HELP = (
    "Kraken cannot tell us what a key is allowed to do, so please check it yourself: in Kraken "
    "go to Settings → API → Create API key, tick only 'Query Funds' and 'Query Open Orders & "
    "Trades', leave every Orders & Trades, Funds (deposit/withdraw) and Data-export right "
    "unticked, and optionally set a nonce window of a few seconds. A key shared with a trading "
    "bot can also break that bot's nonces: make one just for marginwatch."
)
KRAKENFUTURES_READ_ONLY_KEY_HELP = (
    "Kraken Futures cannot be asked through ccxt what a key may do, so please check it "
    "yourself: in Kraken Futures go to Settings → Create Key and choose General API 'Read "
    "Only' and Withdrawal API 'No Access'. Use a key made just for marginwatch."
)

HYPERLIQUID_PUBLIC_ADDRESS = (
    "Hyperliquid is read with your public wallet address only: no key, no signature, nothing "
    "that could place an order or move funds. Anyone can read a Hyperliquid account by its "
    "address; marginwatch shows yours only where you asked it to."
)

GENERIC_APPROXIMATE = (
    "Approximate: this exchange is read through ccxt's unified positions and "
    "balance, not its own risk figures; liquidation prices are estimates."
)
GENERIC_KEY_UNCHECKED = (
    "{venue}: marginwatch cannot ask this exchange what the key may do. Give it read-only "
    "rights only (no trading, no transfers, no withdrawals). " + GENERIC_APPROXIMATE
)

# --- notes on a read: what was left out or estimated, shown beside the figures -------------------
BINANCE_SPOT_PRICES = (
    "Assets are valued at Binance's last spot prices; Binance liquidates on index prices, which "
    "can differ slightly."
)
BINANCE_NO_PRICE = "Left out (no {settle} price): {assets}."
BINANCE_MULTI_ASSETS_INFERRED = (
    "Multi-Assets mode inferred: the account totals include assets other than {settle}."
)
BINANCE_MULTI_ASSETS = (
    "Multi-Assets mode: every margin asset is counted at Binance's USD value as one pool; "
    "figures are approximate."
)
BINANCE_SEPARATE_POOL = "{symbol} is margined in {asset}, a separate pool: left out."
BINANCE_NO_BRACKET = "{symbol}: no leverage bracket; maintenance taken from the position."

BYBIT_NOT_COLLATERAL = "{coin} is not used as collateral by Bybit and was left out."
BYBIT_CATEGORY_NOT_READ = "Bybit {category} positions are not read."

OKX_NOT_COLLATERAL = "{coin} is not enabled as collateral on OKX and was left out."
OKX_POSITION_NOT_READ = "OKX {kind} position {instrument} is not read."
OKX_OTHER_POOL = (
    "{symbol} is margined in {coin}, not {settle}: it is judged in that currency's own pool and "
    "left out here."
)
OKX_UNATTRIBUTED_MAINTENANCE = (
    "{amount:,.2f} USD of OKX's maintenance margin belongs to no position (borrowing or open "
    "orders) and is not in the positions' figures."
)
OKX_RATIO_COSTS = (
    "OKX's margin ratio implies costs of {share:.2%} of the positions' notional, more than a "
    "closing fee; the ratio shown is built from the positions alone."
)

KRAKEN_LEFT_OUT = (
    "Left out of collateral: {assets} (staked or earning balances; Kraken Futures wallets and "
    "other sub-accounts are not read either)."
)
KRAKEN_VALUATION_DIFFERS = (
    "Kraken values the collateral at {reported:,.2f} {settle}; today's prices here give "
    "{priced:,.2f} {settle}."
)
KRAKEN_QUOTE_CONVERTED = "{symbol} is valued in {settle} at today's {quote}/{settle} rate."

KRAKENFUTURES_SINGLE_COLLATERAL = (
    "{market} uses its own single-collateral margin account and is not part of the "
    "multi-collateral wallet watched here."
)
KRAKENFUTURES_UNITEMISED = (
    "{amount:,.2f} USD of Kraken's collateral value is not itemised by currency; it is counted "
    "at face value and does not move with prices."
)

# --- exchange modes (MARGINWATCH_EXCHANGE_MODE): what a rehearsal cannot read, and why ---------
NO_SANDBOX = (
    "{venue} has no testnet or demo environment, so it cannot be read while marginwatch runs in "
    "testnet mode (MARGINWATCH_EXCHANGE_MODE=testnet)."
)
NOT_SIMULATED = (
    "The simulator does not serve {venue}, so it cannot be read while marginwatch runs in "
    "simulator mode; it serves {served}."
)
SIMULATOR_DOWN = (
    "Nothing answers at {url}: start `marginwatch sim` there, or set MARGINWATCH_SIMULATOR_URL "
    "to the address its ready line printed."
)
RIGHTS_UNCHECKED = (
    "{sandbox} cannot say what a key may do, so this key's rights were not checked (a "
    "rehearsal key reaches no real funds). Make your real key read-only all the same."
)
