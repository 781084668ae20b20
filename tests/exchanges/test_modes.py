"""MARGINWATCH_EXCHANGE_MODE: live, each venue's own sandbox (checked against ccxt's own sandbox
URLs, no network), and the simulator (the real hub reading a real simulator on 127.0.0.1)."""

from __future__ import annotations

import json
import ssl
from types import SimpleNamespace

import aiohttp
import ccxt.async_support as ccxt_async
import pytest

from bot.cli import main
from bot.exchanges import SUPPORTED_VENUES, Credentials, ExchangeHub, ExchangeReadError
from bot.exchanges.factory import hub_for
from bot.exchanges.modes import DEFAULT_SIMULATOR_URL, SANDBOXES, ExchangeMode
from bot.exchanges.registry import adapter_for
from bot.settings import Settings
from bot.sim import Simulator
from bot.sim import cli as sim_cli
from bot.sim.accounts import DEFAULT_ACCOUNTS, load_accounts, open_accounts
from tests.support.limits import LIMITS_SPEED, limits_budget

TESTNET = ExchangeMode("testnet")


def test_every_venue_says_whether_it_has_a_sandbox() -> None:
    assert set(SANDBOXES) == set(SUPPORTED_VENUES)


def test_the_defaults_of_settings_modes_and_the_simulator_agree() -> None:
    url = f"http://{sim_cli.DEFAULT_HOST}:{sim_cli.DEFAULT_PORT}"
    assert Settings.model_fields["simulator_url"].default == DEFAULT_SIMULATOR_URL == url
    assert Settings.model_fields["exchange_mode"].default == "live"


async def _instances(venue: str, mode: ExchangeMode) -> tuple[object, object]:
    """The hub's master instance of ``venue`` and an account's copy of it, as the hub builds
    them (nothing is sent)."""
    hub = ExchangeHub(mode=mode)
    adapter = adapter_for(venue)
    async with aiohttp.ClientSession() as session:
        context = ssl.create_default_context()
        master = hub._new_instance(adapter, venue, session, context, {})
        account = hub._new_instance(
            adapter, venue, session, context, {"apiKey": "k", "secret": "s", "password": "p"}
        )
    return master, account


@pytest.mark.parametrize("venue", sorted(v for v, box in SANDBOXES.items() if box))
async def test_testnet_mode_reads_each_venue_at_ccxts_own_sandbox_urls(venue: str) -> None:
    master, account = await _instances(venue, TESTNET)
    reference = getattr(ccxt_async, adapter_for(venue).info.ccxt_id)()
    try:
        sandbox = SANDBOXES[venue]
        assert sandbox is not None
        expected = reference.urls["demo" if sandbox.switch == "demo" else "test"]
        assert master.urls["api"] == expected  # type: ignore[attr-defined]
        assert account.urls["api"] == expected  # type: ignore[attr-defined]
        if venue != "okx":  # OKX's demo is its live host plus a header (the next test)
            assert master.urls["api"] != reference.urls["api"]  # type: ignore[attr-defined]
    finally:
        await reference.close()


async def test_binance_futures_requests_go_to_demo_trading_and_okx_sends_the_demo_header() -> None:
    _, usdm = await _instances("binanceusdm", TESTNET)
    signed = usdm.sign("account", ["fapiPrivateV3"], "GET", {})  # type: ignore[attr-defined]
    assert signed["url"].startswith("https://demo-fapi.binance.com/fapi/v3/account?")
    _, coinm = await _instances("binancecoinm", TESTNET)
    signed = coinm.sign("account", ["dapiPrivate"], "GET", {})  # type: ignore[attr-defined]
    assert signed["url"].startswith("https://demo-dapi.binance.com/dapi/v1/account?")
    master, okx = await _instances("okx", TESTNET)
    for instance in (master, okx):
        assert instance.headers["x-simulated-trading"] == "1"  # type: ignore[attr-defined]
    _, live_okx = await _instances("okx", ExchangeMode())
    assert "x-simulated-trading" not in (live_okx.headers or {})  # type: ignore[attr-defined]
    _, bybit = await _instances("bybit", TESTNET)
    url = bybit.implode_hostname(bybit.urls["api"]["private"])  # type: ignore[attr-defined]
    assert url == "https://api-testnet.bybit.com"


@pytest.mark.parametrize(
    ("venue", "says"),
    [
        ("kraken", "Kraken (spot margin) has no testnet or demo environment"),
        ("binance", "has no testnet or demo environment"),
        ("generic:kucoin", "KuCoin (approximate) has no testnet"),
    ],
)
async def test_testnet_mode_refuses_a_venue_without_a_sandbox_before_any_request(
    venue: str, says: str
) -> None:
    async with ExchangeHub(mode=TESTNET) as hub:
        with pytest.raises(ExchangeReadError) as refused:
            await hub.check_key(venue, Credentials("k", "s", "p"))
        assert says in refused.value.user_message
        assert "MARGINWATCH_EXCHANGE_MODE=testnet" in refused.value.user_message
        assert hub.stats() == {}  # nothing was built, nothing sent


def test_a_generic_venue_uses_ccxts_sandbox_where_it_has_one() -> None:
    assert TESTNET.refusal(SUPPORTED_VENUES["generic:bybit"]) is None
    assert TESTNET.refusal(SUPPORTED_VENUES["generic:kucoin"]) is not None


