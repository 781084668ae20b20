"""The risk contract's JSON: untrusted dicts to checked snapshots, and health back to dicts.

Every problem is reported as one ``SnapshotError`` naming the field (``positions[1].mark_price``)
and what is wrong with it, so a caller can show it to a person as it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .model import (
    EMPTY,
    AccountSnapshot,
    Asset,
    Health,
    Liability,
    Position,
    Thresholds,
    Tier,
)
from .profiles import PROFILES

KINDS = ("linear", "inverse", "spot_margin")
MARGIN_MODES = ("cross", "isolated")
BASES = ("mark", "entry")


class SnapshotError(ValueError):
    """A snapshot field is missing or wrong; ``str()`` is one line for a person."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _number(
    raw: Mapping[str, Any],
    key: str,
    path: str,
    *,
    required: bool = True,
    signed: bool = False,
    positive: bool = False,
    default: float | None = None,
) -> float | None:
    if key not in raw or raw[key] is None:
        if required:
            raise SnapshotError(f"{path}{key}", "missing")
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SnapshotError(f"{path}{key}", f"must be a number, got {value!r}")
    value = float(value)
    _check_number(value, f"{path}{key}", signed=signed, positive=positive)
    return value


def _check_number(
    value: float, where: str, *, signed: bool = False, positive: bool = False
) -> None:
    if math.isnan(value):
        raise SnapshotError(where, "is NaN")
    if math.isinf(value):
        raise SnapshotError(where, "is infinite")
    if positive and value <= 0.0:
        raise SnapshotError(where, f"must be greater than 0, got {value:g}")
    if not signed and value < 0.0:
        raise SnapshotError(where, f"must not be negative, got {value:g}")


