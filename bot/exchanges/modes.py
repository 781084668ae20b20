"""Which exchanges the hub reads: the live venues, each venue's own sandbox, or the simulator.

``MARGINWATCH_EXCHANGE_MODE`` picks one for a whole process (``marginwatch run`` and ``check``):

- ``live``: the real exchanges (the default).
- ``testnet``: each venue's own sandbox, switched on the way ccxt does it (``SANDBOXES``). A venue
  without one cannot be linked or read, and says so.
- ``simulator``: every venue from one ``marginwatch sim`` at ``MARGINWATCH_SIMULATOR_URL``, each
  under ``/<venue id>`` as the simulator serves it.

Everything else (key checks, the read-only guard, polling, alerts) is the production path: only
where the requests go changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from . import texts
from .types import VenueInfo

ModeName = Literal["live", "testnet", "simulator"]
MODES: tuple[ModeName, ...] = ("live", "testnet", "simulator")
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8765"


@dataclass(frozen=True)
class Sandbox:
    """A venue's own rehearsal environment as ccxt reaches it.

    ``switch`` is the ccxt call that turns it on: ``set_sandbox_mode(True)`` ("sandbox") or
    ``enable_demo_trading(True)`` ("demo": Binance retired its futures testnet for Demo Trading,
    and ccxt 4.5 refuses private futures calls in sandbox mode). ``reports_rights`` is False
    where the venue's key-rights endpoint does not exist in that environment (Binance's
    ``/sapi`` is not served by Demo Trading), so a key there is linked without a rights check.
    """

    name: str
    switch: Literal["sandbox", "demo"] = "sandbox"
    reports_rights: bool = True


# venue id -> its sandbox, or None where the venue has none for the account type we read.
SANDBOXES: Mapping[str, Sandbox | None] = {
    "binance": None,  # Binance's spot testnet and Demo Trading have no cross margin (/sapi)
    "binanceusdm": Sandbox("Binance USDⓈ-M Demo Trading", "demo", reports_rights=False),
    "binancecoinm": Sandbox("Binance COIN-M Demo Trading", "demo", reports_rights=False),
    "bybit": Sandbox("the Bybit testnet"),
    "okx": Sandbox("OKX demo trading"),  # same host, ccxt adds the x-simulated-trading header
    "kraken": None,  # Kraken has no sandbox for spot margin
    "krakenfutures": Sandbox("the Kraken Futures demo"),
    "hyperliquid": Sandbox("the Hyperliquid testnet"),
}


@lru_cache(maxsize=64)
def generic_sandbox(ccxt_id: str) -> Sandbox | None:
    """The sandbox ccxt knows for any other exchange (``urls['test']``), if it has one."""
    import ccxt.async_support as ccxt_async

    cls = getattr(ccxt_async, ccxt_id, None)
    if cls is None:
        return None
    urls = cls().describe().get("urls", {})
    return Sandbox(f"{ccxt_id}'s sandbox") if urls.get("test") else None


@dataclass(frozen=True)
class ExchangeMode:
    """One process's choice of exchanges; the hub asks it where each venue is."""

    name: ModeName = "live"
    simulator_url: str = DEFAULT_SIMULATOR_URL

    def __post_init__(self) -> None:
        if self.name not in MODES:
            raise ValueError(f"the exchange mode is one of {', '.join(MODES)}, not {self.name!r}")

    @property
    def rehearsal(self) -> bool:
        """True unless the real exchanges are read: what is shown is not a real account."""
        return self.name != "live"

    def describe(self) -> str:
        """A phrase for the start-up line: where the exchanges are read."""
        if self.name == "simulator":
            return (
                f"simulator mode: every exchange is read from the simulator at {self.simulator_url}"
            )
        if self.name == "testnet":
            return "testnet mode: every exchange is read from its own testnet or demo environment"
        return "live mode: the real exchanges are read"

    def sandbox(self, info: VenueInfo) -> Sandbox | None:
        if info.venue.startswith("generic:"):
            return generic_sandbox(info.ccxt_id)
        return SANDBOXES.get(info.venue)

    @staticmethod
    def simulated_venue(venue: str) -> str | None:
        """The simulator's venue id for ``venue`` (``generic:bybit`` reads its ``bybit``).

        The simulator serves exactly the named venues (``tests/sim`` holds the two lists equal);
        a ``generic:<id>`` is served when ``<id>`` is one of them.
        """
        from .registry import SUPPORTED_VENUES

        served = venue.partition(":")[2] if venue.startswith("generic:") else venue
        return served if served in SUPPORTED_VENUES else None

    def refusal(self, info: VenueInfo) -> str | None:
        """Why ``info``'s venue cannot be read in this mode (a sentence), or None if it can."""
        if self.name == "testnet" and self.sandbox(info) is None:
            return texts.NO_SANDBOX.format(venue=info.label)
        if self.name == "simulator" and self.simulated_venue(info.venue) is None:
            from .registry import SUPPORTED_VENUES

            served = ", ".join(sorted(SUPPORTED_VENUES))
            return texts.NOT_SIMULATED.format(venue=info.label, served=served)
        return None

    def rights_unchecked(self, info: VenueInfo) -> str | None:
        """The sentence to link with instead of a rights check where the sandbox has none."""
        sandbox = self.sandbox(info) if self.name == "testnet" else None
        if sandbox is not None and not sandbox.reports_rights:
            return texts.RIGHTS_UNCHECKED.format(sandbox=sandbox.name)
        return None

    def unreachable(self) -> str | None:
        """What to say when nothing listens where this mode sends requests (simulator mode)."""
        if self.name == "simulator":
            return texts.SIMULATOR_DOWN.format(url=self.simulator_url)
        return None

    def base_url(self, venue: str) -> str | None:
        """Where ``venue`` is served in simulator mode (None: ccxt's own URLs)."""
        served = self.simulated_venue(venue) if self.name == "simulator" else None
        return None if served is None else f"{self.simulator_url.rstrip('/')}/{served}"

    def prepare(self, exchange: Any, info: VenueInfo) -> None:
        """Switch a fresh ccxt instance to this mode's environment (testnet: the sandbox)."""
        if self.name != "testnet":
            return
        sandbox = self.sandbox(info)
        if sandbox is None:
            return  # refused before any request: see refusal()
        if sandbox.switch == "demo":
            exchange.enable_demo_trading(True)
        else:
            exchange.set_sandbox_mode(True)


LIVE = ExchangeMode()
