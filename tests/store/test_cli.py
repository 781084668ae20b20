"""`marginwatch keys new|rotate` and `marginwatch db migrate|backup` as an operator runs them."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.settings import Settings
from bot.store import MasterKeyMismatch, Store, Vault, generate_key, keys_cli
from bot.store import connection as store_connection
from tests.store.conftest import KNOWN_SECRET, sample_secrets


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MARGINWATCH_DATABASE",
        "MARGINWATCH_MASTER_KEYS",
        "MARGINWATCH_MASTER_KEYS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


async def _database_with_a_secret(path: Path, key: str) -> int:
    store = await Store.open(path, Vault.from_strings([key]))
    owner = await store.ensure_user("discord", "1", now=0.0)
    account = await store.add_account(owner.id, "okx", "main", sample_secrets(), now=0.0)
    await store.close()
    return account.id


def test_keys_new_prints_a_usable_key_alone_on_its_last_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["keys", "new"]) == 0
    first = capsys.readouterr().out.splitlines()[-1]
    assert main(["keys", "new"]) == 0
    second = capsys.readouterr().out.splitlines()[-1]
    assert len(first) == 44 and first != second
    assert Vault.from_strings([first]).has_keys()


async def test_keys_rotate_reencrypts_under_the_newest_key(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = generate_key(), generate_key()
    account_id = await _database_with_a_secret(db_path, old)
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS", f"{new},{old}")

    assert main(["keys", "rotate", "--database", str(db_path)]) == 0
    out = capsys.readouterr().out
    newest_id = Vault.from_strings([new]).newest_key_id
    assert f"re-encrypted 1 of 1 stored credential(s) under key {newest_id}" in out
    assert old not in out and new not in out

    store = await Store.open(db_path, Vault.from_strings([new]))
    assert (await store.account_credentials(account_id)).secret == KNOWN_SECRET
    await store.close()
    with pytest.raises(MasterKeyMismatch):
        await Store.open(db_path, Vault.from_strings([old]))


async def test_keys_rotate_finds_the_master_keys_in_the_secrets_directory(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # systemd LoadCredential / Docker secrets: the keys are a file, not an environment variable.
    old, new = generate_key(), generate_key()
    account_id = await _database_with_a_secret(db_path, old)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "marginwatch_master_keys").write_text(f"{new},{old}")
    monkeypatch.delenv("MARGINWATCH_MASTER_KEYS", raising=False)
    monkeypatch.setenv("MARGINWATCH_SECRETS_DIR", str(secrets))

    assert main(["keys", "rotate", "--database", str(db_path)]) == 0
    assert old not in capsys.readouterr().out
    store = await Store.open(db_path, Vault.from_strings([new]))
    assert (await store.account_credentials(account_id)).secret == KNOWN_SECRET
    await store.close()


async def test_keys_rotate_with_the_wrong_key_says_so_and_leaves_the_file_as_it_was(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _database_with_a_secret(db_path, generate_key())
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    wrong = generate_key()
    monkeypatch.setenv("MARGINWATCH_DATABASE", str(db_path))
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS", wrong)

    assert main(["keys", "rotate"]) == 1
    err = capsys.readouterr().err
    assert "wrong or missing master key" in err and wrong not in err
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before

    monkeypatch.delenv("MARGINWATCH_MASTER_KEYS")
    assert main(["keys", "rotate"]) == 1
    assert "no master key is configured" in capsys.readouterr().err
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_db_migrate_prints_what_ran_then_that_nothing_is_pending(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "migrate", "--database", str(db_path)]) == 0
    assert "applied m001_initial" in capsys.readouterr().out
    assert main(["db", "migrate", "--database", str(db_path)]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_db_commands_use_the_services_database_setting_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Same resolution as `marginwatch run`: MARGINWATCH_DATABASE, else marginwatch.db here.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MARGINWATCH_DATABASE", raising=False)
    assert main(["db", "migrate"]) == 0
    assert (tmp_path / "marginwatch.db").exists()
    monkeypatch.setenv("MARGINWATCH_DATABASE", str(tmp_path / "other.db"))
    assert main(["db", "migrate"]) == 0
    assert (tmp_path / "other.db").exists()
    capsys.readouterr()


def test_database_helpers_called_directly_still_need_a_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import db_cli

    monkeypatch.delenv("MARGINWATCH_DATABASE", raising=False)
    parser = __import__("argparse").ArgumentParser()
    db_cli.add_arguments(parser)
    assert db_cli.run(parser.parse_args(["migrate"])) == 1
    assert "pass --database FILE or set MARGINWATCH_DATABASE" in capsys.readouterr().err


def test_an_unusable_database_path_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "migrate", "--database", str(tmp_path / "missing" / "x.db")]) == 1
    assert "the folder" in capsys.readouterr().err
    assert main(["db", "migrate", "--database", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello " * 200)
    assert main(["db", "migrate", "--database", str(not_a_db)]) == 1
    assert "is not a marginwatch database" in capsys.readouterr().err
    assert not_a_db.read_text() == "hello " * 200


def test_a_locked_database_is_a_clear_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(store_connection, "BUSY_TIMEOUT_SECONDS", 0.05)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("create table other (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert main(["db", "migrate", "--database", str(db_path)]) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "is locked by another process" in capsys.readouterr().err


async def test_db_backup_copies_a_live_database_including_uncheckpointed_writes(
    db_path: Path, vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await Store.open(db_path, vault)
    owner = await store.ensure_user("discord", "1", now=0.0)
    await store.add_account(owner.id, "okx", "main", sample_secrets(), now=0.0)
    target = tmp_path / "backup.db"

    assert main(["db", "backup", str(target), "--database", str(db_path)]) == 0
    assert f"backed up {db_path} to {target}" in capsys.readouterr().out
    await store.close()

    copy = sqlite3.connect(target)
    assert copy.execute("select venue, label from accounts").fetchall() == [("okx", "main")]
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    assert KNOWN_SECRET.encode() not in target.read_bytes()
    restored = await Store.open(target, vault)
    assert (await restored.account_credentials(1)).secret == KNOWN_SECRET
    await restored.close()

    assert main(["db", "backup", str(target), "--database", str(db_path)]) == 1
    assert "already exists" in capsys.readouterr().err


@pytest.fixture
def usual_umask() -> object:
    """The umask most systems give a user (022): files are world-readable unless made private."""
    import os

    old = os.umask(0o022)
    yield
    os.umask(old)


async def test_the_database_and_its_backups_are_private_to_their_owner(
    tmp_path: Path, usual_umask: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # They hold encrypted keys, balances and who is in which community: owner only (0600).
    path = tmp_path / "mw.db"
    await _database_with_a_secret(path, generate_key())
    store = await Store.open(path, None)  # opened again, as the service does, WAL on
    try:
        for made in (path, path.with_name("mw.db-wal"), path.with_name("mw.db-shm")):
            assert made.stat().st_mode & 0o777 == 0o600, made
    finally:
        await store.close()
    backup = tmp_path / "backup.db"
    assert main(["db", "backup", str(backup), "--database", str(path)]) == 0
    assert backup.stat().st_mode & 0o777 == 0o600
    migrated = tmp_path / "fresh.db"
    assert main(["db", "migrate", "--database", str(migrated)]) == 0
    assert migrated.stat().st_mode & 0o777 == 0o600


async def test_the_output_of_keys_new_saved_as_a_keys_file_works_through_every_reader(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The operator's rotation as `keys new` describes it: its output (comment lines with commas in
    # them, then the key) saved as the keys file, the older key kept after it.
    old = generate_key()
    account_id = await _database_with_a_secret(db_path, old)
    assert main(["keys", "new"]) == 0
    printed = capsys.readouterr().out
    assert "," in printed.split("\n", 1)[0]  # what made the two parsers disagree
    new = printed.splitlines()[-1]
    key_file = tmp_path / "master_keys"
    key_file.write_text(f"{printed}{old}\n")
    expected = Vault.from_strings([new, old]).key_ids
    environ = {"MARGINWATCH_MASTER_KEYS_FILE": str(key_file)}

    # The service's reader (Settings) and the store's own (Vault) see the same two keys.
    settings = Settings(master_keys_file=key_file, _env_file=None)  # type: ignore[call-arg]
    assert settings.master_key_strings() == [new, old]
    assert settings.vault().key_ids == expected
    assert Vault.from_environment(environ).key_ids == expected
    assert Vault.from_file(key_file).key_ids == expected

    # `keys rotate` called as the store's own command reads the file itself.
    args = build_parser().parse_args(["keys", "rotate", "--database", str(db_path)])
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS_FILE", str(key_file))
    assert keys_cli.run(args) == 0
    assert "re-encrypted 1 of 1" in capsys.readouterr().out
    store = await Store.open(db_path, Vault.from_strings([new]))
    assert (await store.account_credentials(account_id)).secret == KNOWN_SECRET
    await store.close()
