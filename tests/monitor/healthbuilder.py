"""Builds risk.Health values for monitor tests without running the risk engine."""

from __future__ import annotations

from risk.model import Health, PositionHealth, Ratio


def binance_futures_health(
    margin_ratio: float,
    move_to_liquidation: float | None = -0.30,
    symbols: tuple[str, ...] = ("BTC/USDT:USDT",),
    liquidation_price: float = 26316.89,
) -> Health:
    """A Binance USDⓈ-M account: margin ratio, lower is safer (warn 0.6, call 0.8, liquidate 1)."""
    state = (
        "liquidation"
        if margin_ratio >= 1.0
        else "margin_call"
        if margin_ratio >= 0.8
        else "warning"
        if margin_ratio >= 0.6
        else "ok"
    )
    return Health(
        venue="binanceusdm",
        settle="USDT",
        equity=10_000.0,
        maintenance_margin=margin_ratio * 10_000.0,
        initial_margin=None,
        effective_leverage=5.0,
        ratio=Ratio(
            name="margin_ratio",
            value=margin_ratio,
            safer="lower",
            margin_call=0.8,
            liquidation=1.0,
            warning=0.6,
            margin_call_source="product_default",
        ),
        state=state,  # type: ignore[arg-type]
        move_to_margin_call=None,
        move_to_liquidation=move_to_liquidation,
        positions=tuple(
            PositionHealth(
                symbol=symbol,
                liquidation_price=liquidation_price,
                distance=-0.1,
                unrealized_pnl=0.0,
                maintenance_margin=100.0,
                close_rank=rank + 1,
                reported_liquidation_price=None,
            )
            for rank, symbol in enumerate(symbols)
        ),
    )


def kraken_health(margin_level: float, move_to_liquidation: float | None = -0.30) -> Health:
    """A Kraken spot-margin account (margin level, higher is safer: call 0.8, liquidate 0.4)."""
    state = (
        "liquidation"
        if margin_level <= 0.4
        else "margin_call"
        if margin_level <= 0.8
        else "warning"
        if margin_level <= 1.0
        else "ok"
    )
    return Health(
        venue="kraken",
        settle="USD",
        equity=5_000.0,
        maintenance_margin=0.0,
        initial_margin=None,
        effective_leverage=3.0,
        ratio=Ratio(
            name="margin_level",
            value=margin_level,
            safer="higher",
            margin_call=0.8,
            liquidation=0.4,
            warning=1.0,
            margin_call_source="venue",
        ),
        state=state,  # type: ignore[arg-type]
        move_to_margin_call=None,
        move_to_liquidation=move_to_liquidation,
        positions=(
            PositionHealth(
                symbol="ETH/USD",
                liquidation_price=900.0,
                distance=-0.4,
                unrealized_pnl=0.0,
                maintenance_margin=0.0,
                close_rank=1,
                reported_liquidation_price=None,
            ),
        ),
    )
