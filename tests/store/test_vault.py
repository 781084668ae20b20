"""Secrets at rest: bound to their row, unreadable in the file, rotatable, guarded at start-up."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.store import (
    AccountSecrets,
    InvalidMasterKey,
    MasterKeyMismatch,
    MasterKeyMissing,
    Store,
    Vault,
    VaultError,
    generate_key,
)
from bot.store.vault import associated_data
from tests.store.conftest import KNOWN_API_KEY, KNOWN_SECRET, sample_secrets


async def _link_two_accounts(store: Store) -> tuple[int, int]:
    alice = await store.ensure_user("discord", "111", now=1.0)
    bob = await store.ensure_user("discord", "222", now=1.0)
    a = await store.add_account(alice.id, "kraken", "main", sample_secrets(), now=1.0)
    b = await store.add_account(
        bob.id, "kraken", "main", AccountSecrets(api_key="bob-key", secret="bob-secret"), now=1.0
    )
    return a.id, b.id


def _digest(*paths: Path) -> dict[str, str | None]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths
    }


async def test_credentials_round_trip_through_the_store(store: Store) -> None:
    account_id, _ = await _link_two_accounts(store)
    assert await store.account_credentials(account_id) == sample_secrets()


async def test_a_ciphertext_copied_into_another_accounts_row_does_not_decrypt(
    store: Store,
) -> None:
    alice_id, bob_id = await _link_two_accounts(store)

    def paste_alices_blob_into_bobs_row(tx):  # type: ignore[no-untyped-def]
        blob = tx.db.execute("select credentials from accounts where id = ?", [alice_id]).fetchone()
        tx.db.execute("update accounts set credentials = ? where id = ?", [blob[0], bob_id])

    await store.run(paste_alices_blob_into_bobs_row)
    with pytest.raises(VaultError, match="moved from another account") as caught:
        await store.account_credentials(bob_id)
    assert KNOWN_SECRET not in str(caught.value)
    # Alice's own row still decrypts: the failure is the binding, not the key.
    assert (await store.account_credentials(alice_id)).secret == KNOWN_SECRET


def test_associated_data_covers_account_owner_and_venue(vault: Vault) -> None:
    blob, _ = vault.encrypt(sample_secrets(), associated_data(1, 7, "kraken"))
    for other in (
        associated_data(2, 7, "kraken"),
        associated_data(1, 8, "kraken"),
        associated_data(1, 7, "okx"),
    ):
        with pytest.raises(VaultError):
            vault.decrypt(blob, other)
    assert vault.decrypt(blob, associated_data(1, 7, "kraken")) == sample_secrets()


async def test_no_secret_appears_in_the_database_or_wal_bytes(db_path: Path, vault: Vault) -> None:
    store = await Store.open(db_path, vault)
    alice = await store.ensure_user("telegram", "5", now=1.0)
    await store.add_account(alice.id, "okx", "main", sample_secrets(), now=1.0)
    wal = db_path.with_name(db_path.name + "-wal")
    # Look while the bot is running (data still in the WAL) and after it closes (checkpointed).
    assert wal.exists() and wal.stat().st_size > 0
    for raw in (db_path.read_bytes(), wal.read_bytes()):
        assert KNOWN_SECRET.encode() not in raw
        assert KNOWN_API_KEY.encode() not in raw
        assert b"pass-phrase-9" not in raw
    await store.close()
    raw = db_path.read_bytes()
    assert KNOWN_SECRET.encode() not in raw and KNOWN_API_KEY.encode() not in raw


def test_repr_and_str_of_decrypted_credentials_hide_every_value() -> None:
    creds = sample_secrets()
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert KNOWN_SECRET not in text and KNOWN_API_KEY not in text
        assert "pass-phrase-9" not in text
    assert "api_key=<set>" in repr(creds) and "wallet_address=<unset>" in repr(creds)


async def test_rotation_moves_every_row_to_the_newest_key_and_the_old_key_alone_then_fails(
    db_path: Path, key: str
) -> None:
    old = Vault.from_strings([key])
    store = await Store.open(db_path, old)
    alice_id, bob_id = await _link_two_accounts(store)
    await store.close()

    new_key = generate_key()
    both = Vault.from_strings([new_key, key])
    store = await Store.open(db_path, both)
    assert await store.rotate_keys() == 2
    assert await store.rotate_keys() == 0  # nothing left under the old key
    assert {a.key_id for a in await store.all_accounts()} == {both.newest_key_id}
    await store.close()

    store = await Store.open(db_path, Vault.from_strings([new_key]))
    assert (await store.account_credentials(alice_id)).secret == KNOWN_SECRET
    assert (await store.account_credentials(bob_id)).secret == "bob-secret"
    await store.close()

    with pytest.raises(MasterKeyMismatch, match="wrong or missing master key"):
        await Store.open(db_path, old)


@pytest.mark.parametrize("configured", ["none", "wrong"])
async def test_starting_with_encrypted_rows_and_no_or_wrong_key_stops_and_touches_nothing(
    db_path: Path, vault: Vault, configured: str
) -> None:
    store = await Store.open(db_path, vault)
    await _link_two_accounts(store)
    await store.close()
    siblings = [db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal")]
    before = _digest(db_path, *siblings)

    bad = Vault() if configured == "none" else Vault.from_strings([generate_key()])
    expected = MasterKeyMissing if configured == "none" else MasterKeyMismatch
    with pytest.raises(expected) as caught:
        await Store.open(db_path, bad)
    message = str(caught.value)
    assert message.endswith("nothing was changed")
    if configured == "none":
        assert "encrypted credentials for 2 account(s)" in message
    else:
        assert "wrong or missing master key" in message
    # Same bytes, and no -wal/-shm/-journal file appeared either.
    assert _digest(db_path, *siblings) == before


async def test_an_empty_database_opens_without_any_key(db_path: Path) -> None:
    store = await Store.open(db_path, Vault())
    user = await store.ensure_user("discord", "1", now=1.0)
    # ...but linking a key then says what to configure.
    with pytest.raises(MasterKeyMissing, match="MARGINWATCH_MASTER_KEYS"):
        await store.add_account(user.id, "kraken", "main", sample_secrets(), now=1.0)
    assert await store.all_accounts() == []  # the failed link left no half-made row
    await store.close()


def test_a_malformed_master_key_is_refused_without_echoing_it() -> None:
    typo = generate_key()[:-3] + "!!="
    with pytest.raises(InvalidMasterKey, match="master key #2 is not a valid key") as caught:
        Vault.from_strings([generate_key(), typo])
    assert typo not in str(caught.value)


def test_keys_come_from_the_environment_or_a_file_newest_first(tmp_path: Path) -> None:
    newest, older = generate_key(), generate_key()
    from_env = Vault.from_environment({"MARGINWATCH_MASTER_KEYS": f"{newest}, {older}"})
    key_file = tmp_path / "keys"
    key_file.write_text(f"# newest first\n{newest}\n{older}\n")
    from_file = Vault.from_environment({"MARGINWATCH_MASTER_KEYS_FILE": str(key_file)})
    assert from_env.key_ids == from_file.key_ids
    assert from_env.newest_key_id == Vault.from_strings([newest]).newest_key_id
    with pytest.raises(VaultError, match="not both"):
        Vault.from_environment(
            {"MARGINWATCH_MASTER_KEYS": newest, "MARGINWATCH_MASTER_KEYS_FILE": str(key_file)}
        )
    with pytest.raises(VaultError, match="cannot read the master key file"):
        Vault.from_environment({"MARGINWATCH_MASTER_KEYS_FILE": str(tmp_path / "absent")})
    assert not Vault.from_environment({}).has_keys()


def test_the_vault_repr_shows_key_ids_only(key: str) -> None:
    vault = Vault.from_strings([key])
    assert key not in repr(vault) and vault.newest_key_id in repr(vault)


async def test_a_tampered_blob_fails_its_integrity_check(store: Store) -> None:
    alice_id, _ = await _link_two_accounts(store)

    def flip_last_byte(tx):  # type: ignore[no-untyped-def]
        blob = bytearray(
            tx.db.execute("select credentials from accounts where id = ?", [alice_id]).fetchone()[0]
        )
        blob[-1] ^= 0x01
        tx.db.execute("update accounts set credentials = ? where id = ?", [bytes(blob), alice_id])

    await store.run(flip_last_byte)
    with pytest.raises(VaultError, match="integrity"):
        await store.account_credentials(alice_id)


async def test_a_refused_start_does_not_even_switch_the_file_to_wal(
    db_path: Path, vault: Vault
) -> None:
    store = await Store.open(db_path, vault)
    await _link_two_accounts(store)
    await store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=delete")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(MasterKeyMismatch):
        await Store.open(db_path, Vault.from_strings([generate_key()]))
    assert db_path.read_bytes() == before
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


async def _copy_credentials(store: Store, from_id: int, onto_id: int) -> None:
    """Tamper: put one account's sealed blob on another row, where it must not open."""
    await store.run(
        lambda tx: tx.db.execute(
            "update accounts set credentials = (select credentials from accounts where id = ?) "
            "where id = ?",
            [from_id, onto_id],
        )
    )


