"""The one clock: wall time, or the injected ``ENGAGEMENT_CLOCK`` (tests, simulations)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import current_app


def now(config: Mapping[str, Any] | None = None) -> float:
    """Seconds since the epoch; ``config`` defaults to the current app's."""
    clock = (current_app.config if config is None else config).get("ENGAGEMENT_CLOCK")
    return float(clock()) if clock else time.time()
