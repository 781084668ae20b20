"""Encrypts exchange credentials at rest: AES-GCM, versioned master keys kept outside the database.

A blob is `b"MW1" | key_id (4 bytes) | nonce (12 bytes) | ciphertext+tag`. The key id is a
fingerprint of the master key (not the key), so any configured key can be found for any blob and
the order of the keys only decides which one encrypts. The associated data is the account row's
identity (account id, owner id, venue): a blob copied into another row fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV_KEYS = "MARGINWATCH_MASTER_KEYS"
ENV_KEYS_FILE = "MARGINWATCH_MASTER_KEYS_FILE"

_MAGIC = b"MW1"
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_KEY_BYTES = 32


class VaultError(Exception):
    """A problem with master keys or stored credentials. Messages never contain secrets."""


class MasterKeyMissing(VaultError):
    """Encrypted credentials exist (or are about to be written) but no master key is configured."""


class MasterKeyMismatch(VaultError):
    """The configured master keys cannot decrypt credentials that are in the database."""


class InvalidMasterKey(VaultError):
    """A configured master key is not a well-formed key."""


@dataclass(frozen=True, repr=False)
class AccountSecrets:
    """Decrypted exchange credentials. Field names match `bot.exchanges.Credentials`.

    The repr and str never show a value, only which fields are set, so an accidental log line or
    traceback cannot leak a secret.
    """

    api_key: str | None = None
    secret: str | None = None
    passphrase: str | None = None
    wallet_address: str | None = None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={'<set>' if getattr(self, name) else '<unset>'}"
            for name in ("api_key", "secret", "passphrase", "wallet_address")
        )
        return f"AccountSecrets({shown})"

    __str__ = __repr__

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "api_key": self.api_key,
                "secret": self.secret,
                "passphrase": self.passphrase,
                "wallet_address": self.wallet_address,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> AccountSecrets:
        fields = json.loads(raw)
        return cls(
            api_key=fields.get("api_key"),
            secret=fields.get("secret"),
            passphrase=fields.get("passphrase"),
            wallet_address=fields.get("wallet_address"),
        )


def generate_key() -> str:
    """A fresh master key: 32 random bytes, url-safe base64 (44 characters)."""
    return base64.urlsafe_b64encode(os.urandom(_KEY_BYTES)).decode()


def _key_id(key: bytes) -> bytes:
    # A fingerprint, domain-separated so it is useless as anything but a label.
    return hashlib.sha256(b"marginwatch master key id\x00" + key).digest()[:_KEY_ID_BYTES]


def associated_data(account_id: int, owner_id: int, venue: str) -> bytes:
    """The row identity a credentials blob is bound to."""
    return f"marginwatch:account:{account_id}:owner:{owner_id}:venue:{venue}".encode()


class Vault:
    """The configured master keys, newest first. Encrypts with the newest, decrypts with any."""

    def __init__(self, keys: Iterable[bytes] = ()) -> None:
        self._keys: list[tuple[bytes, AESGCM]] = []
        for key in keys:
            if len(key) != _KEY_BYTES:
                raise InvalidMasterKey("a master key must be 32 bytes")
            self._keys.append((_key_id(key), AESGCM(key)))

    def __repr__(self) -> str:
        return f"Vault(key_ids={self.key_ids!r})"

    @classmethod
    def from_strings(cls, encoded_keys: Iterable[str]) -> Vault:
        """Keys as `marginwatch keys new` prints them; each string is read by `split_keys`."""
        keys: list[bytes] = []
        cleaned = [key for text in encoded_keys for key in split_keys(text)]
        for position, text in enumerate(cleaned, start=1):
            try:
                raw = base64.urlsafe_b64decode(text.encode("ascii"))
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raw = b""
            if len(raw) != _KEY_BYTES:
                # Never echo the value: it may be a real key with a typo.
                raise InvalidMasterKey(
                    f"master key #{position} is not a valid key: expected 44 characters of "
                    "url-safe base64 as printed by `marginwatch keys new`"
                )
            keys.append(raw)
        return cls(keys)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Vault:
        """Keys from MARGINWATCH_MASTER_KEYS (comma-separated) or MARGINWATCH_MASTER_KEYS_FILE."""
        env = os.environ if environ is None else environ
        inline = env.get(ENV_KEYS, "").strip()
        file_name = env.get(ENV_KEYS_FILE, "").strip()
        if inline and file_name:
            raise VaultError(f"set either {ENV_KEYS} or {ENV_KEYS_FILE}, not both")
        if file_name:
            return cls.from_file(Path(file_name))
        return cls.from_strings([inline])

    @classmethod
    def from_file(cls, path: Path) -> Vault:
        """One key per line (or comma-separated), newest first; read by `split_keys`."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise VaultError(f"cannot read the master key file {path}: {exc.strerror}") from None
        return cls.from_strings([text])

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Fingerprints of the configured keys, newest first (safe to print)."""
        return tuple(key_id.hex() for key_id, _ in self._keys)

    @property
    def newest_key_id(self) -> str | None:
        return self._keys[0][0].hex() if self._keys else None

    def has_keys(self) -> bool:
        return bool(self._keys)

    def encrypt(self, secrets_: AccountSecrets, aad: bytes) -> tuple[bytes, str]:
        """Blob and the id of the key that made it."""
        if not self._keys:
            raise MasterKeyMissing(
                f"no master key is configured, so credentials cannot be stored: set {ENV_KEYS} "
                f"or {ENV_KEYS_FILE} (make a key with `marginwatch keys new`)"
            )
        key_id, aead = self._keys[0]
        nonce = secrets.token_bytes(_NONCE_BYTES)
        blob = _MAGIC + key_id + nonce + aead.encrypt(nonce, secrets_.to_json(), aad)
        return blob, key_id.hex()

    def decrypt(self, blob: bytes, aad: bytes) -> AccountSecrets:
        return AccountSecrets.from_json(self._open(blob, aad))

    def blob_key_id(self, blob: bytes) -> str:
        """Which master key a blob was made with."""
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + _KEY_ID_BYTES + _NONCE_BYTES:
            raise VaultError("stored credentials are not in a format this version understands")
        return blob[len(_MAGIC) : len(_MAGIC) + _KEY_ID_BYTES].hex()

    def reencrypt(self, blob: bytes, aad: bytes) -> tuple[bytes, str]:
        """The same credentials under the newest key (for rotation)."""
        return self.encrypt(AccountSecrets.from_json(self._open(blob, aad)), aad)

    def _open(self, blob: bytes, aad: bytes) -> bytes:
        wanted = self.blob_key_id(blob)
        if not self._keys:
            raise MasterKeyMissing(
                f"credentials in the database are encrypted, but no master key is configured: "
                f"set {ENV_KEYS} or {ENV_KEYS_FILE}"
            )
        for key_id, aead in self._keys:
            if key_id.hex() == wanted:
                start = len(_MAGIC) + _KEY_ID_BYTES
                nonce = blob[start : start + _NONCE_BYTES]
                try:
                    return aead.decrypt(nonce, blob[start + _NONCE_BYTES :], aad)
                except InvalidTag:
                    raise VaultError(
                        "stored credentials failed their integrity check: they were altered or "
                        "moved from another account"
                    ) from None
        raise MasterKeyMismatch(
            f"credentials were encrypted with master key {wanted}, which is not among the "
            f"configured keys ({', '.join(self.key_ids)})"
        )


def split_keys(text: str) -> list[str]:
    """The master keys in a setting's or a key file's text, newest first: the one reader of both.

    Lines and commas both separate keys; blanks are ignored, and so is everything from a `#` to
    the end of its line. The comment is cut before the commas are split: `marginwatch keys new`
    prints comment lines with commas in them, and its output saved as a file must read as the key.
    """
    keys = []
    for line in text.splitlines():
        for part in line.split("#", 1)[0].split(","):
            if part.strip():
                keys.append(part.strip())
    return keys
