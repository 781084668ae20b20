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


async def test_account_instances_are_cheap_copies_that_keep_their_own_key_and_guard(
    sim, hub: ExchangeHub
):
    import asyncio

    import pytest

    from bot.exchanges.guard import ReadOnlyViolation

    # Read both accounts at once: each must see its own balance through its own key.
    full, empty = await asyncio.gather(
        hub.read_account("kraken", KRAKEN), hub.read_account("kraken", KRAKEN_EMPTY)
    )
    assert full.snapshot.positions and not empty.snapshot.positions
    assert empty.snapshot.wallet_balance == pytest.approx(500.0)
    venue = hub._venues["kraken"]
    first, second = (account.exchange for account in venue.accounts.values())
    assert {first.apiKey, second.apiKey} == {KRAKEN.api_key, KRAKEN_EMPTY.api_key}
    assert first.options is not second.options and first.headers is not second.headers
    template = hub._templates["kraken"]
    assert not template.apiKey and not getattr(template, "secret", None)
    # The guard is each copy's own: a write is refused on both before any request.
    before = len(sim.requests)
    for exchange in (first, second):
        with pytest.raises(ReadOnlyViolation):
            await exchange.fetch2("AddOrder", "private", "POST", {})
    assert len(sim.requests) == before


async def test_a_changed_secret_is_read_with_a_new_instance_not_the_cached_one(hub: ExchangeHub):
    # The owner rotated the secret of the same API key: the cached instance signs with the old
    # one, so reusing it would hide that the new secret is wrong (or keep reading with a key
    # the owner meant to retire).
    import base64
    import dataclasses

    import pytest

    from bot.exchanges.errors import ExchangeReadError

    await hub.read_account("kraken", KRAKEN)
    rotated = dataclasses.replace(KRAKEN, secret=base64.b64encode(b"a new secret" * 4).decode())
    with pytest.raises(ExchangeReadError) as refused:
        await hub.read_account("kraken", rotated)
    assert refused.value.state == "auth_failed"
    assert hub.stats() == {"kraken": 2}
    await hub.read_account("kraken", KRAKEN)  # the right secret still reads
    assert hub.stats() == {"kraken": 2}