def _text(raw: Mapping[str, Any], key: str, path: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SnapshotError(
            f"{path}{key}",
            "missing" if value is None else f"must be a non-empty string, got {value!r}",
        )
    return value


def _list(raw: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = raw.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise SnapshotError(f"{path}{key}", "must be a list")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SnapshotError(where, "must be an object")
    return value


def _reported(raw: Mapping[str, Any], path: str) -> Mapping[str, float | None]:
    value = raw.get("reported")
    if value is None:
        return EMPTY
    figures: dict[str, float | None] = {}
    for key, item in _object(value, f"{path}reported").items():
        if item is None or item == "":
            figures[key] = None
            continue
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise SnapshotError(f"{path}reported.{key}", f"must be a number, got {item!r}")
        if not math.isfinite(item):
            raise SnapshotError(f"{path}reported.{key}", "must be a finite number")
        figures[key] = float(item)
    return MappingProxyType(figures)


def _tier(raw: Any, where: str) -> Tier:
    obj = _object(raw, where)
    p = where + "."
    cap = obj.get("cap")
    return Tier(
        floor=_number(obj, "floor", p) or 0.0,
        cap=math.inf if cap is None else _number(obj, "cap", p, positive=True) or math.inf,
        rate=_number(obj, "rate", p) or 0.0,
        amount=_number(obj, "amount", p, required=False, default=0.0) or 0.0,
    )


def _position(raw: Any, where: str) -> Position:
    obj = _object(raw, where)
    p = where + "."
    kind = obj.get("kind")
    if kind not in KINDS:
        raise SnapshotError(
            f"{p}kind",
            "missing" if kind is None else f"unknown kind {kind!r} (known: {', '.join(KINDS)})",
        )
    mode = obj.get("margin_mode", "cross")
    if mode not in MARGIN_MODES:
        raise SnapshotError(f"{p}margin_mode", f"unknown margin mode {mode!r} (cross or isolated)")
    used_in = obj.get("used_margin_in", "quote")
    if used_in not in ("quote", "base"):
        raise SnapshotError(f"{p}used_margin_in", f"must be 'quote' or 'base', got {used_in!r}")
    margin_in = obj.get("isolated_margin_in", "settle")
    if margin_in not in ("settle", "base"):
        raise SnapshotError(
            f"{p}isolated_margin_in", f"must be 'settle' or 'base', got {margin_in!r}"
        )
    basis = obj.get("maintenance_basis")
    if basis is not None and basis not in BASES:
        raise SnapshotError(f"{p}maintenance_basis", f"must be 'mark' or 'entry', got {basis!r}")
    tiers = tuple(_tier(t, f"{p}tiers[{i}]") for i, t in enumerate(_list(obj, "tiers", p)))
    return Position(
        symbol=_text(obj, "symbol", p),
        kind=kind,
        size=_number(obj, "size", p, signed=True) or 0.0,
        entry_price=_number(obj, "entry_price", p, positive=True) or 0.0,
        mark_price=_number(obj, "mark_price", p, positive=True) or 0.0,
        contract_size=_number(obj, "contract_size", p, required=False, positive=True, default=1.0)
        or 1.0,
        margin_mode=mode,
        maintenance_rate=_number(obj, "maintenance_rate", p, required=False),
        maintenance_amount=_number(
            obj, "maintenance_amount", p, required=False, signed=True, default=0.0
        )
        or 0.0,
        tiers=tiers,
        used_margin=_number(obj, "used_margin", p, required=False),
        used_margin_in=used_in,
        isolated_margin=_number(obj, "isolated_margin", p, required=False),
        leverage=_number(obj, "leverage", p, required=False, positive=True),
        opened_at=_number(obj, "opened_at", p, required=False),
        reported=_reported(obj, p),
        maintenance_basis=basis,
        close_fee_rate=_number(obj, "close_fee_rate", p, required=False, default=0.0) or 0.0,
        isolated_margin_in=margin_in,
    )


def parse_snapshot(raw: Any) -> AccountSnapshot:
    """Build and check a snapshot from the contract's JSON object."""
    obj = _object(raw, "snapshot")
    venue = _text(obj, "venue", "")
    if venue not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise SnapshotError("venue", f"unknown venue {venue!r} (known: {known})")
    thresholds = None
    if obj.get("thresholds") is not None:
        t = _object(obj["thresholds"], "thresholds")
        thresholds = Thresholds(
            margin_call=_number(t, "margin_call", "thresholds.", required=False, positive=True),
            liquidation=_number(t, "liquidation", "thresholds.", required=False, positive=True),
            warning=_number(t, "warning", "thresholds.", required=False, positive=True),
        )
    snapshot = AccountSnapshot(
        venue=venue,
        settle=_text(obj, "settle", ""),
        wallet_balance=_number(obj, "wallet_balance", "") or 0.0,
        positions=tuple(
            _position(x, f"positions[{i}]") for i, x in enumerate(_list(obj, "positions", ""))
        ),
        assets=tuple(
            Asset(
                asset=_text(a, "asset", f"assets[{i}]."),
                amount=_number(a, "amount", f"assets[{i}].") or 0.0,
                price=_number(a, "price", f"assets[{i}].") or 0.0,
                haircut=_number(a, "haircut", f"assets[{i}].", required=False, default=0.0) or 0.0,
            )
            for i, a in (
                (i, _object(a, f"assets[{i}]")) for i, a in enumerate(_list(obj, "assets", ""))
            )
        ),
        liabilities=tuple(
            Liability(
                asset=_text(a, "asset", f"liabilities[{i}]."),
                amount=_number(a, "amount", f"liabilities[{i}].") or 0.0,
                price=_number(a, "price", f"liabilities[{i}].") or 0.0,
                interest=_number(a, "interest", f"liabilities[{i}].", required=False, default=0.0)
                or 0.0,
            )
            for i, a in (
                (i, _object(a, f"liabilities[{i}]"))
                for i, a in enumerate(_list(obj, "liabilities", ""))
            )
        ),
        thresholds=thresholds,
        reported=_reported(obj, ""),
        other_maintenance=_number(obj, "other_maintenance", "", required=False, default=0.0) or 0.0,
    )
    validate(snapshot)
    return snapshot


def validate(snapshot: AccountSnapshot) -> None:
    """Check the rules a snapshot must satisfy beyond field types; raise ``SnapshotError``."""
    if snapshot.venue not in PROFILES:
        raise SnapshotError("venue", f"unknown venue {snapshot.venue!r}")
    profile = PROFILES[snapshot.venue]
    _check_number(snapshot.wallet_balance, "wallet_balance")
    _check_number(snapshot.other_maintenance, "other_maintenance")
    for i, asset in enumerate(snapshot.assets):
        _check_number(asset.amount, f"assets[{i}].amount")
        _check_number(asset.price, f"assets[{i}].price")
        if not 0.0 <= asset.haircut < 1.0:
            raise SnapshotError(f"assets[{i}].haircut", "must be at least 0 and below 1")
    for i, debt in enumerate(snapshot.liabilities):
        _check_number(debt.amount, f"liabilities[{i}].amount")
        _check_number(debt.price, f"liabilities[{i}].price")
        _check_number(debt.interest, f"liabilities[{i}].interest")
    needs_maintenance = profile.formula in ("maintenance_over_equity", "equity_over_maintenance")
    for i, pos in enumerate(snapshot.positions):
        where = f"positions[{i}]."
        if pos.kind not in KINDS:
            raise SnapshotError(f"{where}kind", f"unknown kind {pos.kind!r}")
        _check_number(pos.size, f"{where}size", signed=True)
        _check_number(pos.entry_price, f"{where}entry_price", positive=True)
        _check_number(pos.mark_price, f"{where}mark_price", positive=True)
        _check_number(pos.contract_size, f"{where}contract_size", positive=True)
        if pos.size == 0.0:
            raise SnapshotError(f"{where}size", "is 0: a closed position does not belong here")
        if pos.maintenance_rate is not None:
            _check_number(pos.maintenance_rate, f"{where}maintenance_rate")
            if pos.maintenance_rate >= 1.0:
                raise SnapshotError(
                    f"{where}maintenance_rate",
                    f"must be a fraction below 1, got {pos.maintenance_rate:g}",
                )
        _check_number(pos.maintenance_amount, f"{where}maintenance_amount", signed=True)
        floor = -1.0
        for j, tier in enumerate(pos.tiers):
            if tier.floor < floor or tier.cap <= tier.floor:
                raise SnapshotError(
                    f"{where}tiers[{j}]", "brackets must be in order with cap above floor"
                )
            if not 0.0 <= tier.rate < 1.0:
                raise SnapshotError(f"{where}tiers[{j}].rate", "must be a fraction below 1")
            floor = tier.floor
        if (
            needs_maintenance
            and pos.kind != "spot_margin"
            and not pos.tiers
            and pos.maintenance_rate is None
        ):
            raise SnapshotError(
                f"{where}maintenance_rate",
                f"missing (a {snapshot.venue} position needs a maintenance rate or tiers)",
            )
        if pos.used_margin is not None:
            _check_number(pos.used_margin, f"{where}used_margin")
        if (
            profile.formula == "equity_over_used_margin"
            and pos.used_margin is None
            and not pos.leverage
        ):
            raise SnapshotError(
                f"{where}used_margin",
                f"missing (a {snapshot.venue} position needs its used margin or leverage)",
            )
        if pos.maintenance_basis is not None and pos.maintenance_basis not in BASES:
            raise SnapshotError(
                f"{where}maintenance_basis", f"unknown basis {pos.maintenance_basis!r}"
            )
        _check_number(pos.close_fee_rate, f"{where}close_fee_rate")
        if pos.close_fee_rate >= 1.0:
            raise SnapshotError(
                f"{where}close_fee_rate", f"must be a fraction below 1, got {pos.close_fee_rate:g}"
            )
        if pos.close_fee_rate and pos.leverage is None:
            raise SnapshotError(
                f"{where}leverage",
                "missing (the fee to close is charged at the bankruptcy price, which follows "
                "from the leverage)",
            )
        if pos.margin_mode == "isolated" and pos.isolated_margin is None:
            raise SnapshotError(f"{where}isolated_margin", "missing for an isolated position")
        if pos.isolated_margin_in not in ("settle", "base"):
            raise SnapshotError(
                f"{where}isolated_margin_in",
                f"must be 'settle' or 'base', got {pos.isolated_margin_in!r}",
            )
        if pos.isolated_margin_in == "base" and pos.kind != "linear":
            raise SnapshotError(
                f"{where}isolated_margin_in",
                "'base' is for a linear position only (an inverse position's margin is in its "
                "settle coin already)",
            )
        if pos.kind == "inverse" and ":" in pos.symbol:
            contract_settle = pos.symbol.rsplit(":", 1)[1].split("-")[0]
            if contract_settle != snapshot.settle:
                raise SnapshotError(
                    f"{where}symbol",
                    f"an inverse contract settled in {contract_settle} cannot be judged in a "
                    f"{snapshot.settle} account",
                )


def _clean(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return value


def health_to_dict(health: Health) -> dict[str, Any]:
    """The Health JSON object of docs/risk-contract.md."""
    ratio = health.ratio
    return {
        "venue": health.venue,
        "settle": health.settle,
        "equity": health.equity,
        "maintenance_margin": health.maintenance_margin,
        "initial_margin": _clean(health.initial_margin),
        "effective_leverage": _clean(health.effective_leverage),
        "ratio": {
            "name": ratio.name,
            "value": _clean(ratio.value),
            "safer": ratio.safer,
            "margin_call": ratio.margin_call,
            "liquidation": ratio.liquidation,
            "warning": ratio.warning,
            "margin_call_source": ratio.margin_call_source,
        },
        "state": health.state,
        "move_to_margin_call": _clean(health.move_to_margin_call),
        "move_to_liquidation": _clean(health.move_to_liquidation),
        "positions": [
            {
                "symbol": p.symbol,
                "liquidation_price": _clean(p.liquidation_price),
                "distance": _clean(p.distance),
                "unrealized_pnl": p.unrealized_pnl,
                "maintenance_margin": p.maintenance_margin,
                "close_rank": p.close_rank,
                "reported_liquidation_price": _clean(p.reported_liquidation_price),
                "margin_call_price": _clean(p.margin_call_price),
                "margin_mode": p.margin_mode,
                "notional": p.notional,
                "size": p.size,
                "mark_price": p.mark_price,
            }
            for p in health.positions
        ],
        "reported": dict(health.reported),
        "approximate": health.approximate,
        "margin_mode": health.margin_mode,
        "pools": [health_to_dict(pool) for pool in health.pools],
        "account_leverage": _clean(health.account_leverage),
    }


def snapshot_to_dict(snapshot: AccountSnapshot) -> dict[str, Any]:
    """The snapshot JSON object of docs/risk-contract.md; ``parse_snapshot`` reads it back."""

    def position(p: Position) -> dict[str, Any]:
        out: dict[str, Any] = {
            "symbol": p.symbol,
            "kind": p.kind,
            "size": p.size,
            "entry_price": p.entry_price,
            "mark_price": p.mark_price,
            "contract_size": p.contract_size,
            "margin_mode": p.margin_mode,
            "maintenance_amount": p.maintenance_amount,
        }
        optional = {
            "maintenance_rate": p.maintenance_rate,
            "used_margin": p.used_margin,
            "isolated_margin": p.isolated_margin,
            "leverage": p.leverage,
            "opened_at": p.opened_at,
            "maintenance_basis": p.maintenance_basis,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if p.close_fee_rate:
            out["close_fee_rate"] = p.close_fee_rate
        if p.used_margin is not None:
            out["used_margin_in"] = p.used_margin_in
        if p.isolated_margin_in != "settle":
            out["isolated_margin_in"] = p.isolated_margin_in
        if p.tiers:
            out["tiers"] = [
                {
                    "floor": t.floor,
                    "cap": None if math.isinf(t.cap) else t.cap,
                    "rate": t.rate,
                    "amount": t.amount,
                }
                for t in p.tiers
            ]
        if p.reported:
            out["reported"] = dict(p.reported)
        return out

    out: dict[str, Any] = {
        "venue": snapshot.venue,
        "settle": snapshot.settle,
        "wallet_balance": snapshot.wallet_balance,
        "assets": [
            {"asset": a.asset, "amount": a.amount, "price": a.price, "haircut": a.haircut}
            for a in snapshot.assets
        ],
        "liabilities": [
            {"asset": x.asset, "amount": x.amount, "interest": x.interest, "price": x.price}
            for x in snapshot.liabilities
        ],
        "positions": [position(p) for p in snapshot.positions],
    }
    if snapshot.thresholds is not None:
        t = snapshot.thresholds
        out["thresholds"] = {
            k: v
            for k, v in (
                ("margin_call", t.margin_call),
                ("liquidation", t.liquidation),
                ("warning", t.warning),
            )
            if v is not None
        }
    if snapshot.reported:
        out["reported"] = dict(snapshot.reported)
    if snapshot.other_maintenance:
        out["other_maintenance"] = snapshot.other_maintenance
    return out
