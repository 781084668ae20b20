"""The one command registry: every chat builds its commands, /help and the README rows from it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.core import texts
from bot.core.messages import Refusal


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
    INTEGER = "integer"
    PERCENT = "percent"  # "15", "15%" or "15.5 %"
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
    name: str
    type: ArgType
    description: str
    required: bool = False
    choices: tuple[Choice, ...] = ()


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
# What a member's shared alerts in a community channel show; balances are never shared.
SHARE_CHOICES = _choices(
    ("none", "nothing (alerts stay private)"),
    ("state", "alert level only"),
    ("ratio", "level, margin ratio and distance to liquidation"),
    ("positions", "level, ratio, distance and liquidation prices"),
)
SHARE_LEVELS: tuple[str, ...] = tuple(c.value for c in SHARE_CHOICES)

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
            Argument("label", ArgType.TEXT, "A short name for this account (default: the venue)"),
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
        (_ACCOUNT, Argument("days", ArgType.INTEGER, "How many days back (1-90)")),
    ),
    Command(
        "alerts",
        "Show or set when you are warned",
        Audience.PRIVATE,
        UseCase.ALERTS,
        (
            _ACCOUNT,
            Argument(
                "watch",
                ArgType.PERCENT,
                "Warn when a price move of this % would liquidate you (e.g. 20%)",
            ),
            Argument(
                "critical",
                ArgType.PERCENT,
                "Alert loudly when a move of this % would liquidate you (e.g. 5%)",
            ),
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
            Argument("watch", ArgType.PERCENT, "Default watch distance to liquidation, %"),
            Argument("critical", ArgType.PERCENT, "Default critical distance to liquidation, %"),
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
            Argument("account", ArgType.TEXT, "Only this account label (default: all)"),
        ),
    ),
    Command(
        "audit",
        "Show the community's moderator audit log",
        Audience.MODERATOR,
        UseCase.AUDIT_LOG,
        (Argument("limit", ArgType.INTEGER, "How many entries (1-50, default 20)"),),
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
    """One ``/usage — description`` line per command, grouped by audience."""
    lines: list[str] = []
    for audience in Audience:
        if audience not in set(audiences):
            continue
        cmds = commands_for(platform, (audience,))
        if not cmds:
            continue
        lines.append(texts.HELP_SECTION[audience.value])
        lines.extend(f"{c.usage} — {c.description}" for c in cmds)
    return tuple(lines)


def readme_rows() -> tuple[str, ...]:
    """The README's command table: one Markdown row per command, header first."""
    rows = ["| Command | Who | What it does |", "|---|---|---|"]
    for c in COMMANDS:
        rows.append(f"| `{c.usage}` | {c.audience.value} | {c.description} |")
    return tuple(rows)


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
            raise Refusal(texts.ARGS_TOO_MANY.format(usage=cmd.usage))
        values[names[position]] = token
        position += 1
    return values


def check_arguments(cmd: Command, values: Mapping[str, str | None]) -> None:
    """Refuse unknown arguments, missing required ones, and values outside fixed choices."""
    known = {a.name: a for a in cmd.arguments}
    for name in values:
        if name not in known:
            raise Refusal(texts.ARGS_UNKNOWN.format(name=name, usage=cmd.usage))
    for arg in cmd.arguments:
        value = values.get(arg.name)
        if value is None or value == "":
            if arg.required:
                raise Refusal(texts.ARGS_MISSING.format(name=arg.name, usage=cmd.usage))
            continue
        if (
            arg.type is ArgType.CHOICE
            and arg.choices
            and value.lower() not in {c.value for c in arg.choices}
        ):
            allowed = ", ".join(c.value for c in arg.choices)
            raise Refusal(
                texts.ARGS_NOT_A_CHOICE.format(name=arg.name, value=value, allowed=allowed)
            )
