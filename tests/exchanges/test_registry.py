"""The venue registry: which venues exist and what the bot must ask a user for each."""

from __future__ import annotations

import pytest

from bot.exchanges import SUPPORTED_VENUES
from bot.exchanges.base import VenueAdapter
from bot.exchanges.registry import adapter_for, register_family
from bot.exchanges.types import VenueInfo


def test_kraken_and_binance_venues_are_supported_with_ids_equal_to_risk_profiles():
    import risk

    for venue in ("kraken", "binance", "binanceusdm", "binancecoinm"):
        info = SUPPORTED_VENUES[venue]
        assert info.venue == venue and info.needs_secret and not info.needs_passphrase
        risk.profile_for(venue)  # every venue id is a risk profile id
    assert set(SUPPORTED_VENUES) >= {"kraken", "binance", "binanceusdm", "binancecoinm"}


def test_unknown_venue_names_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown exchange 'mtgox'; supported: .*kraken"):
        adapter_for("mtgox")


def test_a_family_serves_prefixed_venue_ids_on_demand():
    class Probe(VenueAdapter):
        def __init__(self, name: str) -> None:
            self.info = VenueInfo(venue=f"probe:{name}", ccxt_id=name, label=name)  # type: ignore[misc]

    register_family("probe", Probe)
    adapter = adapter_for("probe:bitget")
    assert adapter.info.ccxt_id == "bitget" and adapter_for("probe:bitget") is adapter
    # Families are not listed as venues, but a member is found by id (so it can be linked).
    assert "probe:bitget" not in list(SUPPORTED_VENUES)
    assert SUPPORTED_VENUES["probe:bitget"] is adapter.info
    assert SUPPORTED_VENUES.get("probe:") is None and SUPPORTED_VENUES.get("nope:x") is None


def test_an_exchange_ccxt_reads_is_linkable_as_generic_and_suggested_by_its_bare_id():
    info = SUPPORTED_VENUES["generic:kucoin"]
    assert info.approximate and "approximate" in info.label
    assert SUPPORTED_VENUES.get("generic:mtgox") is None
    with pytest.raises(KeyError, match="kucoin can be read approximately as generic:kucoin"):
        adapter_for("kucoin")
