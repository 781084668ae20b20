"""Every setting marginwatch reads, in one place: environment, `.env` and a secrets directory.

Names are ``MARGINWATCH_`` + the field name in capitals. Values come, highest priority first,
from the process environment, then a ``.env`` file in the working directory, then one file per
setting in the secrets directory (``MARGINWATCH_SECRETS_DIR``, else systemd's
``$CREDENTIALS_DIRECTORY``, else ``/run/secrets`` when it exists), then the defaults below.
A secret file is named like the variable, e.g. ``marginwatch_master_keys``.

Use :func:`load_settings`: it turns every validation problem into a :class:`SettingsError` of
one sentence per setting that never contains a secret value. ``python -m bot.settings
env-example`` prints the ``.env.example`` that :meth:`Settings.describe` implies, ``markdown``
the README's table of settings, ``check`` what the current configuration resolves to.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bot.store.vault import Vault

ENV_PREFIX = "MARGINWATCH_"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_SECRETS_DIR = Path("/run/secrets")
# Where `marginwatch sim` listens by default (bot.sim.cli); the exchanges' own default too.
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8765"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# A Telegram token is "<bot id>:<secret>" as @BotFather prints it.
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class SettingsError(ValueError):
    """The configuration cannot be used; ``problems`` holds one sentence per bad setting."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class SettingDoc:
    """One setting as an operator sees it (for .env.example, the README and `--help`)."""

    env_name: str
    comment: str
    example: str  # a placeholder, never a real-looking secret
    default: str | None  # None: unset unless configured
    secret: bool


