"""The one catalogue of user-visible sentences; adapters and use cases take their words from here.

Placeholders use ``str.format`` names and are filled with ``bot.core.refs.fill``:

- ``{/link}`` names a command, ``{/unlink:account={label} confirm=yes}`` one with options, and
  ``{/link:usage}`` its argument list: each chat spells them its own way (``/margin link`` on
  Discord, ``/link`` on Telegram), so no sentence here spells a command itself;
- ``{channel}``, ``{role}``, ``{member}``, ``{actor}``, ``{owner}`` take references that each chat
  turns into a mention (never a raw id);
- ``{value!r}`` echoes what the user typed, quoted and cut short so the reason always shows.

User-supplied text is inserted raw: each adapter escapes for its own markup (Telegram HTML,
Discord Markdown) when it renders.
"""

from __future__ import annotations

PRODUCT = "marginwatch"

# --- generic ------------------------------------------------------------------------------------
REFUSED_TITLE = "Not done"
ERROR_TITLE = "Something went wrong"
ERROR_INTERNAL = "Something went wrong on my side. Nothing was changed; please try again later."
UNKNOWN_COMMAND = "I do not know the command {name!r}. Send {/help} to see what I can do."
# Discord: an interaction for a command (or options) this version no longer has, from a client
# that still shows an older command list.
STALE_COMMAND_TITLE = "Commands updated"
STALE_COMMAND = (
    "That command is from an older version of my command list. I have sent Discord the current "
    "one: reopen the command menu (or restart Discord if it still shows the old one) and send "
    "{/help} to see what I can do now."
)
UNKNOWN_ACTION = "That button is no longer valid. Run the command again."
DONE = "Done."
# In front of every message's title while the service reads no live exchange (exchange mode).
MODE_MARKERS = {"live": "", "testnet": "[testnet]", "simulator": "[simulator]"}

HELP_TITLE = "What I can do"
HELP_INTRO = (
    f"{PRODUCT} watches your cross-margin exchange accounts and warns you before liquidation. "
    "It only ever reads: link a read-only API key."
)
HELP_SECTION = {
    "private": "Your accounts (answered privately):",
    "member": "In a community:",
    "moderator": "Moderators:",
}

# --- argument parsing ---------------------------------------------------------------------------
ARGS_UNBALANCED_QUOTES = "A quote is not closed. Put quotes around a label with spaces."
ARGS_TOO_MANY = "Too many values. Usage: {usage}"
ARGS_UNKNOWN = "There is no option called {name}. Usage: {usage}"
ARGS_MISSING = "Please give the {name}. Usage: {usage}"
ARGS_NOT_A_CHOICE = "{value!r} is not a valid {name}. Choose one of: {allowed}."
ARGS_BAD_NUMBER = "{name} must be a whole number from {low} to {high}; not {value!r}."
ARGS_TOO_LONG = "{name} can be at most {limit} characters long; {value!r} is not."

# --- where and who ------------------------------------------------------------------------------
NEEDS_PRIVATE = (
    "This is about your own accounts, so I answer it only in a private chat with me. "
    "Send it to me directly."
)
NEEDS_COMMUNITY = "Use this in a community group or server, not in a private chat."
NEEDS_MODERATOR = "Only the community's moderators can do this."
COMMUNITY_DISABLED = "Alerts are switched off in this community by its moderators."
KEY_IN_GROUP_DELETED = (
    "{member}, your message looked like an API key or secret, so I deleted it from this group. "
    "Treat that key as exposed: delete it at the exchange and link a new one in a private chat "
    "with me."
)

