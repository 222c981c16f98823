"""``/metrics`` for Prometheus, correct across gunicorn workers, and the hooks
that time every request Flask answers (the ingest app times its own)."""

from __future__ import annotations

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
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from ..clock import now
from ..extensions import RedisUnavailable, db, redis_store
from ..metrics import observe_request
from ..models import FlushLog
from ..store import attention

bp = Blueprint("metrics", __name__)


class FlushLag:
    """Seconds since the write-behind last applied a snapshot, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Any:
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


class ReadersNow:
    """Page views pinging in the last 30 seconds (engaged and all), read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Any:
        gauge = GaugeMetricFamily(
            "engagement_readers_now",
            "Readers now: page views pinging in the last 30 s.",
            labels=["kind"],
        )
        with self.app.app_context():
            try:
                with redis_store.guard() as client:
                    present = attention.readers_now(client, now())
            except RedisUnavailable:
                return
        gauge.add_metric(["all"], sum(p.readers for p in present.values()))
        gauge.add_metric(["engaged"], sum(p.engaged for p in present.values()))
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
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    registry_with_lag.register(FlushLag(app))
    registry_with_lag.register(ReadersNow(app))
    body = generate_latest(registry) + generate_latest(registry_with_lag)
    # CONTENT_TYPE_LATEST names its charset already; as a mimetype werkzeug adds another.
    response = Response(body, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


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
