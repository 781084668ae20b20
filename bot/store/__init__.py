"""SQLite persistence for marginwatch: schema, repositories, the database thread and the vault."""

from bot.store.accounts import DuplicateAccount
from bot.store.connection import MigrationReport, StoreError, database_path
from bot.store.outbox import backoff_seconds
from bot.store.records import (
    ALERT_LEVELS,
    PRIORITY_CRITICAL,
    PRIORITY_ROUTINE,
    PRIORITY_WARNING,
    Account,
    AlertState,
    AuditEntry,
    CommunitySettings,
    Destination,
    HealthPoint,
    NewMessage,
    OutboxMessage,
    Subscription,
    Thresholds,
    User,
)
from bot.store.store import Store, open_database
from bot.store.subscriptions import DuplicateSubscription
from bot.store.tx import Purged, Tx
from bot.store.vault import (
    AccountSecrets,
    InvalidMasterKey,
    MasterKeyMismatch,
    MasterKeyMissing,
    Vault,
    VaultError,
    generate_key,
)

__all__ = [
    "ALERT_LEVELS",
    "PRIORITY_CRITICAL",
    "PRIORITY_ROUTINE",
    "PRIORITY_WARNING",
    "Account",
    "AccountSecrets",
    "AlertState",
    "AuditEntry",
    "CommunitySettings",
    "Destination",
    "DuplicateAccount",
    "DuplicateSubscription",
    "HealthPoint",
    "InvalidMasterKey",
    "MasterKeyMismatch",
    "MasterKeyMissing",
    "MigrationReport",
    "NewMessage",
    "OutboxMessage",
    "Purged",
    "Store",
    "StoreError",
    "Subscription",
    "Thresholds",
    "Tx",
    "User",
    "Vault",
    "VaultError",
    "backoff_seconds",
    "database_path",
    "generate_key",
    "open_database",
]