# --- link ---------------------------------------------------------------------------------------
LINK_TITLE = "Link an account"
# The key form's title, longest first: a chat takes the first that fits its limit (Discord: 45).
LINK_FORM_TITLES = ("Link an account: {venue}", "Link {venue}")
LINK_ASK_VENUE = "Which exchange? Choose one of: {venues}."
LINK_ASK_FIELD = "Send your {field}. I delete your message as soon as I have read it."
LINK_FIELD_NAMES = {
    "api_key": "API key",
    "secret": "API secret",
    "passphrase": "API passphrase",
    "wallet_address": "wallet address",
}
LINK_READ_ONLY_HINT = (
    "Create a key with read permission only: no trading, no withdrawals. "
    "I refuse keys that can trade or withdraw where {venue} lets me check."
)
LINK_CANCELLED = "Linking cancelled. Nothing was saved."
LINK_UNKNOWN_VENUE = "I cannot watch {venue!r}. I support: {venues}."
# Any other exchange ccxt reads, by its ccxt id: linkable, read approximately.
LINK_GENERIC_VENUES = "or generic:<ccxt id> for another exchange ccxt reads (approximate)"
VENUE_GENERIC = "{id} through ccxt (approximate)"
LINK_VENUE_NOT_ALLOWED = "This community's moderators allow only: {venues}."
LINK_BAD_LABEL = (
    "A label is 1 to 32 letters, digits, spaces, dots, dashes or underscores, starting with a "
    "letter or digit; {label!r} is not."
)
LINK_LABEL_TAKEN = "You already have an account called {label}. Pick another label."
LINK_MISSING_FIELD = "{venue} needs your {field} too."
LINK_BAD_FIELD = "That {field} does not look right: it is empty or has spaces in it."
LINK_UNEXPECTED_FIELD = "{venue} does not use a {field}; leave it out."
LINK_TOO_MANY_ACCOUNTS = "You can link at most {limit} accounts. Unlink one first."
LINK_KEY_REFUSED = "I did not link the key: {reason}"
LINK_KEY_CANNOT_CHECK = (
    "{venue} does not tell me what a key may do, so make sure this one is read-only."
)
LINK_READ_FAILED = "I could not read the account: {reason} Nothing was saved."
LINK_DONE = "Linked {label} on {venue}. I will watch it and warn you here."
LINK_APPROXIMATE = "{venue} does not publish every figure I need; liquidation prices are estimates."

# --- accounts, unlink, delete -------------------------------------------------------------------
ACCOUNTS_TITLE = "Your accounts"
ACCOUNTS_NONE = "You have no linked accounts. Send {/link} to add one."
ACCOUNT_LINE = "{label} — {venue}: {status}"
ACCOUNT_UNKNOWN = "You have no account called {label!r}. Your accounts: {labels}."
ACCOUNT_NEEDED = "You have several accounts; say which: {labels}."
ACCOUNT_STATUS = {
    "ok": "watching",
    "active": "watching",
    "key_invalid": "key invalid or revoked",
    "exchange_down": "exchange not answering",
    "rate_limited": "slowed down by the exchange",
    "stale": "data stale",
    "paused": "paused",
    "error": "reading failed",
}
UNLINK_CONFIRM = (
    "Unlink {label}? Its key, alert settings and history are deleted for good. "
    "Run {/unlink:account={label} confirm=yes} or press the button."
)
UNLINK_BUTTON = "Unlink {label}"
UNLINK_DONE = "Unlinked {label}. Its key, settings and history are deleted."
DELETE_CONFIRM = (
    "This deletes all your accounts, keys, alert settings, subscriptions and history, here and "
    "in every community. Run {/deletemydata:confirm=yes} or press the button."
)
DELETE_BUTTON = "Delete everything"
DELETE_DONE = "All your data is deleted: {accounts} accounts and everything about them."
DELETE_NOTHING = "I hold no data about you."
NOT_A_BOOLEAN = "{name} must be yes or no, not {value!r}."

