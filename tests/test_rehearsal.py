"""The README's rehearsal, through the real processes: `marginwatch sim` in one, `marginwatch run`
in simulator mode in another (the fake Telegram as its chat), /link with the printed key, one
POST /_sim/prices that crashes BTC, and the margin-call alert arrives marked as simulated within
one poll interval."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from bot.store.vault import generate_key
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI, FakeTelegramServer
from tests.support.processes import start_sim
from tests.test_app import clean_env, finish, free_port, start
from tests.test_readme import _fenced

TRADER = 4242
# Seconds: the calm interval, short so "one poll interval" is short, but no shorter than
# Kraken's per-key limit allows (its lowest tier drains 0.33 of a counter a second and a read
# costs 3: about one read every 14 s), or the venue's limit would stretch it.
POLL_INTERVAL = 15.0


async def start_bot(
    tmp_path: Path, api: FakeTelegramAPI, metrics_port: int, **settings: str
) -> asyncio.subprocess.Process:
    """`marginwatch run` with the fake Telegram as its chat (and the trader in it), metrics on
    ``metrics_port``, and ``settings`` (without the MARGINWATCH_ prefix)."""
    api.user(TRADER, "Trader")
    api.private_chat(TRADER)
    env = clean_env(
        tmp_path,
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.base_url,
        TELEGRAM_PRIVATE_CHAT_PACE="0.05",
        MASTER_KEYS=generate_key(),
        METRICS_PORT=str(metrics_port),
        **settings,
    )
    return await start(tmp_path, env)


async def say(api: FakeTelegramAPI, text: str, *, expect: str, timeout: float = 30.0) -> str:
    after = api.last_message_id()
    api.user_says(TRADER, TRADER, text)
    reply = await api.wait_for_message(TRADER, after=after, contains=expect, timeout=timeout)
    return reply.text


async def metric(http: aiohttp.ClientSession, port: int, name: str) -> float:
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        body = await response.text()
    found = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def wait_for(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


@pytest.mark.slow  # two real processes and a poll interval: ~30 s
async def test_a_trader_rehearses_a_margin_call_with_the_simulator(tmp_path: Path) -> None:
    sim = await start_sim()
    kraken = sim.account("kraken-margin")
    port = free_port()
    run_output = sim_output = ""
    try:
        async with FakeTelegramServer() as api, aiohttp.ClientSession() as http:
            bot = await start_bot(
                tmp_path,
                api,
                port,
                EXCHANGE_MODE="simulator",
                SIMULATOR_URL=sim.url,
                POLL_INTERVAL=str(POLL_INTERVAL),
            )
            try:
                await api.wait_until(lambda: api.calls_of("getUpdates"), timeout=60)

                async def serving() -> bool:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            return (await response.json())["exchange_mode"] == "simulator"
                    except aiohttp.ClientConnectionError:
                        return False

                await wait_for(serving, 30)

                asked = await say(api, "/link kraken main", expect="API key")
                assert asked.startswith("[simulator]") or "[simulator]" in asked.split("\n")[0]
                await say(api, kraken["key"], expect="API secret")
                linked = await say(api, kraken["secret"], expect="Linked main")
                assert "[simulator]" in linked.split("\n")[0]
                assert "Healthy" in linked

                async def polled() -> bool:
                    return await metric(http, port, "marginwatch_polls_total") >= 1

                await wait_for(polled, 30)  # the monitor has read the account on its own

                async with http.post(
                    f"{sim.url}/_sim/prices", data='{"prices": {"BTC": 41000}}'
                ) as response:
                    assert response.status == 200
                crashed = time.monotonic()
                alert = await api.wait_for_message(
                    TRADER, contains="MARGIN CALL", timeout=POLL_INTERVAL + 20
                )
                took = time.monotonic() - crashed
                first_line = alert.text.split("\n")[0]
                assert "[simulator] main: MARGIN CALL" in first_line, alert.text
                assert not alert.disable_notification  # a margin call rings, rehearsal or not
                assert took <= POLL_INTERVAL + 3.0, f"the alert took {took:.1f} s"
                assert alert.text == _fenced("rehearsal-alert")  # what the README shows
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    health = await response.json()
                assert health["exchange_mode"] == "simulator"
                assert (
                    'marginwatch_exchange_mode{mode="simulator"} 1.0'
                    in await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
                )
                after = api.last_message_id()
                async with http.post(
                    f"{sim.url}/_sim/prices", data='{"prices": {"BTC": 60000}}'
                ) as response:
                    assert response.status == 200
                recovered = await api.wait_for_message(
                    TRADER, after=after, contains="main: back to safety", timeout=POLL_INTERVAL + 20
                )
                assert recovered.text.startswith("🟢 [simulator] main: back to safety")
                for sent in api.sent(TRADER):
                    assert "[simulator]" in sent.text.split("\n")[0], sent.text
            finally:
                bot.send_signal(signal.SIGTERM)
                code, run_output = await finish(bot)
            assert code == 0, run_output[-3000:]
    finally:
        sim_code, sim_output = await sim.stop()
    assert sim_code == 0, sim_output
    assert "simulator mode: every exchange is read from the simulator at " + sim.url in run_output
    assert "prices set: BTC 41,000" in sim_output
    for secret in (TOKEN, kraken["secret"]):
        assert secret not in run_output


@pytest.mark.slow  # a real `marginwatch run`: ~15 s
async def test_testnet_mode_refuses_a_venue_without_a_sandbox_when_it_is_linked(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with FakeTelegramServer() as api, aiohttp.ClientSession() as http:
        bot = await start_bot(tmp_path, api, port, EXCHANGE_MODE="Testnet")
        try:
            await api.wait_until(lambda: api.calls_of("getUpdates"), timeout=60)
            # Refused before any key is asked for.
            refused = await say(api, "/link kraken main", expect="no testnet")
            assert refused.split("\n")[0].endswith("[testnet] Not done"), refused
            assert "Kraken (spot margin) has no testnet or demo environment" in refused
            assert not any("API key" in m.text for m in api.sent(TRADER))
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert (await response.json())["exchange_mode"] == "testnet"
        finally:
            bot.send_signal(signal.SIGTERM)
            code, output = await finish(bot)
    assert code == 0, output[-3000:]
    assert "testnet mode: every exchange is read from its own testnet or demo environment" in output
