"""Security: keys that can trade or withdraw are refused where the venue reports rights, and a
whole run with known secrets leaves none of them in logs, messages, exception texts or the
database bytes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.identity import Caller
from bot.core.messages import Refusal
from bot.core.usecases import Core
from bot.exchanges import SUPPORTED_VENUES, Credentials, ExchangeHub, ExchangeReadError
from bot.logs import setup_logging
from bot.sim import Simulator
from bot.store import Store, Vault, generate_key
from tests.support.fixtures import Clock
from tests.support.limits import LIMITS_SPEED, limits_budget

from .conftest import ALICE, ALICE_KEYS, BOB, BOB_KEYS, KRAKEN_SECRET, SECRETS
from .rig import product

RIGHTS_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "binance",
        {"restrictions": {"enableReading": True, "enableWithdrawals": True}},
        "Withdrawals",
    ),
    (
        "binance",
        {"restrictions": {"enableReading": True, "enableSpotAndMarginTrading": True}},
        "Trading",
    ),
    (
        "binance",
        {"restrictions": {"enableReading": True, "permitsUniversalTransfer": True}},
        "Transfer",
    ),
    (
        "binanceusdm",
        {"restrictions": {"enableReading": True, "enableFutures": True}, "wallet_balance": 100.0},
        "Futures",
    ),
    ("okx", {"perm": "read_only,trade"}, "trade"),
    ("okx", {"perm": "read_only,withdraw"}, "withdraw"),
    ("bybit", {"read_only": True, "withdraw": True, "coins": {"USDT": 1.0}}, "ithdraw"),
]


@pytest.mark.parametrize(("venue", "state", "named"), RIGHTS_CASES)
async def test_a_key_with_trade_withdraw_or_transfer_rights_is_refused_and_not_kept(
    tmp_path: Path, venue: str, state: dict[str, Any], named: str
) -> None:
    key, secret, passphrase = f"{venue}-risky-key", f"{venue}-risky-secret", "risky-pass-1"
    async with Simulator(limits_speed=LIMITS_SPEED) as sim:
        sim.add_account(
            venue,
            api_key=key,
            secret=secret,
            passphrase=passphrase if venue == "okx" else None,
            **state,
        )
        store = await Store.open(tmp_path / "rights.db", Vault.from_strings([generate_key()]))
        hub = ExchangeHub(base_urls=sim.base_urls, budget=limits_budget())
        try:
            core = Core(store, hub, SUPPORTED_VENUES, clock=Clock())
            credentials = {"api_key": key, "secret": secret}
            if venue == "okx":
                credentials["passphrase"] = passphrase
            with pytest.raises(Refusal) as refused:
                await core.link(ALICE, venue, "risky", credentials)
            assert named.lower() in refused.value.sentence.lower(), refused.value.sentence
            assert key not in refused.value.sentence and secret not in refused.value.sentence
            assert await store.all_accounts() == []
            paths = [r.path for r in sim.requests]
            # The rights were asked; the account itself was never read with that key.
            assert not any("position" in p.lower() for p in paths), paths
        finally:
            await hub.close()
            await store.close()


def scan(where: str, text: str, found: list[str]) -> None:
    for secret in SECRETS:
        if secret in text:
            found.append(f"{where}: {text[:200]!r}")


@pytest.fixture
def service_logs() -> Iterator[io.StringIO]:
    """The service's own log set-up (bot.logs, as ``marginwatch run`` does) at DEBUG."""
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream=stream, capture_warnings=False)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)