# --- status and positions -----------------------------------------------------------------------
STATUS_TITLE = "{label} — {venue}"
STATUS_STATE = {
    "ok": "Healthy",
    "warning": "Watch: drifting toward a margin call",
    "margin_call": "Margin call",
    "liquidation": "At liquidation",
}
# When the user's own thresholds judge the account worse than the venue's state does.
STATUS_BY_YOUR_LEVELS = {
    "watch": "Watch: within your warning distance of liquidation",
    "margin_call": "Margin call by your own levels",
    "critical": "Critical: within your critical distance of liquidation",
}
STATUS_EQUITY = "Equity"
STATUS_MAINTENANCE = "Maintenance margin"
STATUS_LEVERAGE = "Effective leverage"
STATUS_RATIO = "{ratio}"
STATUS_RATIO_LEVELS = "margin call at {call}, liquidation at {liquidation}"
STATUS_MOVE_CALL = "Move to margin call"
STATUS_MOVE_LIQUIDATION = "Move to liquidation"
STATUS_NO_MOVE = "no uniform move"
STATUS_MOVE_REACHED = "already reached"
STATUS_NO_POSITIONS = "No open positions."
STATUS_APPROXIMATE = "Estimated: {venue} does not publish every figure."
STATUS_NOTE = "Note: {note}"
STATUS_VENUE_REPORTS = "Exchange's own figure"
STATUS_READ_FAILED = "I could not read {label}: {reason}"
STATUS_AS_OF = "As of {time} UTC"
STATUS_SNOOZED = "Reminders snoozed until {until} UTC."
# When the exchange's request limits stretch the account's cadence (the reason, in the logs and
# /healthz, names the limit).
STATUS_CADENCE_LIMITED = "Read every {every}: {exchange} limits how often it may be asked."
POSITIONS_TITLE = "{label} — liquidation prices"
POSITION_LINE = "#{rank} {symbol} {side}: liquidation {liquidation}, {distance} the mark {mark}"
POSITION_LINE_NO_LIQ = "#{rank} {symbol} {side}: no liquidation price (mark {mark})"
POSITION_REPORTED = "{venue} reports {price}"
POSITION_ISOLATED = "isolated: on its own margin"
# Pools the venue judges on their own (risk Health.pools): each isolated position, and each
# other coin's pool of an account kept in several (Binance COIN-M).
POOL_ISOLATED = (
    "Isolated {symbol} {side}{state}: liquidation {liquidation}, {distance} the mark; "
    "its own {ratio_name} {ratio}, {leverage} on its margin"
)
POOL_ISOLATED_NO_LIQ = (
    "Isolated {symbol} {side}{state}: no liquidation price; its own {ratio_name} {ratio}, "
    "{leverage} on its margin"
)
POOL_ISOLATED_STATE = " ({state})"  # only when the position's own state is not healthy
POOL_COIN = (
    "{coin} pool: {state}; {ratio_name} {ratio}; equity {equity}; move to liquidation: {move}"
)
POOL_COIN_TITLE = "{coin} pool ({state}, {ratio_name} {ratio}):"
POSITIONS_ACCOUNT_MOVE = (
    "Whole account: a {call} of every price reaches margin call; a {liquidation} liquidates."
)
POSITIONS_ACCOUNT_PAST_CALL = (
    "Whole account: past margin call now; a {liquidation} of every price liquidates."
)
POSITIONS_ACCOUNT_AT_LIQUIDATION = "Whole account: at the venue's liquidation level now."
POSITIONS_ACCOUNT_NO_MOVE = "Whole account: no uniform move of every price reaches its levels."
SIDE_LONG = "long"
SIDE_SHORT = "short"
RATIO_NAMES = {
    "margin_level": "Margin level",
    "margin_ratio": "Margin ratio",
    "maintenance_ratio": "Maintenance ratio",
    "mm_rate": "Maintenance margin rate",
    "account_mm_rate": "Account MM rate",
    "mgn_ratio": "Margin ratio",
}
BUTTON_REFRESH = "Refresh"
BUTTON_POSITIONS = "Positions"
BUTTON_SNOOZE = "Snooze {duration}"
BUTTON_UNSNOOZE = "Unsnooze"

