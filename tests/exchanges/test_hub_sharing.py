"""What the hub shares per exchange: markets, HTTP session, SSL context, one instance per key."""

from __future__ import annotations

from bot.exchanges import ExchangeHub

from .conftest import KRAKEN, KRAKEN_EMPTY, USDM, USDM_TRADER


async def test_markets_are_loaded_once_and_shared_by_reference(sim, hub: ExchangeHub):
    for creds in (KRAKEN, KRAKEN_EMPTY, KRAKEN):
        await hub.read_account("kraken", creds)
    public = [r.path for r in sim.requests if r.venue == "kraken" and "/public/" in r.path]
    assert public.count("/0/public/AssetPairs") == 1
    assert public.count("/0/public/Assets") == 1
    venue = hub._venues["kraken"]
    instances = [account.exchange for account in venue.accounts.values()]
    assert len(instances) == 2  # one per key, reused across polls
    for exchange in instances:
        assert exchange.markets is venue.master.markets
        assert exchange.session is venue.session
        assert exchange.ssl_context is venue.ssl_context


async def test_each_exchange_has_its_own_session(hub: ExchangeHub):
    await hub.read_account("kraken", KRAKEN)
    await hub.read_account("binanceusdm", USDM)
    assert hub._venues["kraken"].session is not hub._venues["binanceusdm"].session
    assert hub.stats() == {"kraken": 1, "binanceusdm": 1}


async def test_public_prices_are_fetched_once_per_cycle_for_all_accounts(sim, hub):
    await hub.read_account("kraken", KRAKEN)
    await hub.read_account("kraken", KRAKEN)
    tickers = [r for r in sim.requests if r.path == "/0/public/Ticker"]
    assert len(tickers) == 1


async def test_forget_drops_the_instance_of_an_unlinked_key(hub: ExchangeHub):
    await hub.read_account("binanceusdm", USDM)
    await hub.read_account("binanceusdm", USDM_TRADER)
    hub.forget("binanceusdm", USDM)
    assert hub.stats() == {"binanceusdm": 1}


async def test_unknown_venue_is_a_clear_value_error(hub: ExchangeHub):
    import pytest

    with pytest.raises(ValueError, match="unknown exchange 'nowhere'"):
        await hub.read_account("nowhere", KRAKEN)