def _doc(comment: str, example: str, *, placeholder: bool = False) -> dict[str, Any]:
    """Field options: the comment and example of .env.example. ``placeholder``: the example is
    no usable value (a token, a key), so a setting still holding it is refused."""
    extra = {"example": example, "placeholder": placeholder}
    return {"description": comment, "json_schema_extra": extra}


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _http_url(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")
    return value


# Annotated, so the subset `marginwatch check` loads (ExchangeSettings) validates alike.
ExchangeModeName = Annotated[Literal["live", "testnet", "simulator"], BeforeValidator(_lower)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]


class Settings(BaseSettings):
    """The service's configuration. Secrets are SecretStr: they print as ``**********``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=False,
        # A ValidationError raised by Settings() itself must not carry a token in its text.
        hide_input_in_errors=True,
    )

    # --- chat front ends -------------------------------------------------------------------
    discord_token: SecretStr | None = Field(
        None,
        **_doc(
            "Discord bot token (Developer Portal > Bot > Reset Token); unset: no Discord",
            "paste-your-discord-bot-token-here",
            placeholder=True,
        ),
    )
    discord_alert_role: str = Field(
        "margin-alerts",
        **_doc(
            "name of the Discord role mentioned by shared critical alerts "
            "(nobody is mentioned where a server has no such role)",
            "margin-alerts",
        ),
    )
    telegram_token: SecretStr | None = Field(
        None,
        **_doc(
            "Telegram bot token from @BotFather; unset: no Telegram",
            "123456:paste-your-telegram-bot-token-here",
            placeholder=True,
        ),
    )
    telegram_api_url: str = Field(
        DEFAULT_TELEGRAM_API_URL,
        **_doc(
            "Bot API base URL the token is appended to (a self-hosted Bot API server)",
            DEFAULT_TELEGRAM_API_URL,
        ),
    )
    telegram_private_chat_pace: float = Field(
        1.0, **_doc("seconds between two messages to one private Telegram chat", "1.0")
    )

    # --- storage and secrets ---------------------------------------------------------------
    database: Path = Field(
        Path("marginwatch.db"),
        **_doc(
            "SQLite database file (its folder must be writable)",
            "/var/lib/marginwatch/marginwatch.db",
        ),
    )
    master_keys: SecretStr | None = Field(
        None,
        **_doc(
            "master keys that encrypt exchange keys, comma-separated, newest first "
            "(make one with `marginwatch keys new`)",
            "paste-output-of-marginwatch-keys-new",
            placeholder=True,
        ),
    )
    master_keys_file: Path | None = Field(
        None,
        **_doc(
            "file holding the master keys instead, one per line, newest first",
            "/etc/marginwatch/master_keys",
        ),
    )
    secrets_dir: Path | None = Field(
        None,
        **_doc(
            "folder with one file per secret setting, e.g. marginwatch_master_keys "
            "(default: $CREDENTIALS_DIRECTORY or /run/secrets)",
            "/run/secrets",
        ),
    )

    # --- exchanges -------------------------------------------------------------------------
    exchange_mode: ExchangeModeName = Field(
        "live",
        **_doc(
            "which exchanges `run` and `check` read: live (the real ones), testnet (each "
            "venue's own testnet or demo environment; a venue without one cannot be linked) "
            "or simulator (every venue from MARGINWATCH_SIMULATOR_URL, see `marginwatch sim`); "
            "in any mode but live every chat message is marked as a rehearsal",
            "live",
        ),
    )
    simulator_url: HttpUrl = Field(
        DEFAULT_SIMULATOR_URL,
        **_doc(
            "where simulator mode reads every venue: the address `marginwatch sim` prints "
            "when ready",
            DEFAULT_SIMULATOR_URL,
        ),
    )

    # --- monitoring ------------------------------------------------------------------------
    poll_interval: float = Field(
        60.0,
        **_doc("seconds between two reads of a calm account (nearer liquidation: faster)", "60"),
    )
    outbox_max_age: float = Field(
        86400.0,
        **_doc(
            "seconds an alert may wait for a chat that keeps refusing it before it is dropped "
            "(counted in outbox_expired_total; the owner is told in private where possible)",
            "86400",
        ),
    )

    # --- exchanges' request limits -----------------------------------------------------
    egress_proxies: SecretStr | None = Field(
        None,
        **_doc(
            "comma-separated proxy URLs (http://host:port, socks5://host:port; the word direct "
            "for this machine) that exchange requests leave from, accounts spread over them, "
            "each with its own per-IP limit; unset: direct only",
            "http://proxy-1.example:3128,http://proxy-2.example:3128",
            placeholder=True,
        ),
    )
    limits_reserve: float = Field(
        0.25,
        **_doc(
            "share of each exchange limit that routine reads leave for accounts near "
            "liquidation, confirming reads and link-time checks (0.1 to 0.5)",
            "0.25",
        ),
    )

    # --- operations ------------------------------------------------------------------------
    metrics_port: int | None = Field(
        None,
        **_doc("port for /metrics and /healthz (0: any free port); unset: no HTTP server", "9321"),
    )
    metrics_host: str = Field(
        "127.0.0.1",
        **_doc(
            "address the metrics server listens on (0.0.0.0 in a container scraped from outside)",
            "127.0.0.1",
        ),
    )
    log_level: str = Field("INFO", **_doc("DEBUG, INFO, WARNING, ERROR or CRITICAL", "INFO"))
    log_format: Literal["text", "json"] = Field(
        "text", **_doc("text for people, json for one JSON object per line", "text")
    )

    # --- `marginwatch check` only ----------------------------------------------------------
    check_api_key: SecretStr | None = Field(
        None,
        **_doc(
            "`marginwatch check`: the read-only API key (or use --key-file)",
            "your-read-only-api-key",
            placeholder=True,
        ),
    )
    check_secret: SecretStr | None = Field(
        None,
        **_doc("`marginwatch check`: that key's secret", "your-api-secret", placeholder=True),
    )
    check_passphrase: SecretStr | None = Field(
        None,
        **_doc(
            "`marginwatch check`: that key's passphrase (OKX)",
            "your-key-passphrase",
            placeholder=True,
        ),
    )
    check_wallet_address: str | None = Field(
        None,
        **_doc(
            "`marginwatch check`: wallet address (Hyperliquid)",
            "0xYourWalletAddress",
            placeholder=True,
        ),
    )

    # --- validation ------------------------------------------------------------------------
    @field_validator("*", mode="before")
    @classmethod
    def _not_the_placeholder(cls, value: Any, info: ValidationInfo) -> Any:
        # `cp .env.example .env` and uncommenting a line must not pass for a configured token.
        extra = cls.model_fields[str(info.field_name)].json_schema_extra
        if isinstance(extra, dict) and extra.get("placeholder"):
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if isinstance(text, str) and text.strip() == extra.get("example"):
                raise ValueError(
                    "is still the placeholder from .env.example: put the real value there, "
                    "or comment the line out again"
                )
        return value

    @field_validator(
        "discord_token",
        "telegram_token",
        "master_keys",
        "check_api_key",
        "check_secret",
        "check_passphrase",
        mode="before",
    )
    @classmethod
    def _secret_not_blank(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str):
            if not text.strip():
                raise ValueError("is set but empty: remove it or give a value")
            return text.strip()
        return value

    @field_validator("discord_token")
    @classmethod
    def _discord_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            text = value.get_secret_value()
            if text.lower().startswith("bot "):
                raise ValueError("must be the token alone, without the 'Bot ' prefix")
            if any(ch.isspace() for ch in text):
                raise ValueError("contains spaces, so it is not a Discord bot token")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _telegram_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_TOKEN.match(value.get_secret_value()):
            raise ValueError(
                "does not look like a token from @BotFather "
                "(digits, a colon, then letters, digits, '-' or '_')"
            )
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("master_keys_file", "secrets_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _port_number(cls, value: Any) -> Any:
        # `MARGINWATCH_METRICS_PORT=` in a .env file means "off", not "port zero".
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            port = int(str(value).strip())
        except ValueError:
            raise ValueError(f"must be a port number from 0 to 65535, not {str(value)!r}") from None
        if not 0 <= port <= 65535:
            raise ValueError(f"must be a port number from 0 to 65535, not {port}")
        return port

    @field_validator("database")
    @classmethod
    def _database_writable(cls, value: Path) -> Path:
        problem = database_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("master_keys_file")
    @classmethod
    def _keys_file_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not os.access(value, os.R_OK):
            reason = "does not exist" if not value.exists() else "cannot be read by this user"
            raise ValueError(f"names {value}, which {reason}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        text = str(value).strip().upper()
        if text not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}, not {str(value)!r}")
        return text

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("poll_interval", "telegram_private_chat_pace", "outbox_max_age")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"must be a number of seconds above 0, not {value:g}")
        return value

    @field_validator("egress_proxies")
    @classmethod
    def _proxies(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        from bot.exchanges.routes import parse_routes

        parse_routes(value.get_secret_value().split(","))  # ValueError names the bad entry
        return value

    @field_validator("limits_reserve")
    @classmethod
    def _reserve(cls, value: float) -> float:
        if not 0.1 <= value <= 0.5:
            raise ValueError(f"must be a share from 0.1 to 0.5, not {value:g}")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        if self.master_keys is not None and self.master_keys_file is not None:
            raise ValueError(
                f"set either {ENV_PREFIX}MASTER_KEYS or {ENV_PREFIX}MASTER_KEYS_FILE, not both"
            )
        return self

    # --- what the rest of the program asks -------------------------------------------------
    def front_ends(self) -> tuple[str, ...]:
        """The chat front ends whose tokens are set, e.g. ``("discord", "telegram")``."""
        return tuple(
            name
            for name, token in (("discord", self.discord_token), ("telegram", self.telegram_token))
            if token
        )

    def egress_proxy_list(self) -> list[str]:
        """The egress proxies (and ``direct``) as listed; empty: direct only."""
        if self.egress_proxies is None:
            return []
        return [p.strip() for p in self.egress_proxies.get_secret_value().split(",") if p.strip()]

    def service_problems(self) -> list[str]:
        """Why `marginwatch run` should not start with these (valid) settings: one sentence
        each. A chat without a master key would start, then fail at the first /link."""
        problems = []
        if self.front_ends() and not self.master_key_strings():
            tokens = " and ".join(env_name(f"{name}_token") for name in self.front_ends())
            problems.append(
                f"{tokens} {'are' if ' and ' in tokens else 'is'} set but there is no master "
                "key, so linking an account (the first thing anyone does) would fail: make one "
                f"with `marginwatch keys new` and put it in {ENV_PREFIX}MASTER_KEYS (or in a "
                f"file named by {ENV_PREFIX}MASTER_KEYS_FILE)."
            )
        return problems

    def metrics_enabled(self) -> bool:
        return self.metrics_port is not None

    def master_key_strings(self) -> list[str]:
        """The configured master keys, newest first (reads the key file if that is the source).

        Read exactly as the store reads them (``bot.store.vault.split_keys``): lines and commas
        both separate keys, ``#`` starts a comment.
        """
        if self.master_keys is not None:
            text = self.master_keys.get_secret_value()
        elif self.master_keys_file is not None:
            try:
                text = self.master_keys_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise SettingsError(
                    [
                        f"{ENV_PREFIX}MASTER_KEYS_FILE {self.master_keys_file} "
                        f"cannot be read: {exc.strerror}."
                    ]
                ) from None
        else:
            return []
        from bot.store.vault import split_keys  # late: the settings module stays cheap to import

        return split_keys(text)

    def vault_environ(self) -> dict[str, str]:
        """The mapping ``bot.store.Vault.from_environment`` reads, filled from these settings.

        The store reads ``MARGINWATCH_MASTER_KEYS``/``_FILE`` and ``MARGINWATCH_DATABASE`` by
        itself (for its own commands); pass this mapping so the service uses exactly what
        :class:`Settings` validated, including keys that came from the secrets directory.
        """
        environ = {f"{ENV_PREFIX}DATABASE": str(self.database)}
        keys = self.master_key_strings()
        if keys:
            environ[f"{ENV_PREFIX}MASTER_KEYS"] = ",".join(keys)
        return environ

    def vault(self) -> Vault:
        """The store's vault with the configured keys; raises the vault's errors for bad keys."""
        from bot.store.vault import Vault  # late: the settings module stays cheap to import

        return Vault.from_strings(self.master_key_strings())

    def secret_values(self) -> list[str]:
        """Every secret value configured, for the log redactor (never print this)."""
        values = [
            field.get_secret_value()
            for field in (
                self.discord_token,
                self.telegram_token,
                self.master_keys,
                self.check_api_key,
                self.check_secret,
                self.check_passphrase,
            )
            if field is not None
        ]
        # An unreadable key file is reported where the keys are used, not here.
        with contextlib.suppress(SettingsError):
            values.extend(self.master_key_strings())
        return values

    def summary(self) -> dict[str, str]:
        """Every setting as safe text for a start-up log line: secrets say only set/unset."""
        shown: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if _is_secret(field.annotation):
                shown[name] = "set" if value else "unset"
            else:
                shown[name] = "unset" if value is None else str(value)
        return shown

    @classmethod
    def env_names(cls) -> tuple[str, ...]:
        return tuple(env_name(name) for name in cls.model_fields)

    @classmethod
    def describe(cls) -> tuple[SettingDoc, ...]:
        """Every setting with its comment, example and default, in declaration order."""
        docs = []
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            default = field.default
            docs.append(
                SettingDoc(
                    env_name=env_name(name),
                    comment=field.description or "",
                    example=str(extra.get("example", "")),
                    default=None if default is None else str(default),
                    secret=_is_secret(field.annotation),
                )
            )
        return tuple(docs)


class ExchangeSettings(BaseSettings):
    """Only the settings that choose the exchanges: what `marginwatch check` reads, so that a
    one-off read is not refused over a setting it never uses (a database folder, a token)."""

    model_config = Settings.model_config

    exchange_mode: ExchangeModeName = Settings.model_fields["exchange_mode"]
    simulator_url: HttpUrl = Settings.model_fields["simulator_url"]


def load_exchange_settings(env_file: str | Path | None = ".env") -> ExchangeSettings:
    """:class:`ExchangeSettings` from the environment and ``env_file``, or SettingsError."""
    try:
        return ExchangeSettings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_sentences(exc)) from None


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def _is_secret(annotation: Any) -> bool:
    return "SecretStr" in repr(annotation)


def database_problem(path: Path) -> str | None:
    """Why the database cannot be created or written at ``path``, or None when it can."""
    if path.exists():
        if path.is_dir():
            return f"names {path}, which is a folder, not a file"
        if not os.access(path, os.R_OK | os.W_OK):
            return f"names {path}, which this user cannot write"
        return None
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"names {path}, but the folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"names {path}, but this user cannot create files in {folder}"
    return None


def secrets_dir(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = None
) -> Path | None:
    """The secrets directory to read, or None.

    In order: MARGINWATCH_SECRETS_DIR (environment, then ``env_file``), systemd's
    ``$CREDENTIALS_DIRECTORY`` (set by ``LoadCredential=``), ``/run/secrets`` if it exists
    (Docker and Compose secrets).
    """
    env = os.environ if environ is None else environ
    explicit = env.get(f"{ENV_PREFIX}SECRETS_DIR", "").strip() or _secrets_dir_in(env_file)
    if explicit:
        return Path(explicit)
    systemd = env.get("CREDENTIALS_DIRECTORY", "").strip()
    if systemd:
        return Path(systemd)
    if DEFAULT_SECRETS_DIR.is_dir() and os.access(DEFAULT_SECRETS_DIR, os.R_OK | os.X_OK):
        return DEFAULT_SECRETS_DIR
    return None


def load_settings(
    env_file: str | Path | None = ".env",
    *,
    secrets: Path | Literal["auto"] | None = "auto",
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from the environment, ``env_file`` and the secrets directory, or SettingsError.

    ``secrets="auto"`` finds the directory as :func:`secrets_dir` says; ``environ`` only
    matters for that search (pydantic-settings always reads the real ``os.environ``).
    """
    if secrets == "auto":
        secrets = secrets_dir(environ, env_file)
    if secrets is not None and not secrets.is_dir():
        raise SettingsError([f"{ENV_PREFIX}SECRETS_DIR names {secrets}, which is not a folder."])
    try:
        return Settings(_env_file=env_file, _secrets_dir=secrets)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_sentences(exc)) from None


