"""`marginwatch run`: refuses clearly when it cannot start, runs with a chat, stops in order."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.store.vault import generate_key
from tests.fakes.telegram_api import TOKEN, FakeTelegramServer


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The process environment without any MARGINWATCH_ setting of the machine, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINWATCH_")}
    env.update({f"MARGINWATCH_{k}": v for k, v in settings.items()})
    env["MARGINWATCH_DATABASE"] = env.get("MARGINWATCH_DATABASE", str(tmp_path / "mw.db"))
    return env


async def start(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--env-file",
        str(tmp_path / "none.env"),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, timeout: float = 60) -> tuple[int, str]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, (out + err).decode()


async def test_with_nothing_configured_it_says_what_to_set_and_how_to_run_the_demo(
    tmp_path: Path,
) -> None:
    code, output = await finish(await start(tmp_path, clean_env(tmp_path)))
    assert code == 2
    assert "MARGINWATCH_TELEGRAM_TOKEN" in output and "marginwatch demo" in output
    assert not (tmp_path / "mw.db").exists()


async def test_a_bad_setting_is_one_sentence_and_nothing_starts(tmp_path: Path) -> None:
    env = clean_env(tmp_path, TELEGRAM_TOKEN=TOKEN, METRICS_PORT="ninety")
    code, output = await finish(await start(tmp_path, env))
    assert code == 2 and "MARGINWATCH_METRICS_PORT" in output and "Traceback" not in output
    assert TOKEN not in output


async def test_an_unwritable_database_path_is_refused_clearly(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        TELEGRAM_TOKEN=TOKEN,
        MASTER_KEYS=generate_key(),
        DATABASE=str(tmp_path / "no" / "such" / "folder" / "mw.db"),
    )
    code, output = await finish(await start(tmp_path, env))
    assert code == 2 and "does not exist" in output and "Traceback" not in output


async def test_a_token_telegram_refuses_stops_with_a_clear_sentence(tmp_path: Path) -> None:
    async with FakeTelegramServer() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_TOKEN="999:not-the-fake-bots-token",
            TELEGRAM_API_URL=api.base_url,
            MASTER_KEYS=generate_key(),
        )
        code, output = await finish(await start(tmp_path, env))
    assert code == 2 and "Telegram refused" in output
    assert "not-the-fake-bots-token" not in output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_service_runs_telegram_serves_metrics_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with FakeTelegramServer() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.base_url,
            MASTER_KEYS=generate_key(),
            METRICS_PORT=str(port),
            LOG_LEVEL="DEBUG",
            POLL_INTERVALL="30",
        )  # a typo the operator should hear about
        proc = await start(tmp_path, env)
        try:
            await api.wait_until(lambda: api.calls_of("getUpdates"), timeout=60)
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                            body = await response.text()
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    health = await response.json()
            assert "marginwatch_polls_total" in body
            assert 'marginwatch_front_end_up{front_end="telegram"} 1.0' in body
            assert "status" in health
        finally:
            proc.send_signal(signal.SIGTERM)
            code, output = await finish(proc)
    assert code == 0, output[-3000:]
    assert "marginwatch stopped" in output
    assert "MARGINWATCH_POLL_INTERVALL is not a marginwatch setting" in output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert (tmp_path / "mw.db").exists()


async def test_sigterm_with_a_reply_backlog_exits_cleanly_within_ten_seconds(
    tmp_path: Path,
) -> None:
    # Issue 12: a paced backlog of replies kept SIGTERM waiting past systemd's stop timeout.
    async with FakeTelegramServer() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.base_url,
            MASTER_KEYS=generate_key(),
        )
        proc = await start(tmp_path, env)
        try:
            await api.wait_until(lambda: api.calls_of("getUpdates"), timeout=60)
            for _ in range(8):  # eight replies to one chat at one a second: a backlog
                api.user_says(5001, 5001, "/help")
            await api.wait_until(lambda: api.sent(5001), timeout=30)
        finally:
            began = asyncio.get_running_loop().time()
            proc.send_signal(signal.SIGTERM)
            code, output = await finish(proc)
            took = asyncio.get_running_loop().time() - began
    assert code == 0, output[-3000:]
    assert took < 10.0, f"SIGTERM took {took:.1f} s"
    assert "command replies still pending at shutdown" in output
    assert len(api.sent(5001)) < 8


# --- the newcomer's start-up messages (issue 13) ----------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    return free_port()


async def test_an_unreachable_telegram_is_one_sentence_saying_what_to_check(
    tmp_path: Path,
) -> None:
    env = clean_env(
        tmp_path,
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_API_URL=f"http://127.0.0.1:{closed_port()}/bot",
        MASTER_KEYS=generate_key(),
    )
    code, output = await finish(await start(tmp_path, env))
    assert code == 2, output[-3000:]
    assert "Traceback" not in output and "httpx" not in output
    (sentence,) = [line for line in output.splitlines() if line.startswith("marginwatch run:")]
    assert "could not reach the Telegram Bot API at http://127.0.0.1:" in sentence
    assert "MARGINWATCH_TELEGRAM_API_URL" in sentence and "network" in sentence
    assert TOKEN not in output and TOKEN.split(":")[1] not in output


async def test_an_unreachable_discord_is_one_sentence_saying_what_to_check(
    tmp_path: Path,
) -> None:
    import types

    import pytest

    from bot.app import Service, StartupError
    from bot.settings import Settings
    from tests.fakes.discord_api import redirect_discord

    port = closed_port()
    nowhere = types.SimpleNamespace(
        base_url=f"http://127.0.0.1:{port}/api/v10", gateway_url=f"ws://127.0.0.1:{port}/gateway"
    )
    settings = Settings(  # type: ignore[call-arg]
        discord_token="MTAx.not-a-real-discord-token.xyz",
        master_keys=generate_key(),
        database=tmp_path / "mw.db",
        _env_file=None,
    )
    with redirect_discord(nowhere), pytest.raises(StartupError) as caught:  # type: ignore[arg-type]
        await asyncio.wait_for(Service(settings).serve(), 60)
    sentence = str(caught.value)
    assert sentence.startswith("could not reach Discord at 127.0.0.1:"), sentence
    assert "network" in sentence and "not-a-real" not in sentence


async def test_a_chat_token_without_a_master_key_refuses_to_start_with_the_command(
    tmp_path: Path,
) -> None:
    # Linking is the first thing anyone does, and it needs the key: refuse before starting.
    env = clean_env(tmp_path, TELEGRAM_TOKEN=TOKEN)
    code, output = await finish(await start(tmp_path, env))
    assert code == 2 and "Traceback" not in output
    assert "no master key" in output and "marginwatch keys new" in output
    assert "MARGINWATCH_MASTER_KEYS" in output
    assert not (tmp_path / "mw.db").exists()


async def test_a_misspelt_setting_is_named_with_the_one_it_was_meant_to_be_first(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path, TELEGRAM_TOKN=TOKEN)
    code, output = await finish(await start(tmp_path, env))
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[0] == (
        "marginwatch run: MARGINWATCH_TELEGRAM_TOKN is not a marginwatch setting: "
        "did you mean MARGINWATCH_TELEGRAM_TOKEN?"
    ), lines[:3]
    assert "no chat front end is configured" in output  # still said, after the likely cause
    assert TOKEN not in output


async def test_a_misspelt_setting_in_the_env_file_is_named_too(tmp_path: Path) -> None:
    (tmp_path / "none.env").write_text(f"MARGINWATCH_TELEGRAM_TOKN={TOKEN}\n")
    code, output = await finish(await start(tmp_path, clean_env(tmp_path)))
    assert code == 2
    assert output.splitlines()[0].endswith("did you mean MARGINWATCH_TELEGRAM_TOKEN?"), output
