"""``/metrics`` for Prometheus, correct across gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``gunicorn.conf.py`` does it) every
worker writes its samples to files there and a scrape merges them, so a
counter is the sum over workers whichever worker answers. Without it (the dev
server, tests) the process's own registry is used.
"""

from __future__ import annotations

import functools
import hmac
import os
import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("metrics", __name__)

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
REDIS_ERRORS = Counter("engagement_redis_errors_total", "Redis calls that failed.")


@functools.cache
def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once: each call takes a lock and
    checks the labels, which costs more than the count it leads to."""
    return metric.labels(*labels)


class FlushLag:
    """Seconds since the write-behind last applied a snapshot, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Any:
        from .extensions import db
        from .models import FlushLog

        gauge = GaugeMetricFamily(
            "engagement_flush_lag_seconds", "Seconds since the last write-behind flush."
        )
        with self.app.app_context():
            try:
                last = db.session.scalar(sa.select(sa.func.max(FlushLog.applied_at)))
            except SQLAlchemyError:
                return
            if last is not None:
                gauge.add_metric([], max(0.0, time.time() - last.timestamp()))
        yield gauge


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@bp.get("/metrics")
def metrics() -> Response:
    token = current_app.config["ENGAGEMENT_METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = Response("unauthorized\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = _registry()
    registry_with_lag = CollectorRegistry()
    registry_with_lag.register(FlushLag(current_app._get_current_object()))  # type: ignore[attr-defined]
    body = generate_latest(registry) + generate_latest(registry_with_lag)
    # CONTENT_TYPE_LATEST names its charset already; as a mimetype werkzeug adds another.
    response = Response(body, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


# Any token is a valid HTTP method; a label per made-up method would let
# clients grow the metric series (and the child cache) without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration (also for the worker's response cache)."""
    child(LATENCY, endpoint).observe(seconds)
    method = method if method in METHODS else "other"
    child(REQUESTS, endpoint, method, str(status)).inc()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def start_timer() -> None:
        request.environ["engagement.started"] = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        environ = request.environ
        started = environ.get("engagement.started")
        if started is not None:
            endpoint = environ["engagement.endpoint"] = request.endpoint or "unmatched"
            observe_request(
                endpoint, request.method, response.status_code, time.perf_counter() - started
            )
        return response