class _SecretsDirOnly(BaseSettings):
    """Reads just MARGINWATCH_SECRETS_DIR from a .env file, before the secrets are read."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")
    secrets_dir: str = ""


def _secrets_dir_in(env_file: str | Path | None) -> str:
    if env_file is None:
        return ""
    try:
        return _SecretsDirOnly(_env_file=env_file).secrets_dir.strip()  # type: ignore[call-arg]
    except ValidationError:
        return ""


def _sentences(exc: ValidationError) -> list[str]:
    """One sentence per problem; the input value is never repeated (it may be a secret)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        location = error.get("loc") or ()
        name = env_name(str(location[0])) if location else "the configuration"
        kind = error.get("type", "")
        cause = error.get("ctx", {}).get("error")
        if cause is not None:
            text = str(cause)
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
            text = "must be a number"
        elif kind == "literal_error":
            text = "must be one of " + str(error.get("ctx", {}).get("expected", ""))
        else:
            text = "is not valid: " + error.get("msg", kind)
        problems.append(f"{name} {text}." if location else f"{text[0].upper()}{text[1:]}.")
    return problems


def unknown_names(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = None
) -> list[str]:
    """MARGINWATCH_ names that are no setting (usually a typo), from the environment and
    ``env_file``: worth a warning at start-up."""
    return [name for name, _ in unknown_settings(environ, env_file, secrets=None)]