async def test_on_binance_demo_trading_a_key_is_linked_without_the_rights_check_it_lacks() -> None:
    # Demo Trading serves no /sapi, so apiRestrictions cannot be asked; the read still checks
    # the key. Here the demo's address is rewritten to the simulator to run the real path.
    sim = Simulator(limits_speed=LIMITS_SPEED)
    sim.serve_all()
    opened = open_accounts(sim, load_accounts(DEFAULT_ACCOUNTS))
    usdm = next(a for a in opened if a.venue == "binanceusdm")
    async with sim:
        async with ExchangeHub(
            mode=TESTNET,
            base_urls={"binanceusdm": sim.base_url("binanceusdm")},
            budget=limits_budget(),
        ) as hub:
            creds = Credentials(usdm.key, usdm.secret)
            check = await hub.check_key("binanceusdm", creds)
            assert check.ok and not check.can_report_rights
            assert "Demo Trading cannot say what a key may do" in check.message
            read = await hub.read_account("binanceusdm", creds)
        assert read.snapshot.positions
        assert not any("apiRestrictions" in r.path for r in sim.requests)


async def test_simulator_mode_reads_every_venue_from_one_simulator_and_refuses_the_rest() -> None:
    sim = Simulator(limits_speed=LIMITS_SPEED)
    sim.serve_all()
    opened = open_accounts(sim, load_accounts(DEFAULT_ACCOUNTS))
    async with sim:
        settings = SimpleNamespace(exchange_mode="simulator", simulator_url=sim.url + "/")
        async with hub_for(settings, budget=limits_budget()) as hub:
            for account in opened:
                creds = (
                    Credentials(wallet_address=account.key)
                    if account.uses_address
                    else Credentials(account.key, account.secret, account.passphrase)
                )
                assert (await hub.check_key(account.venue, creds)).ok
                read = await hub.read_account(account.venue, creds)
                assert read.snapshot.venue == account.venue
            bybit = next(a for a in opened if a.venue == "bybit")
            generic = await hub.read_account("generic:bybit", Credentials(bybit.key, bybit.secret))
            assert generic.approximate
            with pytest.raises(ExchangeReadError) as refused:
                await hub.read_account("generic:kucoin", Credentials("k", "s", "p"))
    assert "The simulator does not serve KuCoin (approximate)" in refused.value.user_message
    served = {r.venue for r in sim.requests}
    assert served == set(SUPPORTED_VENUES)  # every venue was read there, and nothing elsewhere


def test_live_mode_changes_nothing() -> None:
    live = ExchangeMode()
    assert not live.rehearsal and live.base_url("kraken") is None
    assert live.refusal(SUPPORTED_VENUES["kraken"]) is None
    assert live.rights_unchecked(SUPPORTED_VENUES["binanceusdm"]) is None
    with pytest.raises(ValueError, match="one of live, testnet, simulator"):
        ExchangeMode("paper")  # type: ignore[arg-type]


def run_check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def test_check_reads_the_simulator_in_simulator_mode(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    import asyncio

    sim = Simulator(limits_speed=LIMITS_SPEED)
    sim.serve_all()
    opened = open_accounts(sim, load_accounts(DEFAULT_ACCOUNTS))
    okx = next(a for a in opened if a.venue == "okx")
    key_file = tmp_path / "okx.json"
    key_file.write_text(
        json.dumps({"api_key": okx.key, "secret": okx.secret, "passphrase": okx.passphrase})
    )
    monkeypatch.chdir(tmp_path)  # no .env of the machine's
    monkeypatch.setenv("MARGINWATCH_EXCHANGE_MODE", "simulator")
    async with sim:
        monkeypatch.setenv("MARGINWATCH_SIMULATOR_URL", sim.url)
        code, out, err = await asyncio.to_thread(
            run_check, capsys, "--exchange", "okx", "--key-file", str(key_file), "--json"
        )
    assert code == 0, err
    assert json.loads(out)["positions"][0]["symbol"] == "BTC/USDT:USDT"
    assert okx.secret not in out + err

    monkeypatch.setenv("MARGINWATCH_EXCHANGE_MODE", "testnet")
    monkeypatch.setenv("MARGINWATCH_CHECK_API_KEY", "k")
    monkeypatch.setenv("MARGINWATCH_CHECK_SECRET", "czI=")
    code, _, err = await asyncio.to_thread(run_check, capsys, "--exchange", "kraken")
    assert code == 1 and "no testnet or demo environment" in err

    monkeypatch.setenv("MARGINWATCH_EXCHANGE_MODE", "paper")
    code, _, err = await asyncio.to_thread(run_check, capsys, "--exchange", "kraken")
    assert code == 2 and "MARGINWATCH_EXCHANGE_MODE must be one of" in err


async def test_a_simulator_that_is_not_running_is_named_not_reported_as_an_exchange_down() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # closed again: nothing listens
    async with ExchangeHub(mode=ExchangeMode("simulator", url)) as hub:
        with pytest.raises(ExchangeReadError) as down:
            await hub.check_key("bybit", Credentials("k", "s"))
    assert down.value.state == "exchange_down"
    assert down.value.user_message.startswith(f"Nothing answers at {url}: start `marginwatch sim`")
