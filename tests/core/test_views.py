"""The liquidation-price summary words an account past its levels as a trader would."""

from __future__ import annotations

import risk
from bot.core import texts
from bot.core.views import account_move_line


def health(wallet: float) -> risk.Health:
    return risk.assess(
        risk.parse_snapshot(
            {
                "venue": "binanceusdm",
                "settle": "USDT",
                "wallet_balance": wallet,
                "positions": [
                    {
                        "symbol": "BTC/USDT:USDT",
                        "kind": "linear",
                        "size": 1,
                        "entry_price": 50_000,
                        "mark_price": 50_000,
                        "maintenance_rate": 0.005,
                    }
                ],
            }
        )
    )


def test_a_healthy_account_names_both_moves() -> None:
    line = account_move_line(health(10_000))
    assert "fall of every price reaches margin call" in line and "fall liquidates" in line


def test_an_account_past_margin_call_says_so_instead_of_a_zero_move() -> None:
    past_call = health(250 / 0.9)  # margin ratio 0.9: past the 0.8 call, short of 1.0
    assert past_call.move_to_margin_call == 0.0 and past_call.move_to_liquidation
    line = account_move_line(past_call)
    assert line.startswith("Whole account: past margin call now;") and "0.00%" not in line


def test_an_account_at_liquidation_says_so() -> None:
    assert account_move_line(health(200)) == texts.POSITIONS_ACCOUNT_AT_LIQUIDATION


def test_a_card_never_reads_healthy_under_a_critical_badge() -> None:
    from bot.core.views import AccountView, status_message

    near = health(1_150)  # ratio 0.22: the venue says ok, 2 % from liquidation
    assert near.state == "ok"
    view = AccountView(1, "main", "binanceusdm", "Binance USDⓈ-M futures", None)
    card = status_message(view, near, now=0.0, level="critical")
    assert card.severity == "critical"
    assert card.lines[0] == texts.STATUS_BY_YOUR_LEVELS["critical"]
    calm = status_message(view, near, now=0.0, level="ok")
    assert calm.lines[0] == texts.STATUS_STATE["ok"]
