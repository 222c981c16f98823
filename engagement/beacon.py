"""The view beacon's common case, answered before Flask's request machinery runs.

Every page view sends one beacon, so it is the busiest request the service
has. Its work is one Redis round trip; around it, Flask's request context,
routing and the app-wide hooks cost about as much again (``bench/`` measures
both). This WSGI middleware answers the beacons that need nothing but
counting: a person's browser (not a known crawler) posting a small body from
this site or with no Origin, for an article this worker has cached, while
Redis answers. Everything else (a foreign or allowed Origin with its CORS
answer, bots, unknown or uncached articles, odd bodies, query strings, Redis
failing or in its breaker's pause) goes on to the Flask view
(``api.post_view``), which stays the reference: the tests check that both
paths answer byte for byte alike.

The counting, the reader identity and cookie, the body, the security headers
and the request metrics are the same functions the Flask path uses.
``ENGAGEMENT_FAST_BEACON = False`` turns the middleware off.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_current_url, get_host

from . import readers, refs
from .api import MAX_BODY, NO_STORE, compact_json, view_payload
from .bots import is_bot
from .extensions import redis_store
from .metrics import observe_request
from .redis_client import REDIS_ERRORS
from .security import ALWAYS
from .tracking import count_human_view, same_origin

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = re.compile(r"/api/v1/articles/([^/]+)/views")
ENDPOINT = "api.post_view"  # its label in the request metrics, as Flask names it


class FastBeacon:
    """The middleware (one per app; see :func:`init_app`)."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.flask = app
        self.inner = inner
        self.served = 0  # beacons answered here, for the tests (not exact across threads)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "POST":
            return self.inner(environ, start_response)
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("QUERY_STRING"):
            return self.inner(environ, start_response)
        answer = self.answer(environ, match.group(1))
        if answer is None:
            return self.inner(environ, start_response)
        headers, body = answer
        start_response("202 ACCEPTED", headers)
        return [body]

    def answer(self, environ: dict[str, Any], slug: str) -> tuple[list[Any], bytes] | None:
        """Headers and body of the answer, or None to leave the request to Flask."""
        started = time.perf_counter()
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
            origin.rstrip("/").lower() in config["ENGAGEMENT_ALLOWED_ORIGINS"]
            or not same_origin(origin, get_current_url(environ, host_only=True))
        ):
            return None
        length = environ.get("CONTENT_LENGTH") or "0"
        if not (length.isascii() and length.isdigit()) or int(length) > MAX_BODY:
            return None
        ref = refs.cached(self.flask, slug)
        state = self.flask.extensions[redis_store.extension_name]
        if ref is None or time.monotonic() < state.down_until:
            return None

        secret = config["SECRET_KEY"]
        reader = None
        if "HTTP_COOKIE" in environ:
            raw = parse_cookie(environ).get(readers.COOKIE)
            reader = readers.from_cookie_value(secret, raw)
        cookie = None
        if reader is None:
            reader = readers.keyed_hash(
                environ.get("REMOTE_ADDR") or "unknown", agent, secret=secret
            )
            cookie = readers.cookie_header(secret, reader, environ["wsgi.url_scheme"] == "https")

        body = environ["wsgi.input"].read(int(length)) if length != "0" else b""
        try:
            result = count_human_view(state.get(), ref, reader, config)
        except REDIS_ERRORS:
            state.failed()  # Flask's view then answers the 503, as for any outage
            environ["wsgi.input"] = io.BytesIO(body)
            return None

        data = compact_json(view_payload(slug, result)).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", NO_STORE),
        ]
        if cookie is not None:
            headers.append(("Set-Cookie", cookie))
        headers.extend(ALWAYS)
        self.served += 1
        observe_request(ENDPOINT, "POST", 202, time.perf_counter() - started)
        return headers, data


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable when ``ENGAGEMENT_FAST_BEACON`` is on."""
    if app.config["ENGAGEMENT_FAST_BEACON"]:
        app.wsgi_app = app.extensions["engagement.beacon"] = FastBeacon(  # type: ignore[method-assign]
            app, app.wsgi_app
        )
