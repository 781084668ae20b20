"""The one command registry: every chat builds its commands, /help and the README rows from it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.core import texts
from bot.core.messages import Refusal
from bot.core.refs import CommandRef, Text, fill
from bot.store.records import SHARE_LEVELS


class Audience(StrEnum):
    """Who may run a command, and where its answer goes.

    - ``private``: the caller's own accounts; answered only where the caller alone reads it
      (Telegram private chat; Discord ephemeral reply or DM).
    - ``member``: any member, inside a community (group/server), about their own subscription.
    - ``moderator``: community moderators, checked by the adapter at run time on every call.
    """

    PRIVATE = "private"
    MEMBER = "member"
    MODERATOR = "moderator"


class ArgType(StrEnum):
    """What an argument holds. Adapters map these to their own option types; core always
    receives the value as a string and validates it itself, so both chats refuse alike."""

    TEXT = "text"
    INTEGER = "integer"  # a whole number within [minimum, maximum]
    PERCENT = "percent"  # "15", "15%" or "15.5 %", within [minimum, maximum] percent
    LEVEL = "level"  # a level in the venue's own ratio, as the venue shows it ("120%", "0.8")
    CHOICE = "choice"  # one of ``choices``
    ACCOUNT = "account"  # one of the caller's account labels (autocomplete: Core.account_labels)
    VENUE = "venue"  # one of the supported venues (choices: Core.venues, id -> VenueInfo.label)
    VENUES = "venues"  # a comma-separated list of venues, or "all"
    DURATION = "duration"  # "30m", "4h", "1d"
    TIME = "time"  # "HH:MM", 24-hour
    TIMEZONE = "timezone"  # IANA name: "Europe/Berlin"
    USER = "user"  # a platform user id (Discord member option; Telegram @mention or id)
    CHANNEL = "channel"  # a channel id (Discord channel option); default: where typed
    ROLE = "role"  # a Discord role id (role option); "none" clears it
    BOOLEAN = "boolean"  # on/off, yes/no, true/false


class UseCase(StrEnum):
    """What a command runs: one :class:`bot.core.usecases.Core` method each.

    ``bot.core.usecases.HANDLERS`` maps every member to its method explicitly, so renaming a
    method or a member fails when that module is imported (and in ``tests/core/test_registry``),
    not when a user first sends the command.
    """

    HELP = "help"
    LINK = "link"
    LIST_ACCOUNTS = "list_accounts"
    UNLINK = "unlink"
    STATUS = "status"
    POSITIONS = "positions"
    CHART = "chart"
    ALERTS = "alerts"
    SNOOZE = "snooze"
    UNSNOOZE = "unsnooze"
    DIGEST = "digest"
    SHARE = "share"
    DELETE_MY_DATA = "delete_my_data"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    SET_ALERT_CHANNEL = "set_alert_channel"
    COMMUNITY_SETTINGS = "community_settings"
    LIST_SUBSCRIBERS = "list_subscribers"
    REMOVE_SUBSCRIBER = "remove_subscriber"
    AUDIT_LOG = "audit_log"


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value: ``value`` is what core receives, ``label`` what the user sees."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Argument:
    """One option of a command. ``minimum``/``maximum`` bound a number (Discord's client enforces
    them too; core checks them on every chat), ``max_length`` a text."""

    name: str
    type: ArgType
    description: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """One command as every chat offers it.

    ``usecase`` is the :class:`UseCase` that runs it; every argument is passed to its method by
    name as ``str | None``. ``slow`` marks commands that talk to an exchange
    (Discord must defer first). ``platforms`` limits a command to some chats (``/start`` is a
    Telegram convention).
    """

    name: str
    description: str
    audience: Audience
    usecase: UseCase
    arguments: tuple[Argument, ...] = ()
    slow: bool = False
    platforms: frozenset[str] = frozenset({"discord", "telegram", "console"})

    @property
    def usage(self) -> str:
        """``/alerts [account] [watch] …``: required arguments in <>, optional in []."""
        parts = [f"/{self.name}"]
        for arg in self.arguments:
            parts.append(f"<{arg.name}>" if arg.required else f"[{arg.name}]")
        return " ".join(parts)


def _choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, label) for value, label in pairs)


# The bounds of every number a command takes, in the units the user types them.
LABEL_MAX = 32  # an account label (see LINK_BAD_LABEL)
WATCH_PERCENT = (1.0, 90.0)  # "warn when a move of X % would liquidate me"
CRITICAL_PERCENT = (0.5, 50.0)
CHART_DAYS = (1, 90)
CHART_DAYS_DEFAULT = 7
AUDIT_ENTRIES = (1, 50)
AUDIT_ENTRIES_DEFAULT = 20


SNOOZE_CHOICES = _choices(("1h", "1 hour"), ("4h", "4 hours"), ("24h", "24 hours"))
SCHEDULE_CHOICES = _choices(("off", "off"), ("daily", "daily"), ("weekly", "weekly"))
WEEKDAY_CHOICES = _choices(
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
# What a member's shared alerts in a community channel show (the store's one vocabulary, least
# to most); balances are never shared.
SHARE_CHOICES = tuple(Choice(level, texts.SHARE_LEVEL_NAMES[level]) for level in SHARE_LEVELS)


def _watch(description: str) -> Argument:
    return Argument(
        "watch",
        ArgType.PERCENT,
        description,
        minimum=WATCH_PERCENT[0],
        maximum=WATCH_PERCENT[1],
    )


def _critical(description: str) -> Argument:
    return Argument(
        "critical",
        ArgType.PERCENT,
        description,
        minimum=CRITICAL_PERCENT[0],
        maximum=CRITICAL_PERCENT[1],
    )


_ACCOUNT = Argument("account", ArgType.ACCOUNT, "Which of your accounts (its label)")
_ACCOUNT_REQUIRED = Argument(
    "account", ArgType.ACCOUNT, "Which of your accounts (its label)", required=True
)

COMMANDS: tuple[Command, ...] = (
    # --- the caller's own accounts (private) -----------------------------------------------------
    Command(
        "start",
        "Say hello and show what I can do",
        Audience.PRIVATE,
        UseCase.HELP,
        platforms=frozenset({"telegram", "console"}),
    ),
    Command("help", "Show the commands you can use", Audience.PRIVATE, UseCase.HELP),
    Command(
        "link",
        "Link an exchange account with a read-only API key",
        Audience.PRIVATE,
        UseCase.LINK,
        (
            Argument("venue", ArgType.VENUE, "The exchange", required=True),
            Argument(
                "label",
                ArgType.TEXT,
                "A short name for this account (default: the venue)",
                max_length=LABEL_MAX,
            ),
        ),
        slow=True,
    ),
    Command("accounts", "List your linked accounts", Audience.PRIVATE, UseCase.LIST_ACCOUNTS),
    Command(
        "unlink",
        "Unlink an account and delete its key and history",
        Audience.PRIVATE,
        UseCase.UNLINK,
        (_ACCOUNT_REQUIRED, Argument("confirm", ArgType.BOOLEAN, "Yes, delete it now")),
    ),
    Command(
        "status",
        "Show an account's margin health now",
        Audience.PRIVATE,
        UseCase.STATUS,
        (_ACCOUNT,),
        slow=True,
    ),
    Command(
        "positions",
        "Show liquidation prices and distances of your positions",
        Audience.PRIVATE,
        UseCase.POSITIONS,
        (_ACCOUNT,),
        slow=True,
    ),
    Command(
        "chart",
        "Chart an account's margin health over time",
        Audience.PRIVATE,
        UseCase.CHART,
        (
            _ACCOUNT,
            Argument(
                "days",
                ArgType.INTEGER,
                f"How many days back ({CHART_DAYS[0]}-{CHART_DAYS[1]}, "
                f"default {CHART_DAYS_DEFAULT})",
                minimum=CHART_DAYS[0],
                maximum=CHART_DAYS[1],
            ),
        ),
    ),
    Command(
        "alerts",
        "Show or set when you are warned",
        Audience.PRIVATE,
        UseCase.ALERTS,
        (
            _ACCOUNT,
            _watch("Warn when a price move of this % would liquidate you (e.g. 20)"),
            _critical("Alert loudly when a move of this % would liquidate you (e.g. 5)"),
            Argument(
                "level",
                ArgType.LEVEL,
                "Or warn at this level of the venue's own ratio (e.g. 120% on Kraken)",
            ),
        ),
    ),
    Command(
        "snooze",
        "Pause routine reminders (critical alerts still come)",
        Audience.PRIVATE,
        UseCase.SNOOZE,
        (
            _ACCOUNT,
            Argument(
                "duration",
                ArgType.DURATION,
                "For how long: 1h, 4h, 24h (default 1h)",
                choices=SNOOZE_CHOICES,
            ),
        ),
    ),
    Command("unsnooze", "Resume reminders now", Audience.PRIVATE, UseCase.UNSNOOZE, (_ACCOUNT,)),
    Command(
        "digest",
        "Get a liquidation-price summary every day or week",
        Audience.PRIVATE,
        UseCase.DIGEST,
        (
            _ACCOUNT,
            Argument("schedule", ArgType.CHOICE, "off, daily or weekly", choices=SCHEDULE_CHOICES),
            Argument("time", ArgType.TIME, "Local time, HH:MM (24-hour)"),
            Argument("timezone", ArgType.TIMEZONE, "Your time zone, e.g. Europe/Berlin"),
            Argument(
                "weekday",
                ArgType.CHOICE,
                "Day of the week for weekly digests",
                choices=WEEKDAY_CHOICES,
            ),
        ),
    ),
    Command(
        "share",
        "Choose what your alerts in a community channel show",
        Audience.PRIVATE,
        UseCase.SHARE,
        (_ACCOUNT, Argument("level", ArgType.CHOICE, "What to share", choices=SHARE_CHOICES)),
    ),
    Command(
        "deletemydata",
        "Delete all your accounts, keys, settings and history",
        Audience.PRIVATE,
        UseCase.DELETE_MY_DATA,
        (Argument("confirm", ArgType.BOOLEAN, "Yes, delete everything now"),),
    ),
    # --- a member, inside a community ------------------------------------------------------------
    Command(
        "subscribe",
        "Send your account's alerts to this community's alert channel",
        Audience.MEMBER,
        UseCase.SUBSCRIBE,
        (_ACCOUNT,),
    ),
    Command(
        "unsubscribe",
        "Stop sending your account's alerts to this community",
        Audience.MEMBER,
        UseCase.UNSUBSCRIBE,
        (_ACCOUNT,),
    ),
    # --- moderators ------------------------------------------------------------------------------
    Command(
        "setalerts",
        "Make this channel (or topic) the community's alert channel",
        Audience.MODERATOR,
        UseCase.SET_ALERT_CHANNEL,
        (Argument("channel", ArgType.CHANNEL, "The channel (default: this one)"),),
    ),
    Command(
        "settings",
        "Show or change the community's defaults, venues and on/off switch",
        Audience.MODERATOR,
        UseCase.COMMUNITY_SETTINGS,
        (
            _watch("Default watch distance to liquidation, %"),
            _critical("Default critical distance to liquidation, %"),
            Argument("venues", ArgType.VENUES, "Allowed venues, comma-separated, or 'all'"),
            Argument("enabled", ArgType.BOOLEAN, "Whether shared alerts are posted here"),
            Argument(
                "share",
                ArgType.CHOICE,
                "What members' alerts show here unless they choose",
                choices=SHARE_CHOICES,
            ),
            Argument(
                "role", ArgType.ROLE, "Discord: a role whose members may use moderator commands"
            ),
        ),
    ),
    Command(
        "subscribers",
        "List who sends alerts to this community (no balances)",
        Audience.MODERATOR,
        UseCase.LIST_SUBSCRIBERS,
    ),
    Command(
        "remove",
        "Remove a member's alerts from this community",
        Audience.MODERATOR,
        UseCase.REMOVE_SUBSCRIBER,
        (
            Argument("member", ArgType.USER, "The member", required=True),
            Argument(
                "account",
                ArgType.TEXT,
                "Only this account label (default: all)",
                max_length=LABEL_MAX,
            ),
        ),
    ),
    Command(
        "audit",
        "Show the community's moderator audit log",
        Audience.MODERATOR,
        UseCase.AUDIT_LOG,
        (
            Argument(
                "limit",
                ArgType.INTEGER,
                f"How many entries ({AUDIT_ENTRIES[0]}-{AUDIT_ENTRIES[1]}, "
                f"default {AUDIT_ENTRIES_DEFAULT})",
                minimum=AUDIT_ENTRIES[0],
                maximum=AUDIT_ENTRIES[1],
            ),
        ),
    ),
)

_BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}


def command(name: str) -> Command:
    """The command called ``name`` (without the slash); KeyError if none."""
    return _BY_NAME[name.lstrip("/").lower()]


def commands_for(
    platform: str, audiences: Iterable[Audience] = tuple(Audience)
) -> tuple[Command, ...]:
    """The commands a platform offers to the given audiences, in registry order."""
    wanted = set(audiences)
    return tuple(c for c in COMMANDS if platform in c.platforms and c.audience in wanted)


def help_lines(platform: str, audiences: Iterable[Audience] = tuple(Audience)) -> tuple[str, ...]:
    """One ``usage — description`` line per command, grouped by audience; the usage is a
    command reference, so each chat shows its own spelling (``/margin status [account]``)."""
    lines: list[str] = []
    for audience in Audience:
        if audience not in set(audiences):
            continue
        cmds = commands_for(platform, (audience,))
        if not cmds:
            continue
        lines.append(texts.HELP_SECTION[audience.value])
        lines.extend(Text((CommandRef(c.name, usage=True), f" — {c.description}")) for c in cmds)
    return tuple(lines)


def usage_ref(cmd: Command) -> CommandRef:
    """The reference a refusal uses to show how ``cmd`` is typed."""
    return CommandRef(cmd.name, usage=True)


_KEY_VALUE = re.compile(r"^([a-z_]+)=(.*)$", re.DOTALL)


def parse_text_arguments(cmd: Command, text: str) -> dict[str, str]:
    """Arguments typed after a text command (Telegram, console): positional in registry order,
    or ``name=value``. Raises :class:`Refusal` with a sentence naming the problem."""
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise Refusal(texts.ARGS_UNBALANCED_QUOTES) from None
    values: dict[str, str] = {}
    names = [a.name for a in cmd.arguments]
    position = 0
    for token in tokens:
        match = _KEY_VALUE.match(token)
        if match and match.group(1) in names:
            values[match.group(1)] = match.group(2)
            continue
        while position < len(names) and names[position] in values:
            position += 1
        if position >= len(names):
            raise Refusal(fill(texts.ARGS_TOO_MANY, usage=usage_ref(cmd)))
        values[names[position]] = token
        position += 1
    return values


def check_arguments(cmd: Command, values: Mapping[str, str | None]) -> None:
    """Refuse unknown arguments, missing required ones, values outside fixed choices, numbers
    outside their range and texts over their length: the same rules Discord's client applies
    from the exported schema, so a typed Telegram command is held to them too."""
    known = {a.name: a for a in cmd.arguments}
    for name in values:
        if name not in known:
            raise Refusal(fill(texts.ARGS_UNKNOWN, name=name, usage=usage_ref(cmd)))
    for arg in cmd.arguments:
        value = values.get(arg.name)
        if value is None or value == "":
            if arg.required:
                raise Refusal(fill(texts.ARGS_MISSING, name=arg.name, usage=usage_ref(cmd)))
            continue
        if (
            arg.type is ArgType.CHOICE
            and arg.choices
            and value.strip().lower() not in {c.value for c in arg.choices}
        ):
            allowed = ", ".join(c.value for c in arg.choices)
            raise Refusal(
                fill(texts.ARGS_NOT_A_CHOICE, name=arg.name, value=value, allowed=allowed)
            )
        if arg.type is ArgType.INTEGER:
            whole_number(arg, value)
        if arg.max_length is not None and len(value.strip()) > arg.max_length:
            raise Refusal(
                fill(
                    texts.ARGS_TOO_LONG,
                    name=arg.name.capitalize(),
                    limit=arg.max_length,
                    value=value,
                )
            )


def whole_number(arg: Argument, value: str) -> int:
    """``value`` as an integer within the argument's range; a Refusal naming the range if not."""
    low, high = arg.minimum, arg.maximum
    text = value.strip()
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        raise Refusal(
            fill(
                texts.ARGS_BAD_NUMBER,
                name=arg.name.capitalize(),
                low=_number(low),
                high=_number(high),
                value=value,
            )
        )
    return number


def _number(bound: float | None) -> str:
    if bound is None:
        return "…"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def argument(command_name: str, name: str) -> Argument:
    """The argument ``name`` of command ``command_name``; KeyError if none."""
    return {a.name: a for a in command(command_name).arguments}[name]
