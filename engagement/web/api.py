"""The JSON API's reads under ``/api/v1`` and their one error handler.

Reader events (views, reaction changes) have the same prefix but never reach
Flask: ``ingest/app.py`` answers them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from ..extensions import RedisUnavailable, db, redis_store
from ..ingest import origins, readers
from ..ingest.events import reactions_body
from ..models import Article
from ..params import in_range
from ..rankings.core import http_max_age
from ..rankings.leaderboards import (
    BadParameter,
    Board,
    Query,
    leaderboards,
    parse_query,
)
from ..related import store as related
from ..store import counters, refs
from ..store.counters import ArticleRef
from . import microcache
from .errors import ApiError, compact_json, from_http, json_error
from .openapi import spec_json
from .security import NO_STORE
from .templating import article_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(Exception)
def handle_error(exc: Exception) -> Response:
    """Every failure of the API, ours or werkzeug's, in the one JSON shape."""
    if isinstance(exc, ApiError):
        error = exc
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
        error = from_http(exc)
    else:
        current_app.logger.exception("unhandled API error")
        error = ApiError(500, "internal_error", "Internal server error.")
    return json_error(error)


# GETs that any page may read: their errors carry the same CORS header as
# their answers, or an embedding page sees a CORS failure instead of the error.
PUBLIC_GETS = frozenset({"api.get_rankings", "api.get_related", "api.openapi", "api.lookup"})


@bp.after_request
def cors(response: Response) -> Response:
    if request.endpoint in PUBLIC_GETS:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
    answer = origins.cors_headers(request.environ.get("HTTP_ORIGIN"), origins.listed(current_app))
    for name, value in answer:
        if name == "Vary":
            response.vary.add(value)
        else:
            response.headers[name] = value
    return response


def article_or_404(slug: str) -> ArticleRef:
    ref = refs.lookup(slug)
    if ref is None:
        raise ApiError(404, "article_not_found", f"No article with slug {slug!r}.")
    return ref


def no_store(payload: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    """A per-reader answer."""
    response = Response(compact_json(payload), mimetype="application/json")
    response.headers["Cache-Control"] = NO_STORE
    return response, status


@bp.get("/articles/<slug>/reactions")
def get_reactions(slug: str) -> tuple[Response, int]:
    ref = article_or_404(slug)
    reader = readers.reader_from_cookie() or foreign_reader()
    with redis_store.guard() as client:
        state = counters.reaction_state(client, ref.id, reader)
    return no_store(reactions_body(slug, state))


def foreign_reader() -> str | None:
    """On a registered site's page our cookie never comes (a third party's): the
    reader is the page's own id (hashed), else the keyed daily hash the events use."""
    origin = request.headers.get("Origin")
    if not origin or not origins.foreign(origin, request.host_url, origins.listed(current_app)):
        return None
    secret = current_app.config["SECRET_KEY"]
    given = request.environ.get(readers.FIRST_PARTY_HEADER)
    found = readers.first_party(secret, origin, given)
    if found is not None:
        return found
    agent = request.environ.get("HTTP_USER_AGENT", "")
    return readers.keyed_hash(readers.client_address(), agent, secret=secret)


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
    env = request.environ
    body = compact_json(ranking_payload(query, board)).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={http_max_age(current_app.config)}"
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
                "url": article_url(item),
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
            "url": article_url(other),
            "score": round(score, 4),
        }
        for other, score in related.suggestions(article, limit)
    ]
    payload = {"article": slug, "items": items}
    etag = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    return public_json(payload, etag, 300)


@bp.get("/openapi.json")
def openapi() -> Response:
    response = Response(spec_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
