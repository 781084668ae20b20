"""Cross-margin risk maths: an account snapshot in, its health out. Pure, stdlib only."""

from .brackets import bracket, build_tiers, next_amount
from .engine import assess, assess_pools
from .model import (
    AccountSnapshot,
    Asset,
    Basis,
    Health,
    Liability,
    Position,
    PositionHealth,
    Ratio,
    Thresholds,
    Tier,
)
from .parse import SnapshotError, health_to_dict, parse_snapshot, snapshot_to_dict, validate
from .profiles import PROFILES, STABLE_ASSETS, VenueProfile, profile_for

__all__ = [
    "PROFILES",
    "STABLE_ASSETS",
    "AccountSnapshot",
    "Asset",
    "Basis",
    "Health",
    "Liability",
    "Position",
    "PositionHealth",
    "Ratio",
    "SnapshotError",
    "Thresholds",
    "Tier",
    "VenueProfile",
    "assess",
    "assess_pools",
    "bracket",
    "build_tiers",
    "health_to_dict",
    "next_amount",
    "parse_snapshot",
    "profile_for",
    "snapshot_to_dict",
    "validate",
]
