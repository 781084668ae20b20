"""Pools the venue judges on their own, in every view the chat shows: an isolated position's
own distance to liquidation (status, positions, digest), and every Binance COIN-M coin pool."""

from __future__ import annotations

from bot.core import texts
from bot.core.presenter import digest_message
from bot.core.usecases import Core
from bot.monitor.presenter import LastRead
from bot.sim.server import Simulator
from tests.core.conftest import ALICE
from tests.support.fixtures import Clock

ADDRESS = "0x" + "6b" * 20
ETH = "ETH/USDC:USDC"


def add_isolated_only(sim: Simulator) -> None:
    # 1,000 USDC in cross (nothing at risk there) and an isolated ETH long at 25x (the
    # simulator's maximum for ETH): about 2 % from its own liquidation price.
    sim.add_account(
        "hyperliquid",
        api_key=ADDRESS,
        secret="",
        usdc=1_000.0,
        positions=[{"coin": "ETH", "szi": 1, "entry": 3000.0, "leverage": 25, "type": "isolated"}],
    )


async def test_an_isolated_only_account_is_not_healthy_in_status_and_shows_its_distance(
    core: Core, sim: Simulator
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    card = await core.run(ALICE, "status", {})
    # Within the default 5 % of its own liquidation: critical, whatever the cross pool says.
    assert card.severity == "critical"
    assert card.lines[0] != texts.STATUS_STATE["ok"]
    (line,) = [line for line in card.lines if line.startswith("Isolated ")]
    assert line.startswith(f"Isolated {ETH} long: liquidation ")
    assert "below the mark; its own maintenance ratio" in line


async def test_an_isolated_only_accounts_leverage_is_that_of_its_positions(
    core: Core, sim: Simulator
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    card = await core.run(ALICE, "status", {})
    leverage = next(f.value for f in card.fields if f.name == texts.STATUS_LEVERAGE)
    # 3,000 of ETH on the 1,000 in cross and the position's own 120: the account's 2.68x,
    # not the empty cross pool's 0.0x; the position's own 25x on its line.
    assert leverage == "2.68×"
    (line,) = [line for line in card.lines if line.startswith("Isolated ")]
    assert line.endswith(", 25.0× on its margin")


async def test_positions_mark_the_isolated_position_and_its_own_distance(
    core: Core, sim: Simulator
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    reply = await core.run(ALICE, "positions", {})
    assert reply.severity == "critical"
    assert reply.lines[0].startswith(f"#1 {ETH} long: liquidation ")
    assert reply.lines[0].endswith("; " + texts.POSITION_ISOLATED)


async def test_the_digest_names_the_isolated_position_where_positions_are_shared(
    core: Core, sim: Simulator
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    from bot.exchanges import Credentials

    read = await core.exchanges.read_account("hyperliquid", Credentials(wallet_address=ADDRESS))
    last = LastRead(0.0, read.snapshot, read.health())
    private = digest_message("perps", "hyperliquid", last, "positions", private=True)
    assert any(line.startswith(f"Isolated {ETH} long: liquidation ") for line in private.lines)
    shared = digest_message("perps", "hyperliquid", last, "ratio", private=False)
    assert not any(ETH in line for line in shared.lines)


COINM = {"api_key": "alice-coinm", "secret": "alice-coinm-secret"}


async def test_every_coin_pool_shows_in_status_positions_and_digest(
    core: Core, sim: Simulator
) -> None:
    sim.add_account(
        "binancecoinm",
        api_key=COINM["api_key"],
        secret=COINM["secret"],
        wallets={"BTC": 0.5, "ETH": 2.0},
        positions=[
            {"symbol": "BTC/USD:BTC", "size": 300, "entry_price": 62000.0},
            {"symbol": "ETH/USD:ETH", "size": -50, "entry_price": 2900.0},
        ],
    )
    await core.link(ALICE, "binancecoinm", "coins", COINM)
    card = await core.run(ALICE, "status", {})
    (eth,) = [line for line in card.lines if line.startswith("ETH pool: ")]
    assert eth.startswith("ETH pool: Healthy; Margin ratio ") and " ETH; move to" in eth
    assert not any(line.startswith("Note:") for line in card.lines)  # no pool left to a note
    reply = await core.run(ALICE, "positions", {})
    assert reply.lines[0].startswith("#1 BTC/USD:BTC long: liquidation ")
    title = next(i for i, line in enumerate(reply.lines) if line.startswith("ETH pool ("))
    assert reply.lines[title + 1].startswith("#1 ETH/USD:ETH short: no liquidation price")
    assert reply.lines[title + 2].startswith("Whole account: ")
    from bot.exchanges import Credentials

    read = await core.exchanges.read_account("binancecoinm", Credentials(**COINM))
    last = LastRead(0.0, read.snapshot, read.health())
    digest = digest_message("coins", "binancecoinm", last, "positions", private=True)
    assert any(line.startswith("#1 ETH/USD:ETH short: ") for line in digest.lines)
    ratio_only = digest_message("coins", "binancecoinm", last, "ratio", private=False)
    assert any(line.startswith("ETH pool: ") for line in ratio_only.lines)


async def test_the_accounts_overview_does_not_call_an_isolated_only_account_healthy(
    core: Core, sim: Simulator
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    sim.add_account(
        "binancecoinm", api_key=COINM["api_key"], secret=COINM["secret"], wallets={"BTC": 1.0}
    )
    await core.link(ALICE, "binancecoinm", "coins", COINM)
    reply = await core.run(ALICE, "status", {})
    perps = next(f for f in reply.fields if f.name.startswith("perps"))
    assert perps.value.startswith(texts.STATUS_BY_YOUR_LEVELS["critical"])
    positions = await core.run(ALICE, "positions", {"account": "perps"})
    # No cross position: the account line says no uniform move reaches its levels.
    assert texts.POSITIONS_ACCOUNT_NO_MOVE in positions.lines


async def test_the_chart_of_an_isolated_only_account_follows_its_position(
    core: Core, sim: Simulator, clock: Clock
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    # Each status read keeps a point; ETH slips towards the position's own liquidation price.
    for mark in (2995.0, 2985.0, 2975.0):
        clock.now += 3600
        sim.set_price("hyperliquid", ETH, mark)
        await core.run(ALICE, "status", {})
    reply = await core.run(ALICE, "chart", {})
    assert reply.image is not None and reply.image.data.startswith(b"\x89PNG")
    caption = " ".join(reply.lines)
    # The distance is the position's own, named; the empty cross pool would say "no move".
    assert f"of its price liquidates isolated {ETH} long" in caption
    assert "no price move liquidates it" not in caption
    # Within the default 5 % of its own liquidation: the chart is critical, as the alert was.
    assert reply.severity == "critical"


async def test_a_shared_digest_names_no_position_but_gives_the_nearest_distance(
    core: Core, sim: Simulator
) -> None:
    add_isolated_only(sim)
    await core.link(ALICE, "hyperliquid", "perps", {"wallet_address": ADDRESS})
    from bot.exchanges import Credentials
    from bot.monitor.policy import AlertRules, judge_level

    read = await core.exchanges.read_account("hyperliquid", Credentials(wallet_address=ADDRESS))
    health = read.health()
    last = LastRead(0.0, read.snapshot, health)
    level = judge_level(health, AlertRules())
    shared = digest_message("perps", "hyperliquid", last, "ratio", private=False, level=level)
    (nearest,) = [line for line in shared.lines if line.startswith("Nearest liquidation: ")]
    assert nearest.startswith("Nearest liquidation: an isolated position; a ")
    assert ETH not in " ".join(shared.lines)
    # By the default 5 % critical distance the position is critical: so is the digest.
    assert (level, shared.severity) == ("critical", "critical")
    assert shared.lines[0] == texts.STATUS_BY_YOUR_LEVELS["critical"]
    private = digest_message("perps", "hyperliquid", last, "positions", private=True, level=level)
    assert any(
        line.startswith(f"Nearest liquidation: isolated {ETH} long; a ") for line in private.lines
    )
