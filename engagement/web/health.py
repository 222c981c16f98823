"""``/healthz``: does the database answer, does Redis answer."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, redis_store
from ..store.redis_client import REDIS_ERRORS

bp = Blueprint("health", __name__)


def check_database() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False


def check_redis() -> bool:
    try:
        return bool(redis_store.client.ping())
    except REDIS_ERRORS:
        return False


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    checks = {"database": check_database(), "redis": check_redis()}
    down = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not down else "unavailable",
        "checks": {name: "ok" if ok else "down" for name, ok in checks.items()},
        "down": down,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if not down else 503