# --- thresholds ---------------------------------------------------------------------------------
ALERTS_TITLE = "Alerts for {label}"
ALERTS_WATCH_NAME = "Watch"
ALERTS_CRITICAL_NAME = "Critical"
ALERTS_WATCH = "when a {move} move would liquidate"
ALERTS_WATCH_LEVEL = "at {ratio} {level}"
ALERTS_WATCH_DEFAULT = "at the venue's warning level, {ratio} {level}"
ALERTS_CRITICAL = "when a {move} move would liquidate"
ALERTS_VENUE_LEVELS = "{venue}: margin call at {call}, liquidation at {liquidation}"
ALERTS_SAVED = "Saved. I warn you by these thresholds from the next check."
ALERTS_BAD_PERCENT = (
    "{name} must be a percentage between {low} and {high}, like 15%; not {value!r}."
)
ALERTS_BAD_LEVEL = (
    "The level must be a number as {venue} shows its {ratio}, like {example}; not {value!r}."
)
ALERTS_LEVEL_OUTSIDE = (
    "A watch level for {venue} must lie between liquidation ({liquidation}) and a safe {far};"
    " {value} does not."
)
ALERTS_ORDER = "Critical ({critical}) must be closer to liquidation than watch ({watch})."

# --- snooze, digest, share ----------------------------------------------------------------------
SNOOZE_DONE = "Reminders for {label} snoozed until {until} UTC. Critical alerts still come."
SNOOZE_BAD = "Snooze for 5m to 7d, like 30m, 4h or 1d; not {value!r}."
UNSNOOZE_DONE = "Reminders for {label} are back on."
UNSNOOZE_NOT_SNOOZED = "{label} was not snoozed."
DIGEST_TITLE = "Digest for {label}"
DIGEST_OFF = (
    "No digest. Set one with "
    "{/digest:account={label} schedule=daily time=08:00 timezone=Europe/Berlin}."
)
DIGEST_ON_DAILY = "Every day at {time} ({timezone})."
DIGEST_ON_WEEKLY = "Every {weekday} at {time} ({timezone})."
DIGEST_BAD_TIME = "The time must be HH:MM in 24-hour form, like 08:30; not {value!r}."
DIGEST_BAD_TIMEZONE = "I do not know the time zone {value!r}. Use a name like Europe/Berlin."
DIGEST_TIMEZONE_GUESS = "Did you mean {zones}?"
DIGEST_TIMEZONE_OR = " or "
SHARE_TITLE = "Sharing for {label}"
# What a member's shared alerts in a community channel show (the store's share levels).
SHARE_LEVEL_NAMES = {
    "none": "nothing (alerts stay private)",
    "state": "alert level only",
    "ratio": "level, margin ratio and distance to liquidation",
    "positions": "level, ratio, distance and liquidation prices",
}
SHARE_NOW = "In community channels your alerts show: {level}."
SHARE_SAVED = "Saved. Community channels now see: {level}. Never balances."

# --- community membership -----------------------------------------------------------------------
SUBSCRIBE_DONE = "{label}'s alerts now go to this community's alert channel too, showing: {level}."
SUBSCRIBE_NO_CHANNEL = (
    "This community has no alert channel yet; a moderator can set one with {/setalerts}."
)
SUBSCRIBE_ALREADY = "{label} already sends alerts to this community."
SUBSCRIBE_SHARES_NOTHING = (
    "{label} shares nothing yet, so the channel would only see that it exists. "
    "Choose what to share with {/share} first."
)
UNSUBSCRIBE_DONE = "{label} no longer sends alerts to this community."
UNSUBSCRIBE_NOT = "{label} does not send alerts to this community."

