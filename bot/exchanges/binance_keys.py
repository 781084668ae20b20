"""Binance key permissions (GET /sapi/v1/account/apiRestrictions), shared by every Binance api."""

from __future__ import annotations

from typing import Any

from . import texts
from .types import DANGEROUS_RIGHTS, KeyCheck

# Binance field -> (our right, the label Binance shows next to the tick box)
RESTRICTION_FIELDS: dict[str, tuple[str, str]] = {
    "enableReading": ("read", "Enable Reading"),
    "enableSpotAndMarginTrading": ("trade", "Enable Spot & Margin Trading"),
    "enableMargin": ("margin", "Enable Margin Loan, Repay & Transfer"),
    "enableFutures": ("futures", "Enable Futures"),
    "enableVanillaOptions": ("options", "Enable European Options"),
    "enableWithdrawals": ("withdraw", "Enable Withdrawals"),
    "enableInternalTransfer": ("transfer", "Permits Internal Transfer"),
    "permitsUniversalTransfer": ("transfer", "Permits Universal Transfer"),
    "enablePortfolioMarginTrading": ("trade", "Enable Portfolio Margin Trading"),
    "enableFixApiTrade": ("trade", "Enable FIX API Trade"),
}


def key_check_from_restrictions(restrictions: Any) -> KeyCheck:
    """Turn Binance's apiRestrictions answer into a verdict and the sentence for the user."""
    if not isinstance(restrictions, dict):
        return KeyCheck(
            ok=False,
            can_report_rights=False,
            rights=frozenset(),
            message=texts.BINANCE_KEY_RIGHTS_UNKNOWN,
        )
    rights: set[str] = set()
    too_much: list[str] = []
    for field, (right, label) in RESTRICTION_FIELDS.items():
        if restrictions.get(field) is True:
            rights.add(right)
            if right in DANGEROUS_RIGHTS:
                too_much.append(label)
    if "read" not in rights:
        return KeyCheck(
            ok=False,
            can_report_rights=True,
            rights=frozenset(rights),
            message=texts.BINANCE_KEY_CANNOT_READ,
        )
    if too_much:
        listed = ", ".join(f"'{label}'" for label in too_much)
        return KeyCheck(
            ok=False,
            can_report_rights=True,
            rights=frozenset(rights),
            message=texts.BINANCE_KEY_TOO_MUCH.format(boxes=listed),
        )
    return KeyCheck(
        ok=True,
        can_report_rights=True,
        rights=frozenset(rights),
        message=texts.BINANCE_KEY_ACCEPTED,
    )
