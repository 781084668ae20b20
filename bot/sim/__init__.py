"""A local exchange simulator: real venue REST dialects on 127.0.0.1 for the real ccxt client."""

from .scenario import Scenario
from .server import SeenRequest, Simulator
from .venues import FAULT_KINDS, SimAccount, SimVenue

__all__ = ["FAULT_KINDS", "Scenario", "SeenRequest", "SimAccount", "SimVenue", "Simulator"]