# --- moderators ---------------------------------------------------------------------------------
SETALERTS_DONE = "Shared alerts of this community now go to {channel}."
# /setalerts <chat>: a chat other than the one typed in is checked first (ChatTarget).
SETALERTS_UNCHECKED = (
    "I cannot check another chat from here: send {/setalerts} in the chat that should get the "
    "alerts."
)
SETALERTS_NOT_FOUND = (
    "I cannot see that chat: add me to it first (or check how you named it: its id, or a "
    "public chat's @username), then try again."
)
SETALERTS_PRIVATE = "Shared alerts go to a group or a channel, never to a private chat."
SETALERTS_OTHER_COMMUNITY = (
    "That channel is not part of this community: its alerts can only go to one of its own channels."
)
SETALERTS_NOT_ADMIN = (
    "Only an administrator of {channel} can send this community's alerts there, and you are not "
    "one: ask one of them, or pick a chat you administer."
)
SETALERTS_BOT_CANNOT_POST = (
    "I cannot post in {channel}: let me send messages there (in a channel, make me an "
    "administrator who may post), then try again."
)
SETTINGS_TITLE = "Community settings"
SETTINGS_ALERT_CHANNEL = "Alert channel"
SETTINGS_NO_CHANNEL = "not set"
SETTINGS_DEFAULT_WATCH = "Default watch"
SETTINGS_DEFAULT_CRITICAL = "Default critical"
SETTINGS_VENUES = "Allowed venues"
SETTINGS_DEFAULT_SHARE = "Members share by default"
SETTINGS_ALL_VENUES = "all"
SETTINGS_ENABLED = "Shared alerts"
SETTINGS_ON = "on"
SETTINGS_OFF = "off"
SETTINGS_SAVED = "Saved."
SETTINGS_ROLE = "Moderator role"
SETTINGS_NO_ROLE = "none (Manage Server only)"
SETTINGS_ROLE_NOT_HERE = (
    "Moderators here are the group's administrators; a moderator role applies only on Discord."
)
SETTINGS_BAD_ROLE = "Give the role itself (or none), not {value!r}."
SETTINGS_BAD_VENUE = "{venue!r} is not a venue I support. I support: {venues}."
SUBSCRIBERS_TITLE = "Subscribers"
SUBSCRIBERS_NONE = "Nobody sends alerts to this community yet."
SUBSCRIBER_LINE = "{member} — {label} on {venue} (shares: {level})"
REMOVE_DONE = "Removed {count} subscription(s) of {member} from this community."
REMOVE_NONE = "{member} sends no alerts to this community."
REMOVE_BAD_MEMBER = "Name the member to remove."
AUDIT_TITLE = "Moderator audit log"
AUDIT_NONE = "No moderator actions yet."
AUDIT_LINE = "{time} {actor}: {action} {detail}"

