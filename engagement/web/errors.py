"""Errors: the one JSON error shape, and pages in Chinese for browsers.

``{"error": {"code": "<snake_case>", "message": "<text>"}}`` is built by
:func:`json_error` alone: the API's handler, the ingest app, the operators'
401 and any client that prefers JSON all answer through it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

from ..params import whole_number

log = logging.getLogger(__name__)

# Plain values only, so the json module does (quicker than jsonify); one encoder
# object, since json.dumps builds a new one for every call with options.
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# A werkzeug error's code in the contract's words.
HTTP_CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """A failure with its HTTP status and a stable snake_case code."""

    def __init__(
        self, status_code: int, code: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def limited(retry_after: int) -> ApiError:
    """A refused reaction change (``ENGAGEMENT_RATELIMIT_REACTIONS``)."""
    return ApiError(
        429,
        "rate_limited",
        f"Too many reaction changes; try again in {retry_after} s.",
        retry_after,
    )


def json_error(error: ApiError) -> Response:
    """The one JSON error answer: never cached, with Retry-After on 429 and 503."""
    response = Response(
        compact_json(error.to_dict()), status=error.status_code, mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    if error.status_code == 429:
        response.headers["Retry-After"] = str(error.retry_after or 60)
    elif error.status_code == 503:
        response.headers["Retry-After"] = str(error.retry_after or 1)
    elif error.status_code == 401 and error.code.endswith("_token"):
        response.headers["WWW-Authenticate"] = 'Bearer realm="engagement"'
    return response


def from_http(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    code = getattr(exc, "code_name", None) or HTTP_CODES.get(status, "http_error")
    retry = next((v for k, v in exc.get_headers() if k == "Retry-After"), None)
    return ApiError(status, code, exc.description or exc.name, whole_number(retry))


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


def render_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    error = from_http(exc)
    if wants_json():
        return json_error(error)
    # Retry-After of a 429 or 503, as the JSON answer carries it.
    extra = [("Retry-After", str(error.retry_after))] if error.retry_after else []
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
