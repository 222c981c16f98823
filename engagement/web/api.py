"""The JSON API under ``/api/v1`` and its one error handler."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from ..extensions import RedisUnavailable, db, redis_store
from ..ingest import readers
from ..ingest.tracking import (
    ReactionsLimited,
    change_reaction,
    count_view,
    is_listed_origin,
    is_same_origin,
)
from ..models import Article
from ..moods import MOOD_KEYS
from ..params import in_range
from ..rankings.leaderboards import BadParameter, Board, Query, leaderboards, parse_query
from ..related import store as related
from ..store import counters, refs
from ..store.counters import ArticleRef, ReactionState, ViewResult
from . import microcache
from .openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY = 16 * 1024
# Plain values only, so the json module does (quicker than jsonify); one encoder
# object, since json.dumps builds a new one for every call with options.
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
NO_STORE = "private, no-store"


class ApiError(Exception):
    """An API failure with its HTTP status and a stable snake_case code."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


@bp.errorhandler(Exception)
def handle_error(exc: Exception) -> tuple[Response, int]:
    """Every failure of the API, ours or werkzeug's, in the one JSON shape."""
    if isinstance(exc, ApiError):
        error = exc
    elif isinstance(exc, ReactionsLimited):
        error = limited_error(exc.retry_after if isinstance(exc.retry_after, int) else None)
    elif isinstance(exc, RedisUnavailable):
        error = ApiError(503, "counters_unavailable", "Counting is unavailable; try again soon.")
    elif isinstance(exc, DataError):
        db.session.rollback()
        error = ApiError(400, "invalid_parameter", "A value in the request is not acceptable.")
    elif isinstance(exc, OperationalError):
        db.session.rollback()
        error = ApiError(
            503, "database_unavailable", "The database is unavailable; try again soon."
        )
    elif isinstance(exc, HTTPException):
        status = exc.code or 500
        error = ApiError(status, HTTP_CODES.get(status, "http_error"), exc.description or "")
    else:
        current_app.logger.exception("unhandled API error")
        error = ApiError(500, "internal_error", "Internal server error.")
    return error_response(error, getattr(exc, "retry_after", None)), error.status_code


def limited_error(retry_after: int | None) -> ApiError:
    """A refused reaction change (``ENGAGEMENT_RATELIMIT_REACTIONS``)."""
    return ApiError(
        429, "rate_limited", f"Too many reaction changes; try again in {retry_after} s."
    )