# --- charts -------------------------------------------------------------------------------------
CHART_TITLE = "{label} — margin health"
CHART_HEADLINE = "{label} — {venue}"
CHART_STATE_LINE = "{state}: {now}"
CHART_NOW_MOVE = "a {move} of every price liquidates"
CHART_NOW_AT_LIQUIDATION = "at the venue's liquidation level"
CHART_NOW_NO_MOVE = "no price move liquidates it"
# The pool nearest liquidation, where the account keeps pools judged on their own.
CHART_NOW_POOL = "a {move} of every price liquidates {pool}"
CHART_NOW_ISOLATED = "a {move} of its price liquidates {pool}"
CHART_NOW_POOL_AT_LIQUIDATION = "{pool} at the venue's liquidation level"
CHART_STATE_POOL = "{state}: a {move} liquidates {pool}"  # the title's, short for a phone
CHART_STATE_POOL_AT_LIQUIDATION = "{state}: {pool} at liquidation"
CHART_MOVE_AXIS_POOLS = "move that liquidates the nearest pool (%)"
POOL_NAME_ISOLATED = "isolated {symbol} {side}"
POOL_NAME_COIN = "the {coin} pool"
POOL_NAME_CROSS = "the cross positions"
POOL_NAME_SHORT_ISOLATED = "isolated {base} {side}"  # a chart's title and line labels
POOL_NAME_SHORT_COIN = "{coin} pool"
POOL_NAME_SHORT_CROSS = "cross positions"
CHART_LEVEL_NAMES = {
    "ok": "Safe",
    "watch": "WATCH",
    "margin_call": "MARGIN CALL",
    "critical": "CRITICAL",
}
CHART_MOVE_AXIS_SHORT = "move of every price that liquidates (%)"
CHART_RATIO_AXIS = "{ratio}{unit}"
CHART_RATIO_SAFER_UP = "(safer upwards)"
CHART_TIME_AXIS = "time ({timezone})"
CHART_LIQUIDATION = "liquidation"
CHART_MARGIN_CALL = "margin call"
CHART_WARNING = "warning"
CHART_YOUR_WATCH_LEVEL = "your watch level"
CHART_YOUR_CRITICAL_LEVEL = "your critical level"
CHART_CRITICAL_BAND = "critical: within {move}"
CHART_WATCH_BAND = "watch: within {move}"
CHART_ALERT_MARKER = "alert sent"
CHART_NO_POSITIONS = "no open positions: nothing to liquidate"
CHART_CAPTION_NOW = "{label} on {venue}: {state}, {now}."
CHART_CAPTION_LEVELS = "Your levels: critical within {critical}{watch}."
CHART_CAPTION_WATCH = ", watch within {watch}"
CHART_CAPTION_RATIO = "{ratio} {value} (margin call at {call}, liquidation at {liquidation})."
CHART_CAPTION_SPAN = (
    "Last {days} day(s): closest to liquidation {closest} ({at}), farthest {farthest}; "
    "{alerts} alert(s) sent. Times in {timezone}."
)
CHART_CAPTION_POOLS = (
    "The line follows whichever of the account's pools is nearest liquidation: {pools}."
)
CHART_CAPTION_CLOSEST_WAS = "{closest} was {pool}"
CHART_CAPTION_SPAN_NO_MOVE = "Last {days} day(s): {alerts} alert(s) sent. Times in {timezone}."
CHART_NO_HISTORY = "No history for {label} yet; I record one point per check."

# --- alerts (rendered by the monitor into outbox messages) --------------------------------------
ALERT_TITLE = {
    "ok": "{label}: back to safety",
    "watch": "{label}: watch",
    "margin_call": "{label}: MARGIN CALL",
    "critical": "{label}: CRITICAL — close to liquidation",
}
ALERT_REMINDER = "Reminder: still at this level at {at} UTC."
ALERT_ESCALATION_FROM = "Was {previous} before."
ALERT_RECOVERY = "Improved from {previous}."
ALERT_RATIO = "{ratio_name}: {ratio}"
ALERT_MOVE = "A {move} of every price would liquidate the account."
ALERT_AT_LIQUIDATION = "The account is at the venue's liquidation level now."
ALERT_POOL_ISOLATED = "Isolated {symbol}: a {move} of its price liquidates it."
ALERT_POOL_ISOLATED_NOW = "Isolated {symbol} is at its liquidation level now."
ALERT_POOL_ISOLATED_HIDDEN = "An isolated position: a {move} of its price liquidates it."
ALERT_POOL_ISOLATED_HIDDEN_NOW = "An isolated position is at its liquidation level now."
ALERT_POOL_COIN = "{coin} pool: {ratio_name} {ratio}; a {move} of every price liquidates it."
ALERT_POOL_COIN_NOW = "{coin} pool: {ratio_name} {ratio}, at the venue's liquidation level now."
ALERT_APPROXIMATE = "Estimated: the exchange does not publish every figure."
ALERT_FEED_TITLE = {
    "data_stale": "{label}: data stale",
    "key_invalid": "{label}: key invalid or revoked",
    "exchange_down": "{label}: {venue} is not answering",
    "feed_restored": "{label}: reading again",
}
ALERT_FEED_LINE = {
    "data_stale": "The last checks of {venue} failed ({problem}); alerts resume when it answers.",
    "key_invalid": (
        "{venue} refused the read-only key ({problem}). I cannot watch this account until you "
        "link a working key with {/link}."
    ),
    "exchange_down": "The last checks of {venue} failed; alerts resume when it answers.",
    "feed_restored": "{venue} answers again; the alerts above this line are current.",
}
ALERT_VANISHED_TITLE = "{label}: {symbol} is gone"
ALERT_VANISHED_TITLE_HIDDEN = "{label}: a position is gone"
ALERT_VANISHED = "It was open at the last check and is not now: closed by you, or liquidated."
ALERT_LEVEL_NAMES = {
    "ok": "safe",
    "watch": "watch",
    "margin_call": "margin call",
    "critical": "critical",
}
ALERT_COALESCED_TITLE = "{first} (+{more} more)"
ALERT_OWNER = "{owner}'s {label}"
ALERT_SUBSCRIPTION_DISABLED = (
    "I can no longer post {label}'s alerts to {where} ({reason}), so I stopped sending them there."
)

