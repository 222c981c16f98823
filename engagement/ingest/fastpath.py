"""The two counting requests' common case, answered before Flask's machinery runs.

Every page view sends a beacon and every click on a mood a reaction: they are
the busiest requests the service has. Each is one Redis round trip; around
it, Flask's request context, routing and the app-wide hooks cost about as much
again (``bench/bench_engagement.py`` measures both paths). This WSGI
middleware answers a ``POST /api/v1/articles/<slug>/views`` or ``…/reactions``
that needs nothing but counting: a person's browser (not a known crawler)
posting a small body from this site or with no Origin, for an article this
worker has cached, while Redis answers, and for a reaction a JSON body naming
a mood. Everything else (foreign and allowed origins with their CORS answer,
bots, unknown or uncached articles, bad bodies, query strings, DELETE, Redis
failing or in its breaker's pause) goes on to the Flask views in ``api.py``,
which stay the reference: the tests hold both paths to the same bytes.

The counting, the reader identity and cookie, the rate limit, the bodies and
error shape, the security headers and the request metrics are the functions
the Flask path uses. ``ENGAGEMENT_FAST_PATH = False`` turns the middleware off.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_current_url, get_host

from ..extensions import redis_store
from ..metrics import observe_request
from ..moods import MOOD_KEYS
from ..params import whole_number
from ..store import counters, refs
from ..store.redis_client import REDIS_ERRORS
from ..web.api import (
    MAX_BODY,
    NO_STORE,
    compact_json,
    error_response,
    limited_error,
    reactions_body,
    view_payload,
)
from ..web.security import ALWAYS
from . import readers
from .bots import is_bot
from .tracking import (
    change_human_reaction,
    count_human_view,
    is_listed_origin,
    reaction_limit,
    same_origin,
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = re.compile(r"/api/v1/articles/([^/]+)/(views|reactions)")
# Their labels in the request metrics, as Flask names the views.
ENDPOINTS = {"views": "api.post_view", "reactions": "api.post_reaction"}
STATUS_LINES = {200: "200 OK", 202: "202 ACCEPTED", 429: "429 TOO MANY REQUESTS"}


class _Request:
    """What both answers need, found without Flask."""

    __slots__ = ("environ", "ref", "redis", "address", "reader", "cookie", "body", "started")

    def __init__(
        self, environ: dict[str, Any], ref: counters.ArticleRef, redis: Any, started: float
    ) -> None:
        self.environ = environ
        self.ref = ref
        self.redis = redis  # the app's Redis holder state (client and breaker)
        # As readers.client_address() finds it (ProxyFix has already run).
        self.address = environ.get("REMOTE_ADDR") or "unknown"
        self.reader = ""
        self.cookie: str | None = None
        self.body = b""
        self.started = started


class FastPath:
    """The middleware (one per app; see :func:`init_app`)."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.flask = app
        self.inner = inner
        self.served = 0  # requests answered here, for the tests (not exact across threads)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "POST":
            return self.inner(environ, start_response)
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("QUERY_STRING"):
            return self.inner(environ, start_response)
        slug, what = match.groups()
        request = self.prepare(environ, slug, time.perf_counter())
        if request is None:
            return self.inner(environ, start_response)
        answer = self.view(request) if what == "views" else self.react(request)
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(request.body)  # Flask reads it again
            return self.inner(environ, start_response)
        status, headers, body = answer
        if request.cookie is not None:
            headers.append(("Set-Cookie", request.cookie))
        headers.extend(ALWAYS)
        self.served += 1
        elapsed = time.perf_counter() - request.started
        observe_request(ENDPOINTS[what], "POST", status, elapsed)
        start_response(STATUS_LINES[status], headers)
        return [body]

    def prepare(self, environ: dict[str, Any], slug: str, started: float) -> _Request | None:
        """The checks every Flask hook and view would make, or None to leave it to Flask."""
        config = self.flask.config
        if not slug.isascii() or "\x00" in slug:
            return None
        agent = environ.get("HTTP_USER_AGENT", "")
        if is_bot(agent) or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        trusted = config["TRUSTED_HOSTS"]
        if trusted is not None:
            try:
                get_host(environ, trusted)  # as Flask checks it while routing
            except SecurityError:
                return None
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and (
            # An allowed origin gets the API's CORS headers, even this site's own.
            is_listed_origin(origin, config)
            or not same_origin(origin, get_current_url(environ, host_only=True))
        ):
            return None
        length = environ.get("CONTENT_LENGTH") or "0"
        size = whole_number(length)
        if size is None or size > MAX_BODY:
            return None
        ref = refs.cached(self.flask, slug)
        state = self.flask.extensions[redis_store.extension_name]
        if ref is None or time.monotonic() < state.down_until:
            return None

        request = _Request(environ, ref, state, started)
        secret = config["SECRET_KEY"]
        raw = parse_cookie(environ).get(readers.COOKIE) if "HTTP_COOKIE" in environ else None
        request.reader, new = readers.identify(secret, raw, request.address, agent)
        if new:
            secure = environ["wsgi.url_scheme"] == "https"
            request.cookie = readers.cookie_header(secret, request.reader, secure)
        if size:
            request.body = environ["wsgi.input"].read(size)
        return request

    def view(self, request: _Request) -> tuple[int, list[Any], bytes] | None:
        try:
            result = count_human_view(
                request.redis.get(), request.ref, request.reader, self.flask.config
            )
        except REDIS_ERRORS:
            request.redis.failed()  # Flask's view then answers the 503, as for any outage
            return None
        return _no_store(202, view_payload(request.ref.slug, result))

    def react(self, request: _Request) -> tuple[int, list[Any], bytes] | None:
        mimetype = request.environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if mimetype != "application/json":
            return None
        try:
            payload = json.loads(request.body)
        except (ValueError, RecursionError):  # Flask's view answers the 400
            return None
        mood = payload.get("reaction") if isinstance(payload, dict) else None
        if not isinstance(mood, str) or mood not in MOOD_KEYS:
            return None
        config = self.flask.config
        limit = reaction_limit(config, request.address)
        try:
            state = change_human_reaction(
                request.redis.get(), request.ref, request.reader, mood, config, limit
            )
        except counters.RateLimited as exc:
            response = error_response(limited_error(exc.retry_after), exc.retry_after)
            return 429, response.headers.to_wsgi_list(), response.get_data()
        except REDIS_ERRORS:
            request.redis.failed()
            return None
        return _no_store(200, reactions_body(request.ref.slug, state))


def _no_store(status: int, payload: dict[str, Any]) -> tuple[int, list[Any], bytes]:
    """What ``api.no_store`` answers, as status, header list and body."""
    data = compact_json(payload).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", NO_STORE),
    ]
    return status, headers, data


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable when ``ENGAGEMENT_FAST_PATH`` is on."""
    if app.config["ENGAGEMENT_FAST_PATH"]:
        app.wsgi_app = app.extensions["engagement.fastpath"] = FastPath(  # type: ignore[method-assign]
            app, app.wsgi_app
        )