def unknown_settings(
    environ: Mapping[str, str] | None = None,
    env_file: str | Path | None = None,
    *,
    secrets: Path | Literal["auto"] | None = "auto",
) -> list[tuple[str, str | None]]:
    """``(name, where)`` for each MARGINWATCH_ name that is no setting: ``where`` is None for
    the environment, else the .env file or the secrets folder that holds it."""
    env = os.environ if environ is None else environ
    known = set(Settings.env_names())
    found: dict[str, str | None] = {}
    for name in sorted(env):
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known:
            found.setdefault(name, None)
    if env_file is not None and Path(env_file).is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for name in dotenv_values(env_file, encoding="utf-8"):
                if name.upper().startswith(ENV_PREFIX) and name.upper() not in known:
                    found.setdefault(name, str(env_file))
    folder = secrets_dir(environ, env_file) if secrets == "auto" else secrets
    if folder is not None and folder.is_dir():
        with contextlib.suppress(OSError):
            for path in sorted(folder.iterdir()):
                name = path.name.upper()
                if name.startswith(ENV_PREFIX) and name not in known:
                    found.setdefault(path.name, f"the secrets folder {folder}")
    return list(found.items())


def likely_setting(name: str) -> str | None:
    """The setting an unknown ``MARGINWATCH_`` name was probably meant to be, or None."""
    wanted = name.upper().removeprefix(ENV_PREFIX)
    names = {known.removeprefix(ENV_PREFIX): known for known in Settings.env_names()}
    close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def unknown_setting_sentences(
    env_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """One sentence per unknown MARGINWATCH_ name, naming the setting it was likely meant as."""
    sentences = []
    for name, where in unknown_settings(environ, env_file):
        place = f" (in {where})" if where else ""
        meant = likely_setting(name)
        sentences.append(
            f"{name}{place} is not a marginwatch setting"
            + (f": did you mean {meant}?" if meant else " and is ignored (a typo?).")
        )
    return sentences


def render_env_example() -> str:
    """The text of ``.env.example``: every setting, its comment, and a commented placeholder."""
    lines = [
        "# marginwatch configuration. Copy to .env (never commit .env), uncomment what you need.",
        "# Real environment variables win over .env; a secrets directory (MARGINWATCH_SECRETS_DIR)",
        "# may hold any of these as one file each, named like the variable in lower case.",
        "# Nothing configured at all: `marginwatch demo` runs against a local simulator.",
    ]
    for doc in Settings.describe():
        lines.append("")
        default = "" if doc.default is None else f" Default: {doc.default}"
        lines.append(f"# {doc.comment[0].upper()}{doc.comment[1:]}.{default}")
        lines.append(f"# {doc.env_name}={doc.example}")
    return "\n".join(lines) + "\n"


def render_markdown_table() -> str:
    """The settings as a Markdown table, for the README's configuration section."""
    rows = ["| variable | default | what it sets |", "|---|---|---|"]
    for doc in Settings.describe():
        default = "—" if doc.default is None else f"`{doc.default}`"
        comment = doc.comment.replace("|", "\\|")
        rows.append(f"| `{doc.env_name}` | {default} | {comment} |")
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.settings env-example|markdown|check``: print .env.example, print a README
    table, or validate the configuration in effect."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["env-example"]:
        sys.stdout.write(render_env_example())
        return 0
    if args == ["markdown"]:
        sys.stdout.write(render_markdown_table())
        return 0
    if args == ["check"]:
        # A misspelt name first: it is often why another setting looks unset or wrong.
        for sentence in unknown_setting_sentences(".env"):
            print(sentence, file=sys.stderr)
        try:
            settings = load_settings()
        except SettingsError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return 2
        for name, value in settings.summary().items():
            print(f"{env_name(name)}={value}")
        problems = settings.service_problems()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2 if problems else 0
    print("usage: python -m bot.settings env-example|markdown|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
