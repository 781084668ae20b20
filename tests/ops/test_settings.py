"""Settings: where values come from, how bad values are refused, and that secrets stay hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import cli
from bot import settings as settings_module
from bot.settings import Settings, SettingsError, load_settings, unknown_names
from bot.store.vault import Vault, generate_key

TELEGRAM_TOKEN = "987654321:AAH-s3cretPartOfTheTelegramToken_xyz"
DISCORD_TOKEN = "MTAxNTk0NjUwNjI4MDAwMzU4NA.GxYz12.s3cretPartOfTheDiscordTokenAbcdef"


def test_nothing_configured_means_defaults_and_no_front_end(clean_env: Path) -> None:
    settings = load_settings(secrets=None)
    assert settings.front_ends() == ()
    assert settings.database == Path("marginwatch.db")
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.metrics_port is None and not settings.metrics_enabled()
    assert settings.metrics_host == "127.0.0.1"
    assert (settings.log_level, settings.log_format, settings.poll_interval) == ("INFO", "text", 60)
    assert settings.master_key_strings() == []


def test_environment_wins_over_env_file_which_fills_the_rest(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text(
        f"MARGINWATCH_TELEGRAM_TOKEN={TELEGRAM_TOKEN}\n"
        "MARGINWATCH_METRICS_PORT=9321\n"
        "MARGINWATCH_LOG_LEVEL=debug\n"
    )
    monkeypatch.setenv("MARGINWATCH_METRICS_PORT", "0")
    monkeypatch.setenv("MARGINWATCH_DISCORD_TOKEN", DISCORD_TOKEN)
    settings = load_settings(secrets=None)
    assert settings.metrics_port == 0 and settings.metrics_enabled()
    assert settings.log_level == "DEBUG"
    assert settings.front_ends() == ("discord", "telegram")
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == TELEGRAM_TOKEN


def test_master_keys_come_from_a_file_in_the_secrets_directory(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest, older = generate_key(), generate_key()
    secrets = clean_env / "secrets"
    secrets.mkdir()
    (secrets / "marginwatch_master_keys").write_text(f"{newest}\n{older}\n")
    monkeypatch.setenv("MARGINWATCH_SECRETS_DIR", str(secrets))
    settings = load_settings()
    assert settings.master_key_strings() == [newest, older]
    assert settings.vault().key_ids == Vault.from_strings([newest, older]).key_ids


def test_a_key_file_written_by_keys_new_is_read_whole(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["keys", "new"]) == 0
    printed = capsys.readouterr().out
    key = printed.strip().splitlines()[-1]
    secrets = clean_env / "secrets"
    secrets.mkdir()
    (secrets / "marginwatch_master_keys").write_text(printed)  # `keys new > file`, comments too
    settings = load_settings(secrets=secrets)
    assert settings.master_key_strings() == [key]
    assert (
        Vault.from_environment(settings.vault_environ()).key_ids
        == Vault.from_strings([key]).key_ids
    )


def test_systemd_credentials_directory_is_found_without_configuration(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    credentials = clean_env / "credentials"
    credentials.mkdir()
    (credentials / "marginwatch_master_keys").write_text(key)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert load_settings().master_key_strings() == [key]


def test_secrets_directory_may_be_named_in_the_env_file(clean_env: Path) -> None:
    credentials = clean_env / "vault"
    credentials.mkdir()
    (credentials / "marginwatch_telegram_token").write_text(TELEGRAM_TOKEN + "\n")
    (clean_env / ".env").write_text(f"MARGINWATCH_SECRETS_DIR={credentials}\n")
    settings = load_settings()
    assert settings.front_ends() == ("telegram",)


def test_a_secrets_directory_that_is_not_a_folder_is_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_SECRETS_DIR", str(clean_env / "nowhere"))
    with pytest.raises(SettingsError, match=r"MARGINWATCH_SECRETS_DIR names .*not a folder"):
        load_settings()


def test_settings_feed_the_stores_vault_the_same_keys(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest, older = generate_key(), generate_key()
    key_file = clean_env / "keys"
    key_file.write_text(f"# rotated today\n{newest}\n{older}\n")
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS_FILE", str(key_file))
    monkeypatch.setenv("MARGINWATCH_DATABASE", str(clean_env / "mw.db"))
    settings = load_settings(secrets=None)
    environ = settings.vault_environ()
    assert environ["MARGINWATCH_DATABASE"] == str(clean_env / "mw.db")
    assert Vault.from_environment(environ).key_ids == Vault.from_strings([newest, older]).key_ids


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("METRICS_PORT", "70000", "must be a port number from 0 to 65535, not 70000"),
        ("METRICS_PORT", "http", "must be a port number from 0 to 65535"),
        ("TELEGRAM_TOKEN", "", "is set but empty"),
        ("TELEGRAM_TOKEN", "   ", "is set but empty"),
        ("DISCORD_TOKEN", "", "is set but empty"),
        ("TELEGRAM_TOKEN", "not-a-token-s3cr3tvalue", "does not look like a token from @BotFather"),
        ("DISCORD_TOKEN", f"Bot {DISCORD_TOKEN}", "without the 'Bot ' prefix"),
        ("DISCORD_TOKEN", "two s3cr3t words", "contains spaces"),
        ("MASTER_KEYS", "", "is set but empty"),
        ("TELEGRAM_API_URL", "api.telegram.org/bot", "must start with http:// or https://"),
        ("LOG_LEVEL", "loud", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("LOG_FORMAT", "xml", "must be one of 'text' or 'json'"),
        ("POLL_INTERVAL", "0", "must be a number of seconds above 0"),
        ("POLL_INTERVAL", "soon", "must be a number"),
        ("TELEGRAM_PRIVATE_CHAT_PACE", "-1", "must be a number of seconds above 0"),
        ("LIMITS_RESERVE", "0.9", "must be a share from 0.1 to 0.5, not 0.9"),
        ("EGRESS_PROXIES", "ftp://u:s3cr3t@proxy:21", "is not scheme://host:port"),
        ("EGRESS_PROXIES", "http://proxy", "is not scheme://host:port"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_setting(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(f"MARGINWATCH_{name}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings(secrets=None)
    (problem,) = caught.value.problems
    assert problem.startswith(f"MARGINWATCH_{name} ")
    assert expected in problem
    assert problem.endswith(".") and problem.count(". ") == 0
    if "s3cr3t" in value or name.endswith("TOKEN"):
        assert "s3cr3t" not in str(caught.value)
        assert DISCORD_TOKEN not in str(caught.value)


def test_a_database_folder_that_does_not_exist_is_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_DATABASE", str(clean_env / "missing" / "mw.db"))
    with pytest.raises(
        SettingsError,
        match=r"MARGINWATCH_DATABASE names .*mw\.db, but the "
        r"folder .*missing does not exist\.",
    ):
        load_settings(secrets=None)


def test_a_database_path_that_is_a_folder_is_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_DATABASE", str(clean_env))
    with pytest.raises(SettingsError, match="is a folder, not a file"):
        load_settings(secrets=None)


def test_a_missing_master_key_file_is_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS_FILE", str(clean_env / "absent"))
    with pytest.raises(
        SettingsError,
        match=r"MARGINWATCH_MASTER_KEYS_FILE names .*absent, "
        "which does not exist",
    ):
        load_settings(secrets=None)


def test_both_master_key_sources_at_once_are_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    key_file = clean_env / "keys"
    key_file.write_text(key)
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS", key)
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS_FILE", str(key_file))
    with pytest.raises(SettingsError) as caught:
        load_settings(secrets=None)
    assert caught.value.problems == (
        "Set either MARGINWATCH_MASTER_KEYS or MARGINWATCH_MASTER_KEYS_FILE, not both.",
    )
    assert key not in str(caught.value)


def test_every_problem_is_reported_at_once(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_METRICS_PORT", "-5")
    monkeypatch.setenv("MARGINWATCH_LOG_LEVEL", "chatty")
    with pytest.raises(SettingsError) as caught:
        load_settings(secrets=None)
    assert [p.split()[0] for p in caught.value.problems] == [
        "MARGINWATCH_METRICS_PORT",
        "MARGINWATCH_LOG_LEVEL",
    ]


def test_a_blank_metrics_port_means_no_metrics_server(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_METRICS_PORT", "")
    assert load_settings(secrets=None).metrics_enabled() is False


def test_secrets_never_show_in_repr_summary_or_check_output(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = generate_key()
    monkeypatch.setenv("MARGINWATCH_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("MARGINWATCH_DISCORD_TOKEN", DISCORD_TOKEN)
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS", key)
    monkeypatch.setenv("MARGINWATCH_SECRETS_DIR", str(clean_env))
    settings = load_settings()
    summary = settings.summary()
    assert summary["telegram_token"] == "set" and summary["master_keys"] == "set"
    assert summary["check_api_key"] == "unset"
    assert settings_module.main(["check"]) == 0
    printed = capsys.readouterr()
    assert "MARGINWATCH_DISCORD_TOKEN=set" in printed.out
    for shown in (repr(settings), str(summary), printed.out, printed.err):
        for secret in (TELEGRAM_TOKEN, DISCORD_TOKEN, key):
            assert secret not in shown
    assert set(settings.secret_values()) >= {TELEGRAM_TOKEN, DISCORD_TOKEN, key}


def test_check_command_prints_each_problem_and_fails(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MARGINWATCH_METRICS_PORT", "port")
    assert settings_module.main(["check"]) == 2
    assert capsys.readouterr().err.startswith("MARGINWATCH_METRICS_PORT must be a port number")


def test_a_misspelt_variable_is_reported_as_unknown() -> None:
    environ = {"MARGINWATCH_TELEGRAM_TOKN": "x", "MARGINWATCH_DATABASE": "a.db", "HOME": "/"}
    assert unknown_names(environ) == ["MARGINWATCH_TELEGRAM_TOKN"]


def test_every_setting_has_a_comment_and_a_placeholder() -> None:
    docs = Settings.describe()
    assert [d.env_name for d in docs] == list(Settings.env_names())
    for doc in docs:
        assert doc.comment and doc.example, doc.env_name
    secret_names = {d.env_name for d in docs if d.secret}
    assert {
        "MARGINWATCH_DISCORD_TOKEN",
        "MARGINWATCH_TELEGRAM_TOKEN",
        "MARGINWATCH_MASTER_KEYS",
    } <= secret_names


def test_constructing_settings_directly_never_puts_a_secret_in_the_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(telegram_token="not a token s3cr3t", _env_file=None)  # type: ignore[call-arg]
    assert "s3cr3t" not in str(caught.value)


def test_the_discord_alert_role_defaults_and_can_be_renamed(monkeypatch, tmp_path) -> None:
    from bot.settings import load_settings as load

    monkeypatch.chdir(tmp_path)
    assert load(None, secrets=None).discord_alert_role == "margin-alerts"
    monkeypatch.setenv("MARGINWATCH_DISCORD_ALERT_ROLE", "risk-desk")
    assert load(None, secrets=None).discord_alert_role == "risk-desk"


def test_egress_proxies_are_listed_in_order_with_direct_allowed(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_EGRESS_PROXIES", " direct, http://proxy-7.example:3128 ,")
    settings = load_settings(secrets=None)
    assert settings.egress_proxy_list() == ["direct", "http://proxy-7.example:3128"]
    assert settings.summary()["egress_proxies"] == "set"  # a proxy URL may hold a password
    assert load_settings(secrets=None).limits_reserve == 0.25


# --- the newcomer's rough edges (issue 13) ----------------------------------------------------


def test_a_misspelt_variable_names_the_setting_it_was_meant_to_be() -> None:
    from bot.settings import likely_setting

    assert likely_setting("MARGINWATCH_TELEGRAM_TOKN") == "MARGINWATCH_TELEGRAM_TOKEN"
    assert likely_setting("MARGINWATCH_POLL_INTERVALL") == "MARGINWATCH_POLL_INTERVAL"
    assert likely_setting("marginwatch_master_key") == "MARGINWATCH_MASTER_KEYS"
    assert likely_setting("MARGINWATCH_SOMETHING_ELSE_ENTIRELY") is None


def test_check_names_a_misspelt_setting_from_the_env_file(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / ".env").write_text(f"MARGINWATCH_TELEGRAM_TOKN={TELEGRAM_TOKEN}\n")
    settings_module.main(["check"])
    err = capsys.readouterr().err
    assert (
        "MARGINWATCH_TELEGRAM_TOKN (in .env) is not a marginwatch setting: "
        "did you mean MARGINWATCH_TELEGRAM_TOKEN?"
    ) in err
    assert TELEGRAM_TOKEN not in err


def test_check_names_a_misspelt_setting_from_the_environment_first(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARGINWATCH_TELEGRAM_TOKN", TELEGRAM_TOKEN)
    settings_module.main(["check"])
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "MARGINWATCH_TELEGRAM_TOKN is not a marginwatch setting: "
        "did you mean MARGINWATCH_TELEGRAM_TOKEN?"
    )


@pytest.mark.parametrize(
    "name", [d.env_name for d in Settings.describe() if d.secret or "WALLET" in d.env_name]
)
def test_the_env_examples_placeholders_are_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # `cp .env.example .env` and uncommenting a line must not pass for a configured value.
    (doc,) = [d for d in Settings.describe() if d.env_name == name]
    monkeypatch.setenv(name, doc.example)
    with pytest.raises(SettingsError) as caught:
        load_settings(secrets=None)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{name} is still the placeholder from .env.example"), problem


def test_check_says_a_front_end_without_a_master_key_cannot_link(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARGINWATCH_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    assert settings_module.main(["check"]) == 2
    err = capsys.readouterr().err
    assert "no master key" in err and "marginwatch keys new" in err
