"""Logs never contain a secret: registered values, bot tokens in URLs, inside tracebacks too."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot import logs
from bot.settings import load_settings

TELEGRAM_TOKEN = "5550001234:AAFs3cretTelegramTokenPart_abcdefghijk"
DISCORD_TOKEN = "MTAxNTk0NjUwNjI4MDAwMzU4NA.GxYz12.s3cretDiscordTokenPartAbcdefghijk"
EXCHANGE_SECRET = "exch-s3cret-9f8e7d6c5b4a"
MASTER_KEY = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c="
ALL_SECRETS = (TELEGRAM_TOKEN, DISCORD_TOKEN, EXCHANGE_SECRET, MASTER_KEY)

pytestmark = pytest.mark.usefixtures("isolated_logging")


def configured(fmt: str = "text", level: str = "DEBUG") -> io.StringIO:
    stream = io.StringIO()
    logs.setup_logging(
        level, fmt, secrets=[DISCORD_TOKEN, MASTER_KEY], stream=stream, capture_warnings=False
    )
    logs.register_secret(EXCHANGE_SECRET)  # as the exchange layer would, at run time
    return stream


def leak_everywhere(log: logging.Logger) -> None:
    """Log each secret every way a careless line could carry it."""
    log.info("token is %s", DISCORD_TOKEN)
    log.info(f"master key {MASTER_KEY} loaded")
    log.warning("request to https://api.telegram.org/bot%s/getMe failed", TELEGRAM_TOKEN)
    log.warning("raw token %s in a message", TELEGRAM_TOKEN)
    log.info(
        "callback https://discord.com/api/v10/interactions/123456789/"
        "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OnNlY3JldA/callback"
    )
    log.info("extra carries it", extra={"credentials": f"secret={EXCHANGE_SECRET}"})
    log.info("dict args %(key)s", {"key": EXCHANGE_SECRET})
    try:
        try:
            raise ConnectionError(f"signature for {EXCHANGE_SECRET} rejected")
        except ConnectionError as inner:
            raise RuntimeError(f"read failed with token {DISCORD_TOKEN}") from inner
    except RuntimeError:
        log.exception("reading the account failed")
    log.info("where am I", stack_info=True)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_reaches_the_output(fmt: str) -> None:
    stream = configured(fmt)
    leak_everywhere(logging.getLogger("bot.test"))
    output = stream.getvalue()
    for secret in ALL_SECRETS:
        assert secret not in output
    assert "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OnNlY3JldA" not in output
    # The lines are still there and still useful: only the secrets are gone.
    assert "master key *** loaded" in output
    assert "https://api.telegram.org/bot***/getMe failed" in output
    assert "/interactions/123456789/***/callback" in output
    assert "reading the account failed" in output and "RuntimeError" in output
    assert "ConnectionError" in output  # the chained cause is kept, redacted


def test_json_lines_are_one_object_each_with_the_extra_fields() -> None:
    stream = configured("json", level="INFO")
    log = logging.getLogger("bot.monitor")
    log.debug("below the level")
    log.info("polled %d accounts", 3, extra={"venue": "kraken", "duration": 0.25})
    try:
        raise ValueError(f"bad key {EXCHANGE_SECRET}")
    except ValueError:
        log.error("link failed", exc_info=True)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["message"] for entry in lines] == ["polled 3 accounts", "link failed"]
    first, second = lines
    assert (first["level"], first["logger"], first["venue"], first["duration"]) == (
        "INFO",
        "bot.monitor",
        "kraken",
        0.25,
    )
    assert first["ts"].endswith("Z")
    assert "ValueError: bad key ***" in second["exc"]


def test_settings_secrets_are_registered_by_setup_from_settings(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARGINWATCH_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("MARGINWATCH_MASTER_KEYS", MASTER_KEY)
    monkeypatch.setenv("MARGINWATCH_LOG_FORMAT", "json")
    settings = load_settings(secrets=None)
    stream = io.StringIO()
    logs.setup_logging_from(settings, stream=stream)
    logging.getLogger("bot").warning("keys %s / %s", MASTER_KEY, TELEGRAM_TOKEN[-20:])
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["message"] == "keys *** / " + TELEGRAM_TOKEN[-20:]  # a fragment is not the token
    assert MASTER_KEY not in stream.getvalue()


async def test_a_real_http_client_logging_a_bot_url_leaks_no_token(
    aiohttp_free_server: str,
) -> None:
    """httpx logs request URLs (with the bot token) at INFO; after setup nothing shows it,
    even when someone turns httpx back up to DEBUG."""
    stream = configured("text", level="DEBUG")
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{aiohttp_free_server}/bot{TELEGRAM_TOKEN}/getMe")
    assert response.json() == {"ok": True}
    assert logging.getLogger("httpx").level == logging.WARNING
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    async with httpx.AsyncClient() as client:
        await client.get(f"{aiohttp_free_server}/bot{TELEGRAM_TOKEN}/getMe")
    output = stream.getvalue()
    assert "/bot***/getMe" in output  # httpx did log the request the second time
    assert TELEGRAM_TOKEN not in output


@pytest.fixture
async def aiohttp_free_server() -> str:
    async def get_me(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/bot{token}/getMe", get_me)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def test_setup_twice_keeps_one_handler_and_redacts_other_handlers() -> None:
    root = logging.getLogger()
    other = io.StringIO()
    foreign = logging.StreamHandler(other)
    root.addHandler(foreign)
    try:
        first = configured()
        second = configured()
        logging.getLogger("bot").info("secret %s", EXCHANGE_SECRET)
    finally:
        root.removeHandler(foreign)
    assert first.getvalue() == ""
    assert second.getvalue().count("secret ***") == 1
    assert other.getvalue().strip() == "secret ***"


def test_redactor_masks_the_longest_secret_whole_and_ignores_tiny_values() -> None:
    redactor = logs.Redactor()
    redactor.register("abcd", "abcdefgh", "xy", None, "")
    assert len(redactor) == 2
    assert redactor.redact("abcdefgh then abcd then xy") == "*** then *** then xy"
    assert "abcd" not in repr(redactor)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format must be text or json, not 'xml'"):
        logs.setup_logging("INFO", "xml", stream=io.StringIO())


def test_exchange_key_headers_are_masked_even_when_nobody_registered_the_key() -> None:
    # ccxt prints request headers at DEBUG; a user's API key is never registered globally.
    out = configured()
    logging.getLogger("ccxt.base.exchange").warning(
        "fetch Request: kraken POST https://x/0/private/TradeBalance RequestHeaders: "
        "{'API-Key': 'userKeyAbc123xyz', 'API-Sign': 'c2lnbmF0dXJl==', "
        "'X-MBX-APIKEY': 'binanceKey987', 'OK-ACCESS-PASSPHRASE': 'pass-phrase-1'}"
    )
    text = out.getvalue()
    for secret in ("userKeyAbc123xyz", "c2lnbmF0dXJl==", "binanceKey987", "pass-phrase-1"):
        assert secret not in text
    assert "'API-Key': '***'" in text and "TradeBalance" in text
