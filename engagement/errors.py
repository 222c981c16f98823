"""HTML or JSON error responses, chosen by what the client accepts."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

log = logging.getLogger(__name__)

TITLES = {
    400: "请求有误",
    404: "页面不存在",
    405: "不支持的请求方法",
    413: "请求内容过大",
    429: "请求过于频繁",
    500: "服务器出错了",
    503: "服务暂时不可用",
}


def wants_json() -> bool:
    """JSON for the API, health checks, ``.json`` URLs and clients that prefer it."""
    path = request.path
    if path.startswith("/api/") or path == "/healthz" or path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_code(exc: HTTPException) -> str:
    return getattr(exc, "code_name", None) or (exc.name or "error").lower().replace(" ", "_")


def render_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    # Retry-After of a 429 or 503 (werkzeug puts it in the exception's headers).
    extra = [(k, v) for k, v in exc.get_headers() if k == "Retry-After"]
    if wants_json():
        body = {"error": {"code": error_code(exc), "message": exc.description or exc.name}}
        return jsonify(body), status, extra
    title = TITLES.get(status, exc.name)
    if isinstance(exc, SecurityError):
        # A Host outside ENGAGEMENT_HOSTS: no URL can be built for it, so no layout.
        text = f"{status} {title}：此主机名不属于本站。\n"
        return text, status, [("Content-Type", "text/plain; charset=utf-8")]
    return render_template("error.html", status=status, title=title, exc=exc), status, extra


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        return render_error(exc)

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError) -> ResponseReturnValue:
        log.error("database unavailable: %s", exc.orig.__class__.__name__ if exc.orig else exc)
        from .extensions import db

        db.session.rollback()
        error = ServiceUnavailable("数据库暂时无法连接，请稍后再试。")
        return render_error(error)

    @app.errorhandler(DataError)
    def bad_value(exc: DataError) -> ResponseReturnValue:
        # A value the database refuses (out of range, bad encoding) is the client's.
        from .extensions import db

        db.session.rollback()
        return render_error(BadRequest("请求中的值无效。"))

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError) -> ResponseReturnValue:
        return render_error(InternalServerError("服务器内部错误，我们会尽快修复。"))
