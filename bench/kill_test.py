"""Kill the real ``marginwatch run`` at the worst moments; count what the chats received.

    python bench/kill_test.py               # 36 price steps, a kill at most of them
    python bench/kill_test.py --quick       # CI (tests/bench/test_kill_test.py): 7 steps
    python bench/kill_test.py --json        # one JSON object

The service runs as its own process, exactly as an operator starts it (``marginwatch run``,
settings from the environment), against the fake Telegram Bot API and the fake Discord (REST
and gateway) of ``tests/fakes`` and the exchange simulator, all served from this process on
127.0.0.1. Two traders (one on Telegram, one on Discord) have linked a Hyperliquid account each
(one request per read, so a read never mixes two prices). A price path moves both through ok,
watch, margin call and critical and back, repeating the same transitions again and again; each
step holds until both subscriptions' stored level shows the poll committed it.

The process is stopped at the moments that matter, one kind per step in turn:

  random    SIGKILL at a random moment while the step is being judged
  read      SIGKILL while an account read is in flight (the simulator answers slowly)
  send-tg   SIGKILL after the fake Bot API stored a message, before the process hears back
  send-dc   the same on Discord (the fake honours the nonce as Discord does)
  startup   SIGKILL within the first moments of a start, then a normal start
  sigterm   SIGTERM at a random moment: it must exit 0 within 10 s
  migrate   (before the path, on a large database of the first schema) SIGKILL inside the
            alert-state migration, caught by its growing write-ahead log

After every kill: ``PRAGMA integrity_check``. At the end the alerts the path implies (one per
level change, per chat) are compared with those the chats show (coalesced messages counted by
their parts): lost, duplicated, and the duplicates allowed (Telegram: only the alerts a death
caught inside a send, i.e. accepted by the fake Bot API but not yet recorded by the outbox,
observed at every death whatever its kind; Discord: none).

The exchanges are read in ``MARGINWATCH_EXCHANGE_MODE=simulator`` (issue 13), from the
simulator served here (the same server ``marginwatch sim`` runs; in this process so the bench can
see each read arrive and slow it down). One seam remains: discord.py opens its gateway at a fixed
URL, so the child is this file with ``--child``, which points discord.py's REST and gateway URLs
at the fake Discord and then calls ``bot.cli.main(["run"])`` unchanged. The venues' limits are
on: the simulator enforces Hyperliquid's and the product's budget obeys them. Chat messages
carry the "[simulator]" marker, which the count strips.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import random
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABEL = "main"
TELEGRAM_USER = 6001
WALLETS = {"telegram": "0x" + "a1" * 20, "discord": "0x" + "b2" * 20}
BTC = "BTC/USDC:USDC"
START_PRICE = 60_000.0
# Each level's alert title, as the catalogue words it (escalation and recovery alike).
KINDS = ("random", "read", "send-tg", "send-dc", "startup", "sigterm")
PATH = ("critical", "ok", "critical", "ok", "margin_call", "ok", "watch", "critical", "watch")
POLL_INTERVAL = "1.0"
# Hyperliquid's maintenance is so small that its margin call lies inside the default critical
# distance (5 %): the traders set their own watch and margin-call distances, as /alerts lets them.
MOVE_LINES = {"watch_move": 0.30, "margin_call_move": 0.15}
SIGTERM_LIMIT = 10.0


# ---- the child: `marginwatch run` with the seam --------------------------------------------


def child() -> int:
    """``marginwatch run``, with discord.py's REST and gateway URLs pointed at the fake Discord."""
    import discord.gateway
    import discord.http
    import yarl

    from bot.cli import main

    discord.http.Route.BASE = os.environ["KILL_TEST_DISCORD_API"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        os.environ["KILL_TEST_DISCORD_GATEWAY"]
    )
    return main(["run", "--env-file", os.devnull])


# ---- the servers and the database ------------------------------------------------------------