async def test_one_tampered_row_does_not_stop_a_start_with_the_right_key(
    db_path: Path, vault: Vault
) -> None:
    store = await Store.open(db_path, vault)
    alice_id, bob_id = await _link_two_accounts(store)
    await _copy_credentials(store, alice_id, bob_id)
    await store.close()
    store = await Store.open(db_path, vault)
    assert (await store.account_credentials(alice_id)).secret == KNOWN_SECRET
    with pytest.raises(VaultError):
        await store.account_credentials(bob_id)
    await store.close()


async def test_rotation_is_all_or_nothing_and_names_a_row_it_cannot_open(
    db_path: Path, key: str
) -> None:
    store = await Store.open(db_path, Vault.from_strings([key]))
    alice_id, bob_id = await _link_two_accounts(store)
    await _copy_credentials(store, alice_id, bob_id)
    await store.close()
    store = await Store.open(db_path, Vault.from_strings([generate_key(), key]))
    with pytest.raises(VaultError, match=rf"account\(s\) {bob_id} cannot be decrypted") as caught:
        await store.rotate_keys()
    assert "nothing was re-encrypted" in str(caught.value)
    old_id = Vault.from_strings([key]).newest_key_id
    assert {a.key_id for a in await store.all_accounts()} == {old_id}
    await store.close()
