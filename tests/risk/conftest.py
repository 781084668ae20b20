"""Hypothesis settings for the risk suite: RISK_EXAMPLES raises the example count for a deep run.

Input-generation speed checks are off: on a shared 2-core CI machine they fail on load, not on
anything the risk code does.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "risk",
    max_examples=int(os.environ.get("RISK_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("risk")
