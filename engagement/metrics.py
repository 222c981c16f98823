"""The service's Prometheus metrics, and how a request is counted.

Only the metric objects live here (no Flask, no SQL), so every layer may count
without importing the web stack; ``web/monitoring.py`` serves them at
``/metrics``. With ``PROMETHEUS_MULTIPROC_DIR`` set (``gunicorn.conf.py`` does
it) every worker writes its samples to files there and a scrape merges them.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from prometheus_client import Counter, Histogram

# prometheus-client's multiprocess mode needs its folder before the first sample.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter(
    "engagement_http_requests_total", "HTTP requests answered.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "engagement_http_request_duration_seconds",
    "Time to answer a request.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
VIEWS = Counter("engagement_views_total", "View beacons by outcome.", ["result"])
REACTIONS = Counter("engagement_reactions_total", "Reaction requests by outcome.", ["result"])
PINGS = Counter(
    "engagement_pings_total",
    "Attention pings by outcome (ok, capped, unknown, stale, suspect, bot, invalid).",
    ["result"],
)
REDIS_ERRORS = Counter("engagement_redis_errors_total", "Redis calls that failed.")


@functools.cache
def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once: each call takes a lock and
    checks the labels, which costs more than the count it leads to."""
    return metric.labels(*labels)


# Any token is a valid HTTP method; a label per made-up method would let
# clients grow the metric series (and the child cache) without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration (also for the worker's response cache)."""
    child(LATENCY, endpoint).observe(seconds)
    method = method if method in METHODS else "other"
    child(REQUESTS, endpoint, method, str(status)).inc()