async def test_a_whole_run_with_known_secrets_leaks_none_of_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, service_logs: io.StringIO
) -> None:
    caplog.set_level(logging.DEBUG)
    found: list[str] = []
    texts: list[str] = []
    async with product(
        tmp_path,
        {
            "venues": {
                "kraken": {
                    "accounts": [
                        {
                            "api_key": ALICE_KEYS["api_key"],
                            "secret": KRAKEN_SECRET,
                            "balances": {"ZUSD": 10000.0},
                            "positions": [
                                {
                                    "symbol": "BTC/USD",
                                    "vol": 0.5,
                                    "price": 60000.0,
                                    "type": "buy",
                                    "leverage": 5,
                                }
                            ],
                        }
                    ]
                },
                "bybit": {
                    "accounts": [
                        {
                            "api_key": BOB_KEYS["api_key"],
                            "secret": BOB_KEYS["secret"],
                            "coins": {"USDT": 5000.0},
                            "positions": [
                                {
                                    "symbol": "BTC/USDT:USDT",
                                    "size": 0.5,
                                    "entry": 60000.0,
                                    "side": "Buy",
                                    "leverage": 10,
                                }
                            ],
                        }
                    ]
                },
            }
        },
    ) as rig:
        core = rig.core
        alice = Caller(
            platform="console", user_id="trader-1", chat_id="trader-1", is_private_chat=True
        )
        texts.append((await core.link(alice, "kraken", "main", ALICE_KEYS)).text)
        texts.append((await core.link(BOB, "bybit", "futures", BOB_KEYS)).text)
        # A key refused by the venue, a key pasted twice, a wrong secret: all refusals.
        for creds in (
            {**ALICE_KEYS, "secret": BOB_KEYS["secret"]},
            {"api_key": ALICE_KEYS["api_key"] + "x", "secret": KRAKEN_SECRET},
        ):
            try:
                await core.link(ALICE, "kraken", "other", creds)
            except Refusal as refusal:
                texts.append(refusal.sentence)
        for name, arguments in [
            ("status", {}),
            ("positions", {}),
            ("accounts", {}),
            ("alerts", {"watch": "20%"}),
            ("chart", {"days": "1"}),
            ("snooze", {"duration": "1h"}),
            ("help", {}),
        ]:
            texts.append(
                (
                    await core.run(
                        alice,
                        name,
                        {"account": "main", **arguments}
                        if name not in ("accounts", "help")
                        else {},
                    )
                ).text
            )
        rig.inbox.failures = 3  # failed deliveries are logged with their error
        await rig.monitor.run_until_idle()
        # Faults of every kind while the monitor polls, then a revoked key.
        for kind in (
            "timeout",
            "server_error",
            "rate_limit",
            "malformed_json",
            "auth",
            "permission",
            "maintenance",
        ):
            rig.sim.inject_fault("kraken", kind, retry_after=0.0)
            await rig.poll(601.0)
            texts.append((await core.run(alice, "status", {"account": "main"})).text)
        rig.sim.revoke_key("kraken", ALICE_KEYS["api_key"])
        await rig.poll(601.0)
        # The exception texts a read failure carries, straight from the hub.
        for creds in (
            Credentials(ALICE_KEYS["api_key"], KRAKEN_SECRET),
            Credentials(BOB_KEYS["api_key"], "wrong-" + BOB_KEYS["secret"]),
        ):
            venue = "kraken" if creds.api_key.startswith("ALICE") else "bybit"
            try:
                await rig.hub.read_account(venue, creds)
            except ExchangeReadError as exc:
                texts += [str(exc), repr(exc), exc.detail, exc.user_message]
        texts.append(repr(rig.store))
        texts += [repr(a) for a in await rig.store.all_accounts()]
        texts += [
            repr(await rig.store.account_credentials(a.id)) for a in await rig.store.all_accounts()
        ]
        texts += [m.text for _, m in rig.inbox.sent]
        assert rig.inbox.sent, "the run told the owner nothing: the scan would prove little"
        db_files = [p for p in tmp_path.iterdir() if p.name.startswith("rel.db")]
        live_bytes = b"".join(p.read_bytes() for p in db_files)
    after_close = b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("rel.db")
    )
    for text in texts:
        scan("message or exception", text, found)
    for record in caplog.records:
        scan(f"log {record.name}", record.getMessage(), found)
        if record.exc_text:
            scan(f"log traceback {record.name}", record.exc_text, found)
    for secret in SECRETS:
        for label, blob in (("database (open)", live_bytes), ("database (closed)", after_close)):
            if secret.encode() in blob:
                found.append(f"{label} holds {secret[:6]}…")
    scan("service log output", service_logs.getvalue(), found)
    # The product itself logged while things failed: the scan had something to read.
    assert any(r.name.startswith("bot.") for r in caplog.records), "no product log records"
    assert found == []