def error_response(error: ApiError, retry_after: int | None = None) -> Response:
    """The one JSON error shape (also answered by ``fastpath.py``)."""
    response = Response(
        compact_json(error.to_dict()), status=error.status_code, mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    if error.status_code == 429:
        response.headers["Retry-After"] = str(retry_after or 60)
    elif error.status_code == 503:
        response.headers["Retry-After"] = "1"
    return response


def allowed_origin(origin: str | None) -> bool:
    if origin is None:
        return True
    return is_same_origin(origin) or is_listed_origin(origin, current_app.config)


@bp.before_request
def check_request() -> None:
    request.max_content_length = MAX_BODY
    if request.method in ("POST", "DELETE", "PUT", "PATCH"):
        if not allowed_origin(request.environ.get("HTTP_ORIGIN")):
            raise ApiError(
                403, "origin_not_allowed", "This origin may not send reactions or views."
            )
        length = request.content_length
        if length is not None and length > MAX_BODY:
            raise ApiError(413, "payload_too_large", "The body must be at most 16 KiB.")


# GETs that any page may read: their errors carry the same CORS header as
# their answers, or an embedding page sees a CORS failure instead of the error.
PUBLIC_GETS = frozenset({"api.get_rankings", "api.get_related", "api.openapi"})


@bp.after_request
def cors(response: Response) -> Response:
    if request.endpoint in PUBLIC_GETS:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
    origin = request.environ.get("HTTP_ORIGIN")
    if origin and is_listed_origin(origin, current_app.config):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
    return response


def article_or_404(slug: str) -> ArticleRef:
    ref = refs.lookup(slug)
    if ref is None:
        raise ApiError(404, "article_not_found", f"No article with slug {slug!r}.")
    return ref


def read_json_object() -> dict[str, Any]:
    """The body as a JSON object, read within the size limit."""
    if not request.is_json:
        raise ApiError(400, "invalid_body", "Send JSON with Content-Type: application/json.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a reaction
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.")
    return body


def reactions_body(slug: str, state: ReactionState) -> dict[str, Any]:
    return {"article": slug, "counts": state.counts, "total": state.total, "mine": state.mine}


def no_store(payload: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    """A per-reader answer."""
    response = Response(compact_json(payload), mimetype="application/json")
    response.headers["Cache-Control"] = NO_STORE
    return response, status


def view_payload(slug: str, result: ViewResult) -> dict[str, Any]:
    return {"article": slug, "counted": result.counted, "views": result.views}


@bp.get("/articles/<slug>/reactions")
def get_reactions(slug: str) -> tuple[Response, int]:
    ref = article_or_404(slug)
    reader = readers.reader_from_cookie()
    with redis_store.guard() as client:
        state = counters.reaction_state(client, ref.id, reader)
    return no_store(reactions_body(slug, state))


@bp.post("/articles/<slug>/reactions")
def post_reaction(slug: str) -> tuple[Response, int]:
    ref = article_or_404(slug)
    mood = read_json_object().get("reaction")
    if not isinstance(mood, str) or mood not in MOOD_KEYS:
        raise ApiError(
            400, "unknown_reaction", f"'reaction' must be one of: {', '.join(MOOD_KEYS)}."
        )
    return no_store(reactions_body(slug, change_reaction(ref, mood)))


@bp.delete("/articles/<slug>/reactions")
def delete_reaction(slug: str) -> tuple[Response, int]:
    ref = article_or_404(slug)
    return no_store(reactions_body(slug, change_reaction(ref, None)))


@bp.post("/articles/<slug>/views")
def post_view(slug: str) -> tuple[Response, int]:
    ref = article_or_404(slug)
    request.get_data()  # enforces the size limit on bodies without Content-Length
    return no_store(view_payload(slug, count_view(ref)), 202)


def iso_z(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public_json(payload: dict[str, Any], etag: str, max_age: int) -> Response:
    """A shared, cacheable answer for any origin, with conditional GET."""
    response = jsonify(payload)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)
    return response


@bp.get("/rankings")
def get_rankings() -> Response:
    try:
        query = parse_query(request.args)
    except BadParameter as exc:
        raise ApiError(400, exc.code, exc.message) from None
    boards = leaderboards()
    board = boards.board(query.ranking)
    limit = query.limit
    etag = f"{board.generation}-{board.ranking.name}-{limit}"
    max_age = max(1, int(current_app.config["ENGAGEMENT_RANKING_MAX_AGE"]) // 2)
    # The body only changes with the board's generation and the site's own URL
    # (its links are absolute): serialise it once per combination.
    env = request.environ
    key = (
        etag,
        env["wsgi.url_scheme"],
        env.get("HTTP_HOST") or env.get("SERVER_NAME", ""),
        env.get("SCRIPT_NAME", ""),
        query.category or "",
    )
    body = boards.responses.get(key)
    if body is None:
        body = boards.responses[key] = json.dumps(
            ranking_payload(query, board), ensure_ascii=False, separators=(",", ":")
        ).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if "HTTP_IF_NONE_MATCH" in env or "HTTP_IF_MODIFIED_SINCE" in env:
        response.make_conditional(request)
    # Until the board changes, this worker answers the same read without Flask.
    return microcache.keep(response, boards.fresh_for(board))


def ranking_payload(query: Query, board: Board) -> dict[str, Any]:
    return {
        "window": query.ranking.window,
        "metric": query.ranking.metric,
        "category": query.category,
        "generated_at": iso_z(board.generated_at),
        "items": [
            {
                "rank": item.rank,
                "slug": item.slug,
                "title": item.title,
                "url": url_for("pages.article", slug=item.slug, _external=True),
                "score": item.score,
                "published_at": item.published_at.isoformat(),
            }
            for item in board.items[: query.limit]
        ],
    }


@bp.get("/articles/<slug>/related")
def get_related(slug: str) -> Response:
    ref = article_or_404(slug)
    limit = in_range(request.args.get("limit", "5"), 1, 20)
    if limit is None:
        raise ApiError(400, "invalid_limit", "'limit' must be a whole number 1-20.")
    article = db.session.get(Article, ref.id)
    if article is None:
        raise ApiError(404, "article_not_found", f"No article with slug {slug!r}.")
    items = [
        {
            "slug": other.slug,
            "title": other.title,
            "url": url_for("pages.article", slug=other.slug, _external=True),
            "score": round(score, 4),
        }
        for other, score in related.suggestions(article, limit)
    ]
    payload = {"article": slug, "items": items}
    etag = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    return public_json(payload, etag, 300)


@bp.get("/openapi.json")
def openapi() -> Response:
    response = jsonify(spec())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