ALERTS_UNDELIVERED = (
    "{count} alert(s) for {label} could not be delivered to {where} within {hours} h and were "
    "dropped; check that I can still post there."
)
# A message the chat's platform refused for good (sent alone): the owner is told privately.
ALERT_REFUSED_TITLE = "{label}: an alert could not be shown"
ALERT_REFUSED = (
    "An alert for {label} ({level}) was refused by {where} and could not be shown. "
    "{/status:account={label}} shows the account now."
)
MESSAGE_REFUSED_TITLE = "{label}: a message could not be shown"
MESSAGE_REFUSED = (
    "A message for {label} was refused by {where} and could not be shown. "
    "{/status:account={label}} shows the account now."
)

# --- flood control (bot.core.flood) -------------------------------------------------------------
SLOW_DOWN_TITLE = "Slow down"
SLOW_DOWN = (
    "You sent me many commands in a short time. I ignore the next ones for {seconds} s, "
    "then answer again."
)

# --- digests -----------------------------------------------------------------------------------
DIGEST_MESSAGE_TITLE = "Digest — {label}"
DIGEST_NO_DATA = "No fresh figures for {label}: {reason}"
# The pool nearest liquidation when it is not the account's own (an isolated position, another
# coin's pool), and the closest the account came since the previous digest (its history).
DIGEST_NEAREST_ISOLATED = (
    "Nearest liquidation: {pool}; a {move} of its price liquidates it (its own {ratio_name} "
    "{ratio})."
)
DIGEST_NEAREST_POOL = (
    "Nearest liquidation: {pool}; a {move} of every price liquidates it ({ratio_name} {ratio})."
)
DIGEST_NEAREST_AT_LIQUIDATION = "Nearest liquidation: {pool}, at the venue's liquidation level."
DIGEST_CLOSEST_SINCE = (
    "Closest to liquidation since {since}: {closest}{pool}, at {at} ({timezone})."
)
DIGEST_CLOSEST_POOL = " ({pool})"
POOL_NAME_HIDDEN = "an isolated position"  # where the destination may not see positions

# Delivery and digests (worded for the monitor by bot.core.presenter).
GONE_WHERE = "a {platform} chat"  # "… could not be delivered to a Telegram chat"
PLATFORM_NAMES = {"discord": "Discord", "telegram": "Telegram", "console": "console"}

# --- how a chat without mentions names a channel, a role or a person ---------------------------
REF_CHANNEL_HERE = "this chat"
REF_TOPIC_HERE = "this topic"
REF_CHANNEL_OTHER = "another chat"
REF_ROLE = "the chosen role"
REF_MEMBER = "a member"
NO_READ_YET = "no successful read yet"  # why a digest has no figures