@dataclass
class Tally:
    kills: Counter[str] = field(default_factory=Counter)
    landed_in_send: Counter[str] = field(default_factory=Counter)  # telegram / discord
    # Telegram alerts the fake had accepted but the outbox had not recorded when the process
    # died: the only repeats the README allows (observed at each death, not assumed).
    caught_in_send: int = 0
    telegram_surplus: int = 0
    integrity_failures: int = 0
    sigterm_seconds: list[float] = field(default_factory=list)
    sigterm_bad_exits: int = 0
    migration_kills_inside: int = 0


class Service:
    """Starts, kills and stops the child process; its output goes to one log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.killed = False
        # Called once the previous process has exited, before the next starts (the dead one
        # can change nothing any more: what it left is what a kill left).
        self.after_death: Callable[[], None] | None = None

    @property
    def alive(self) -> bool:
        # A SIGKILL sent from a fake server's handler is not reaped yet, but it is dead: a step
        # must not go on (and arm its own kill) against a process that is already gone.
        return self.proc is not None and self.proc.returncode is None and not self.killed

    async def start(self) -> None:
        if self.proc is not None:
            await self.proc.wait()
            if self.after_death is not None:
                self.after_death()
        self.killed = False
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--child",
                env=self.env,
                cwd=str(self.log.parent),
                stdout=out,
                stderr=out,
            )

    def kill_now(self) -> bool:
        """SIGKILL at once (callable from a server's request handler); whether it was alive."""
        if not self.alive:
            return False
        assert self.proc is not None
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        return True

    async def kill(self) -> None:
        self.kill_now()
        await self.wait()

    async def wait(self) -> int:
        assert self.proc is not None
        return await self.proc.wait()

    async def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds to exit)."""
        assert self.proc is not None
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            await self.kill()
            code = -9
        return code, time.monotonic() - began


def integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def levels(db: Path) -> dict[int, str]:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as c:
            return dict(c.execute("select subscription_id, level from alert_state").fetchall())
    except sqlite3.Error:  # not created yet, or mid-migration
        return {}


def alert_parts(title: str, lines: list[str]) -> list[str]:
    """The alerts one chat message holds: its title, or each part of a coalesced message."""
    title = re.sub(r"^[^\w\s\[]+\s+", "", title)  # Telegram's severity marker (an emoji)
    title = re.sub(r"^\[[a-z]+\]\s+", "", title)  # the rehearsal marker: "[simulator]"
    if re.search(r" \(\+\d+ more\)$", title):
        return [line[2:] for line in lines if line.startswith("• ")]
    return [title]


# ---- the run -------------------------------------------------------------------------------


async def calibrate(hub: Any, sim: Any) -> dict[str, float]:
    """A BTC price for each level, well inside it (hysteresis band included on both sides)."""
    import risk
    from bot.exchanges import Credentials
    from bot.monitor.policy import AlertRules, judge_level
    from bot.store import Thresholds

    rules = AlertRules(thresholds=Thresholds(**MOVE_LINES))
    found: dict[str, float] = {}
    for price in range(int(START_PRICE), 20_000, -250):
        sim.set_price("hyperliquid", BTC, float(price))
        read = await hub.read_account(
            "hyperliquid", Credentials(wallet_address=WALLETS["telegram"])
        )
        health = risk.assess(read.snapshot)
        level = judge_level(health, rules)
        wide = judge_level(health, rules, slack=rules.hysteresis)
        if level == wide and level not in found:
            found[level] = float(price)
    sim.set_price("hyperliquid", BTC, START_PRICE)
    missing = {"ok", "watch", "margin_call", "critical"} - found.keys()
    if missing:
        raise SystemExit(f"calibration found no price for {sorted(missing)}: {found}")
    return found


async def seed(db: Path, key: str, hub: Any, discord_user: str) -> None:
    from bot.core.identity import Caller
    from bot.core.usecases import Core
    from bot.exchanges import SUPPORTED_VENUES
    from bot.store import Store, Thresholds, Vault

    store = await Store.open(db, Vault.from_strings([key]))
    try:
        core = Core(store, hub, SUPPORTED_VENUES)
        for platform, user in (("telegram", str(TELEGRAM_USER)), ("discord", discord_user)):
            caller = Caller(platform=platform, user_id=user, chat_id=user, is_private_chat=True)  # type: ignore[arg-type]
            answer = await core.link(
                caller, "hyperliquid", LABEL, credentials={"wallet_address": WALLETS[platform]}
            )
            if answer.severity == "error":
                raise SystemExit(f"seeding failed: {answer.title}: {answer.lines}")
        ids = await store.read(lambda tx: tx.db.execute("select id from subscriptions").fetchall())
        for (subscription_id,) in ids:
            await store.set_thresholds(subscription_id, Thresholds(**MOVE_LINES))
    finally:
        await store.close()


def old_database(path: Path, rows: int) -> None:
    """A database of the first schema (m001) holding ``rows`` judged subscriptions."""
    from bot.store.connection import connect
    from bot.store.schema import migrations

    db = connect(path)
    migrations.apply(db, stop_before="m002_alert_state_one_record")
    db.execute(
        "insert into users (id, platform, platform_user_id, created_at) "
        "values (1, 'telegram', '1', 1)"
    )
    db.execute(
        "insert into accounts (id, owner_id, venue, label, status, consecutive_failures, "
        "created_at, next_poll_at) values (1, 1, 'hyperliquid', 'old', 'paused', 0, 1, 1)"
    )
    db.execute("begin")
    db.conn.executemany(
        "insert into subscriptions (id, account_id, platform, chat_id, is_dm, created_at) "
        "values (?, 1, 'telegram', ?, 1, 1)",
        [(n, str(n)) for n in range(1, rows + 1)],
    )
    db.conn.executemany(
        "insert into alert_state (subscription_id, level, last_alert_at, last_positions, "
        "feed_status, stale_polls, details, updated_at) values (?, ?, ?, '[\"BTC\"]', ?, ?, ?, ?)",
        [
            (
                n,
                ("ok", "watch", "margin_call", "critical")[n % 4],
                float(n),
                "stale" if n % 7 == 0 else "ok",
                n % 5,
                json.dumps({"told_level": ("ok", "watch", "margin_call", "critical")[n % 4]}),
                float(n),
            )
            for n in range(1, rows + 1)
        ],
    )
    db.execute("commit")
    db.close()


def migrated_correctly(path: Path, rows: int) -> bool:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        found = conn.execute(
            "select subscription_id, level, told_level, told_at, failed_polls, feed_told, "
            "positions from alert_state order by subscription_id"
        ).fetchall()
    expected = [
        (
            n,
            ("ok", "watch", "margin_call", "critical")[n % 4],
            ("ok", "watch", "margin_call", "critical")[n % 4],
            float(n),
            n % 5,
            "data_stale" if n % 7 == 0 else None,
            '["BTC"]',
        )
        for n in range(1, rows + 1)
    ]
    return found == expected


def applied(path: Path, name: str) -> bool:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return bool(
            conn.execute("select 1 from _sqlite_migrations where name = ?", [name]).fetchone()
        )


async def migration_kills(
    env: dict[str, str], folder: Path, tally: Tally, kills: int, rows: int
) -> dict[str, Any]:
    """SIGKILL ``marginwatch run`` inside the m002 migration of a large old database."""
    path = folder / "old.db"
    old_database(path, rows)
    service = Service({**env, "MARGINWATCH_DATABASE": str(path)}, folder / "migrate.log")
    wal = path.with_name(path.name + "-wal")
    for _ in range(kills):
        await service.start()
        deadline = time.monotonic() + 60
        start_size = wal.stat().st_size if wal.exists() else 0
        # The migration is the only writer at start-up: a growing WAL before m002 is recorded
        # means the kill lands inside its transaction.
        while time.monotonic() < deadline and service.alive:
            if wal.exists() and wal.stat().st_size > start_size + 32 * 1024:
                break
            await asyncio.sleep(0.002)
        await asyncio.sleep(random.uniform(0, 0.01))  # somewhere inside it
        await service.kill()
        tally.kills["migrate"] += 1
        if not applied(path, "m002_alert_state_one_record"):
            tally.migration_kills_inside += 1
        if integrity(path) != "ok":
            tally.integrity_failures += 1
    await service.start()  # a clean start migrates whole
    for _ in range(600):
        if applied(path, "m003_outbox_send_token"):
            break
        await asyncio.sleep(0.1)
    code, _ = await service.terminate()
    ok = integrity(path) == "ok" and migrated_correctly(path, rows)
    if integrity(path) != "ok":
        tally.integrity_failures += 1
    return {"rows": rows, "migrated_correctly": ok, "clean_exit": code == 0}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from bench._common import load_average
    from bot.core import texts
    from bot.exchanges import ExchangeHub
    from bot.sim import Simulator
    from bot.store import generate_key
    from tests.fakes.discord_api import FakeDiscord, make_guild
    from tests.fakes.telegram_api import TOKEN, FakeTelegramServer

    # A killed read leaves the simulator a reset connection to complain about: expected here.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    rng = random.Random(args.seed)
    random.seed(args.seed)
    tally = Tally()
    folder = Path(tempfile.mkdtemp(prefix="marginwatch-kill-"))
    db = folder / "mw.db"
    key = generate_key()
    account = {
        "usdc": 6000.0,
        "positions": [{"coin": "BTC", "szi": 0.2, "entry": 60000.0, "leverage": 20}],
    }
    guild = make_guild("Traders")
    trader = guild.member("alice")
    async with (
        Simulator({"venues": {"hyperliquid": {"prices": {BTC: START_PRICE}}}}) as sim,
        FakeTelegramServer() as telegram,
        FakeDiscord([guild]) as fake_discord,
    ):
        for wallet in WALLETS.values():
            sim.add_account(
                "hyperliquid", api_key=wallet, secret="", **json.loads(json.dumps(account))
            )
        telegram.user(TELEGRAM_USER, "Tara")
        telegram.private_chat(TELEGRAM_USER)
        hub = ExchangeHub(base_urls=sim.base_urls, backoff_base=0.0)
        async with hub:
            prices = await calibrate(hub, sim)
            await seed(db, key, hub, str(trader.user_id))
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINWATCH_")}
        env = {
            **base_env,
            "PYTHONPATH": str(ROOT),
            "MARGINWATCH_TELEGRAM_TOKEN": TOKEN,
            "MARGINWATCH_TELEGRAM_API_URL": telegram.base_url,
            "MARGINWATCH_DISCORD_TOKEN": "kill-test-token",
            "MARGINWATCH_MASTER_KEYS": key,
            "MARGINWATCH_DATABASE": str(db),
            "MARGINWATCH_POLL_INTERVAL": POLL_INTERVAL,
            "MARGINWATCH_LOG_LEVEL": "INFO",
            # Issue 13's simulator mode: every venue from the simulator served here.
            "MARGINWATCH_EXCHANGE_MODE": "simulator",
            "MARGINWATCH_SIMULATOR_URL": sim.base_urls["hyperliquid"].rsplit("/", 1)[0],
            "KILL_TEST_DISCORD_API": fake_discord.base_url,
            "KILL_TEST_DISCORD_GATEWAY": fake_discord.gateway_url,
        }
        began = time.monotonic()
        migration = await migration_kills(env, folder, tally, args.migration_kills, args.old_rows)
        migration["seconds"] = round(time.monotonic() - began, 1)

        service = Service(env, folder / "run.log")
        armed: dict[str, bool] = {"telegram": False, "discord": False}

        def telegram_parts() -> int:
            return sum(
                len(alert_parts(m.text.split("\n")[0], m.text.split("\n")[1:]))
                for m in telegram.sent(TELEGRAM_USER)
            )

        def observe_death() -> None:
            # Accepted by the fake but not recorded by the outbox: the surplus grows by the
            # alerts this death caught inside a send, and only by as many as are still pending.
            with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
                delivered, pending = conn.execute(
                    "select sum(status = 'delivered'), sum(status = 'pending') from outbox "
                    "where platform = 'telegram' and subscription_id is not null"
                ).fetchone()
            surplus = telegram_parts() - (delivered or 0)
            caught = min(max(surplus - tally.telegram_surplus, 0), pending or 0)
            tally.telegram_surplus = surplus
            tally.caught_in_send += caught
            tally.landed_in_send["telegram"] += caught > 0

        service.after_death = observe_death

        # Kill inside a send: the fake stored the message; the process never hears back.
        real_call = telegram.call

        async def telegram_call(
            method: str, params: dict[str, Any], files: dict[str, bytes]
        ) -> Any:
            answer = await real_call(method, params, files)
            if (
                armed["telegram"]
                and method.lower() in ("sendmessage", "sendphoto")
                and answer[0] == 200
            ):
                armed["telegram"] = False
                service.kill_now()  # counted when the death is observed, as every other kill
            return answer

        telegram.call = telegram_call  # type: ignore[method-assign]
        real_create = fake_discord._create_message

        def discord_create(channel_id: int, body: dict[str, Any], files: list) -> Any:
            answer = real_create(channel_id, body, files)
            if armed["discord"] and answer[0] == 200:
                armed["discord"] = False
                if service.kill_now():
                    tally.landed_in_send["discord"] += 1
            return answer

        fake_discord._create_message = discord_create  # type: ignore[method-assign]

        path = [PATH[i % len(PATH)] for i in range(args.steps)]
        expected_levels = ["ok", *path]
        await service.start()
        started = time.monotonic()
        for index, level in enumerate(path):
            kind = KINDS[index % len(KINDS)] if index % 7 != 6 else "none"
            if not service.alive:
                await service.start()
            sim.set_price("hyperliquid", BTC, prices[level])
            if kind == "random":
                await asyncio.sleep(rng.uniform(0.0, 1.5))
                await service.kill()
            elif kind == "read":
                sim.latency = 0.3
                seen = len(sim.requests)
                for _ in range(3000):
                    if any(r.path.endswith("/info") for r in sim.requests[seen:]):
                        break
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.1)
                await service.kill()
                sim.latency = 0.0
            elif kind in ("send-tg", "send-dc"):
                armed["telegram" if kind == "send-tg" else "discord"] = True
            elif kind == "startup":
                await service.kill()
                await service.start()
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                await service.kill()
            elif kind == "sigterm":
                await asyncio.sleep(rng.uniform(0.0, 1.5))
                code, took = await service.terminate()
                tally.sigterm_seconds.append(took)
                tally.sigterm_bad_exits += code != 0
            if kind not in ("none", "send-tg", "send-dc"):  # a kill in a send counts once it lands
                tally.kills[kind] += 1
            # The step holds until both subscriptions committed it (restarting after a kill) and
            # an armed kill inside a send has landed (every step changes the level: each chat
            # is sent an alert).
            deadline = time.monotonic() + 90
            while True:
                if not service.alive:
                    if integrity(db) != "ok":
                        tally.integrity_failures += 1
                    armed["telegram"] = armed["discord"] = False
                    await service.start()
                stored = levels(db)
                if len(stored) == 2 and set(stored.values()) == {level} and not any(armed.values()):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"step {index} ({level}) was never judged; see {service.log}")
                await asyncio.sleep(0.05)
            # A send armed but not reached this step (no alert for this level change) expires.
            armed["telegram"] = armed["discord"] = False
        # Kills inside a Telegram send, armed or not (a kill inside a Discord send can land in
        # a Telegram send of the same step too): observed at each death.
        tally.kills["send-tg"] = tally.landed_in_send["telegram"]
        tally.kills["send-dc"] = tally.landed_in_send["discord"]
        # Let the last alerts out, then stop as an operator would.
        await asyncio.sleep(3.0)
        code, took = await service.terminate()
        tally.sigterm_seconds.append(took)
        tally.sigterm_bad_exits += code != 0
        if integrity(db) != "ok":
            tally.integrity_failures += 1
        observe_death()
        elapsed = time.monotonic() - started
        outbox = (
            sqlite3.connect(db)
            .execute("select count(*) from outbox where status = 'pending'")
            .fetchone()[0]
        )

        transitions = [b for a, b in itertools.pairwise(expected_levels) if a != b]
        expected = Counter(texts.ALERT_TITLE[lvl].format(label=LABEL) for lvl in transitions)
        got = {
            "telegram": Counter(
                part
                for m in telegram.sent(TELEGRAM_USER)
                for part in alert_parts(m.text.split("\n")[0], m.text.split("\n")[1:])
            ),
            "discord": Counter(
                part
                for m in fake_discord.messages.values()
                if m.get("embeds") and m["channel_id"] != "0"
                for part in alert_parts(
                    m["embeds"][0].get("title", ""),
                    (m["embeds"][0].get("description") or "").split("\n"),
                )
            ),
        }
    chats = {}
    for platform, delivered in got.items():
        lost = expected - delivered
        duplicates = delivered - expected
        chats[platform] = {
            "expected": sum(expected.values()),
            "delivered": sum(delivered.values()),
            "lost": sum(lost.values()),
            "duplicates": sum(duplicates.values()),
            "kills_inside_a_send": tally.landed_in_send[platform],
        }
    chats["telegram"]["caught_inside_a_send"] = tally.caught_in_send
    ok = (
        all(c["lost"] == 0 for c in chats.values())
        and chats["discord"]["duplicates"] == 0
        # Each repeat must be one a death caught inside a send (and a kill caught at least one).
        and chats["telegram"]["duplicates"] <= tally.caught_in_send
        and tally.caught_in_send <= chats["telegram"]["duplicates"] + outbox
        and tally.integrity_failures == 0
        and tally.sigterm_bad_exits == 0
        and max(tally.sigterm_seconds, default=0.0) < SIGTERM_LIMIT
        and migration["migrated_correctly"]
        and migration["clean_exit"]
        and outbox == 0
    )
    return {
        "bench": "kill_test",
        "quick": args.quick,
        "steps": args.steps,
        "seed": args.seed,
        "venue_limits": "on: the simulator enforces Hyperliquid's, the product's budget obeys them",
        "load_average": load_average(),
        "seconds": round(elapsed, 1),
        "kills": dict(tally.kills),
        "integrity_failures": tally.integrity_failures,
        "sigterm_max_seconds": round(max(tally.sigterm_seconds, default=0.0), 2),
        "sigterm_bad_exits": tally.sigterm_bad_exits,
        "migration": {**migration, "kills_inside": tally.migration_kills_inside},
        "outbox_pending_at_end": outbox,
        "chats": chats,
        "ok": ok,
        "log": str(folder),
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"kill test: {result['steps']} price steps, seed {result['seed']}, {result['seconds']} s")
    print(f"load average {result['load_average']}; venue limits: {result['venue_limits']}")
    print("kills: " + ", ".join(f"{k} {v}" for k, v in sorted(result["kills"].items())))
    print(
        f"integrity failures: {result['integrity_failures']}; SIGTERM: max "
        f"{result['sigterm_max_seconds']} s, bad exits {result['sigterm_bad_exits']}"
    )
    m = result["migration"]
    print(
        f"migration of {m['rows']} rows: {m['kills_inside']} kills inside it, migrated "
        f"correctly: {m['migrated_correctly']}"
    )
    print(
        f"{'chat':<10}{'expected':>9}{'delivered':>10}{'lost':>6}{'dups':>6}{'kills in send':>15}"
    )
    for name, c in result["chats"].items():
        print(
            f"{name:<10}{c['expected']:>9}{c['delivered']:>10}{c['lost']:>6}{c['duplicates']:>6}"
            f"{c['kills_inside_a_send']:>15}"
        )
    print("OK" if result["ok"] else f"FAILED (logs in {result.get('log')})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="7 steps, 1 migration kill (CI)")
    parser.add_argument("--steps", type=int, default=36)
    parser.add_argument("--migration-kills", type=int, default=5)
    parser.add_argument("--old-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    if args.quick:
        args.steps, args.migration_kills, args.old_rows = len(KINDS) + 1, 1, 40_000
    result = asyncio.run(measure(args))
    if result["ok"]:  # the logs are kept only when something failed
        shutil.rmtree(result.pop("log"), ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
