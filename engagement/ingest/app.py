"""The one path of reader events: a small WSGI application of its own.

``POST /api/v1/articles/<slug>/views``, ``…/pings``, ``POST`` and ``DELETE
…/reactions`` and their CORS preflights are answered here and nowhere else; every other
request goes on to Flask. Each answer is one Redis round trip on one server.

Why not a Flask view: these are the busiest requests the service has, and
Flask's request context, routing and app-wide hooks cost about as much as the
counting itself (``bench/bench_engagement.py`` showed 0.36 of the hello-world
ceiling through Flask against 0.65 here). So this module does, once, what those
requests need of the stack: the trusted-host and NUL checks, Origin and CORS,
the body limit, JSON in the contract's error shape, the reader cookie, the
security headers and the request metrics. The event itself (crawlers, the
reaction limit, the script) is ``events.py``, shared with the no-JavaScript
reaction form.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import SecurityError
from werkzeug.http import HTTP_STATUS_CODES, parse_cookie
from werkzeug.wsgi import get_host

from ..clock import now
from ..extensions import RedisUnavailable, redis_store
from ..metrics import PINGS, child, observe_request
from ..moods import MOOD_KEYS
from ..params import whole_number
from ..store import counters, refs
from ..store.attention import Ping
from ..store.keys import DAY
from ..store.limits import RateLimit, RateLimited
from ..web.errors import ApiError, compact_json, json_error, limited
from ..web.security import ALWAYS, NO_STORE, has_nul
from . import events, origins, pings, readers, sanity

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = re.compile(r"/api/v1/articles/([^/]+)/(views|pings|reactions)")
MAX_BODY = 16 * 1024
# The methods each URL answers here; the rest of a URL's methods are Flask's.
HERE = {
    "views": ("POST", "OPTIONS"),
    "pings": ("POST", "OPTIONS"),
    "reactions": ("POST", "DELETE", "OPTIONS"),
}
ALLOW = {
    "views": "OPTIONS, POST",
    "pings": "OPTIONS, POST",
    "reactions": "DELETE, GET, HEAD, OPTIONS, POST",
}
# Labels in the request metrics, as the Flask views were named.
ENDPOINTS = {
    ("views", "POST"): "api.post_view",
    ("pings", "POST"): "api.post_ping",
    ("reactions", "POST"): "api.post_reaction",
    ("reactions", "DELETE"): "api.delete_reaction",
}

Answer = tuple[int, list[tuple[str, str]], bytes]
# The new-or-returning mark: the browser's own, a day's answer (pings.visitor).
VISITOR_ATTRIBUTES = f"; Max-Age={(pings.VISITOR_DAYS + 1) * DAY}; HttpOnly; Path=/; SameSite=Lax"


class Refused(Exception):
    """Ends a request early with a JSON error."""

    def __init__(self, error: ApiError, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.headers = headers or []


def _error(status: int, code: str, message: str) -> Refused:
    return Refused(ApiError(status, code, message))


class IngestApp:
    """Answers reader events before Flask; hands every other request to ``inner``."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.flask = app
        self.config = app.config
        self.inner = inner

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        method = environ["REQUEST_METHOD"]
        # Reading a reaction state is no event: GET and HEAD stay Flask's.
        if match is None or (match[2] == "reactions" and method in ("GET", "HEAD")):
            return self.inner(environ, start_response)
        started = time.perf_counter()
        what = match[2]
        slug = match[1].encode("latin-1").decode("utf-8", "replace")
        origin = environ.get("HTTP_ORIGIN")
        known = origins.listed(self.flask)
        extra = origins.cors_headers(origin, known)
        try:
            status, headers, body = self.answer(environ, method, what, slug, origin, known)
        except Refused as refused:
            response = json_error(refused.error)
            status, body = refused.error.status_code, response.get_data()
            headers = response.headers.to_wsgi_list() + refused.headers
        headers.extend(extra)
        headers.extend(ALWAYS)
        endpoint = ENDPOINTS.get((what, method), "api.ingest")
        observe_request(endpoint, method, status, time.perf_counter() - started)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}", headers)
        return [b""] if method == "HEAD" else [body]

    def answer(
        self,
        environ: dict[str, Any],
        method: str,
        what: str,
        slug: str,
        origin: str | None,
        known: frozenset[str],
    ) -> Answer:
        self.check_host(environ)
        if has_nul(slug, environ.get("QUERY_STRING", "")):
            raise _error(400, "bad_request", "The request contains a NUL character.")
        if method == "OPTIONS":
            return 200, [("Allow", ALLOW[what]), ("Content-Length", "0")], b""
        if method not in HERE[what]:
            raise Refused(
                ApiError(405, "method_not_allowed", f"{method} is not allowed here."),
                [("Allow", ALLOW[what])],
            )
        # This site as an origin, only when there is one to compare (werkzeug's
        # get_current_url costs some 70 µs here; scheme and host are enough).
        host_url = "" if origin is None else f"{environ['wsgi.url_scheme']}://{get_host(environ)}"
        if not origins.allowed(origin, host_url, known):
            raise _error(403, "origin_not_allowed", "This origin may not send reactions or views.")
        body = self.read_body(environ)
        ref = self.article(slug)
        agent = environ.get("HTTP_USER_AGENT", "")
        address = environ.get("REMOTE_ADDR") or "unknown"
        secret = self.config["SECRET_KEY"]
        jar = parse_cookie(environ) if "HTTP_COOKIE" in environ else {}
        first_party = None
        if origins.foreign(origin, host_url, known):
            given = environ.get(readers.FIRST_PARTY_HEADER)
            first_party = readers.first_party(secret, origin or "", given)
        if first_party is not None:
            reader, new = first_party, False
        else:
            reader, new = readers.identify(secret, jar.get(readers.COOKIE), address, agent)
        browser_like = sanity.failed_rule(environ) is None
        cookie = []
        if new and what != "pings":
            secure = environ["wsgi.url_scheme"] == "https"
            cookie = [("Set-Cookie", readers.cookie_header(secret, reader, secure))]
        if what == "pings":
            event = self.ping(environ, body)
            outcome = self.with_redis(
                lambda client: events.ping(
                    client, ref, reader, agent, self.config, event, browser_like
                )
            )
            return _no_store(202, events.ping_body(outcome), [])
        if what == "views":
            limits = [events.reader_pace(self.config, reader)]
            if new:
                limits.append(events.new_reader_limit(self.config, address))
            return self.view(
                environ, body, ref, slug, reader, agent, jar, cookie, limits, browser_like
            )
        mood = None if method == "DELETE" else self.mood(environ, body)
        limit = events.reaction_limit(self.config, address)
        try:
            state = self.with_redis(
                lambda client: events.change_reaction(
                    client, ref, reader, agent, mood, self.config, limit, browser_like=browser_like
                )
            )
        except RateLimited as exc:
            raise Refused(limited(exc.retry_after), cookie) from None
        return _no_store(200, events.reactions_body(slug, state), cookie)

    def view(
        self,
        environ: dict[str, Any],
        body: bytes,
        ref: counters.ArticleRef,
        slug: str,
        reader: str,
        agent: str,
        jar: Any,
        cookie: list[tuple[str, str]],
        limits: list[RateLimit],
        browser_like: bool,
    ) -> Answer:
        """Count the view and open its page view, with where it came from."""
        kind, seen = pings.visitor(jar.get(pings.VISITOR_COOKIE), int(now(self.config) // DAY))
        if seen is not None:
            cookie = [*cookie, ("Set-Cookie", f"{pings.VISITOR_COOKIE}={seen}{VISITOR_ATTRIBUTES}")]
        arrival = pings.arrival(
            self.json_body(environ, body, strict=False),
            pings.new_page_view(),
            origins.own_hosts(get_host(environ), origins.listed(self.flask)),
            agent,
            kind,
        )
        result, page_view = self.with_redis(
            lambda client: events.count_view(
                client, ref, reader, agent, self.config, arrival, limits, browser_like
            )
        )
        return _no_store(202, events.view_body(slug, result, page_view), cookie)

    def ping(self, environ: dict[str, Any], body: bytes) -> Ping:
        """A ping's fields, strictly; sendBeacon's text/plain is JSON too."""
        try:
            return pings.parse_ping(self.json_body(environ, body, text=True))
        except pings.BadPing as exc:
            child(PINGS, "invalid").inc()
            raise _error(400, "invalid_body", str(exc)) from None

    def json_body(
        self, environ: dict[str, Any], body: bytes, strict: bool = True, text: bool = False
    ) -> Any:
        """The body as JSON; not strict: None for anything that is not."""
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        json_type = mimetype == "application/json" or mimetype.endswith("+json")
        if not json_type and not (text and mimetype == "text/plain"):
            if not strict:
                return None
            raise _error(400, "invalid_body", "Send JSON with Content-Type: application/json.")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            payload = None
        if not isinstance(payload, dict):
            if not strict:
                return None
            raise _error(400, "invalid_body", "The body must be a JSON object.")
        return payload

    def check_host(self, environ: dict[str, Any]) -> None:
        trusted = self.config.get("TRUSTED_HOSTS")
        if trusted:
            try:
                get_host(environ, trusted)
            except SecurityError:
                raise _error(400, "bad_request", "This host name is not the site's.") from None

    def read_body(self, environ: dict[str, Any]) -> bytes:
        """At most ``MAX_BODY`` bytes, by Content-Length or, chunked, as they come."""
        stream = environ["wsgi.input"]
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared:
            length = whole_number(declared)
            if length is None:
                raise _error(400, "bad_request", "Content-Length is not a number of bytes.")
            if length > MAX_BODY:
                raise _error(413, "payload_too_large", "The body must be at most 16 KiB.")
            return bytes(stream.read(length))
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            data = bytes(stream.read(MAX_BODY + 1))
            if len(data) > MAX_BODY:
                raise _error(413, "payload_too_large", "The body must be at most 16 KiB.")
            return data
        return b""

    def article(self, slug: str) -> counters.ArticleRef:
        ref = refs.cached(self.flask, slug)
        if ref is None:
            try:
                with self.flask.app_context():
                    ref = refs.lookup(slug)
            except SQLAlchemyError:
                raise _error(
                    503, "database_unavailable", "The database is unavailable; try again soon."
                ) from None
        if ref is None:
            raise _error(404, "article_not_found", f"No article with slug {slug!r}.")
        return ref

    def mood(self, environ: dict[str, Any], body: bytes) -> str:
        mood = self.json_body(environ, body).get("reaction")
        if not isinstance(mood, str) or mood not in MOOD_KEYS:
            raise _error(
                400, "unknown_reaction", f"'reaction' must be one of: {', '.join(MOOD_KEYS)}."
            )
        return mood

    def with_redis(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work`` with the client; Redis failing (or its breaker open) is a 503."""
        try:
            with self.flask.extensions[redis_store.extension_name].guard() as client:
                return work(client)
        except RedisUnavailable:
            raise _error(
                503, "counters_unavailable", "Counting is unavailable; try again soon."
            ) from None


def _no_store(status: int, payload: dict[str, Any], cookie: list[tuple[str, str]]) -> Answer:
    data = compact_json(payload).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", NO_STORE),
        *cookie,
    ]
    return status, headers, data


def init_app(app: Flask) -> None:
    """Put the ingest app in front of Flask; the URLs it answers stay buildable."""
    app.wsgi_app = IngestApp(app, app.wsgi_app)  # type: ignore[method-assign]
    app.add_url_rule("/api/v1/articles/<slug>/views", endpoint="ingest.view", build_only=True)
    app.add_url_rule("/api/v1/articles/<slug>/pings", endpoint="ingest.ping", build_only=True)
