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

# (title, what the page says when the view gave no Chinese description)
PAGES = {
    400: ("请求有误", "请求的参数或内容有误，请检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("禁止访问", "您没有权限执行此操作。"),
    404: ("页面不存在", "您访问的页面不存在，可能已被删除或地址有误。"),
    405: ("不支持的请求方法", "此地址不接受这种请求方法。"),
    413: ("请求内容过大", "提交的内容超过了大小限制。"),
    415: ("不支持的内容类型", "提交的内容类型不受支持。"),
    429: ("请求过于频繁", "操作过于频繁，请稍后再试。"),
    500: ("服务器出错了", "服务器内部错误，我们会尽快修复。"),
    503: ("服务暂时不可用", "服务暂时不可用，请稍后再试。"),
}
TITLES = {status: title for status, (title, _) in PAGES.items()}


def page_text(exc: HTTPException) -> str:
    """The view's own description, or a Chinese one instead of werkzeug's English default."""
    status = exc.code or 500
    default = type(exc).description
    if exc.description and exc.description != default and status != 404:
        return exc.description
    return PAGES.get(status, ("", "请求未能完成。"))[1]


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
    html = render_template("error.html", status=status, title=title, text=page_text(exc))
    return html, status, extra


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        return render_error(exc)

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError) -> ResponseReturnValue:
        log.error("database unavailable: %s", exc.orig.__class__.__name__ if exc.orig else exc)
        from ..extensions import db

        db.session.rollback()
        error = ServiceUnavailable("数据库暂时无法连接，请稍后再试。")
        return render_error(error)

    @app.errorhandler(DataError)
    def bad_value(exc: DataError) -> ResponseReturnValue:
        # A value the database refuses (out of range, bad encoding) is the client's.
        from ..extensions import db

        db.session.rollback()
        return render_error(BadRequest("请求中的值无效。"))

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError) -> ResponseReturnValue:
        return render_error(InternalServerError("服务器内部错误，我们会尽快修复。"))
