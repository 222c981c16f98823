"""A per-worker cache of whole public responses, consulted before Flask runs.

The ranking API answers the same bytes to everyone until its board changes, so
a repeat read need not route, run hooks and build a response again: this WSGI
middleware hands back the stored status, headers and body (a ranking read then
costs about what a bare hello world does). Only what a view opts into is kept:
it calls :func:`keep` with how long the answer stays right, and the entry then
lives that long at most, so the cache adds no staleness of its own.

Kept out: anything but GET, conditional requests (Flask answers their 304s),
any status but 200 and any answer that sets a cookie. The key is everything
such a view's answer may depend on here: path, query string, scheme, host,
script root and Origin (the API's CORS headers name an allowed origin).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request

from ..metrics import observe_request

EXTENSION = "engagement.microcache"
MARK = "X-Engagement-Keep"  # set by a view, removed before the response leaves
CAPTURING = "engagement.microcache.capturing"  # in environ: this response may be kept
MAX_ENTRIES = 2048

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class _Entry:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    endpoint: str
    expires: float


def keep(response: Response, seconds: float) -> Response:
    """Let the worker serve ``response`` again for ``seconds`` (nothing if <= 0).

    The first call for a path only makes the middleware watch that path; later
    requests for it are captured and kept. The mark goes only on a captured
    response, so it never reaches a client.
    """
    environ = request.environ
    if environ.get(CAPTURING):
        if seconds > 0:
            response.headers[MARK] = f"{seconds:.3f}"
    else:
        cache: ResponseCache | None = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.paths.add(environ.get("PATH_INFO", ""))
    return response


class ResponseCache:
    """The middleware and its entries (one per app; see :func:`init_app`)."""

    def __init__(self, app: WSGIApp, maxsize: int = MAX_ENTRIES) -> None:
        self.app = app
        self.maxsize = maxsize
        self.lock = threading.Lock()
        # Caches that kept responses are built from (the sidebar): emptied with them.
        self.sources: list[Any] = []
        # Paths whose views call keep(): every other request passes straight on.
        self.paths: set[str] = set()
        # Read without the lock (a dict lookup is atomic); written under it.
        self.entries: dict[tuple[str, ...], _Entry] = {}

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
        for source in self.sources:
            source.clear()

    def key(self, environ: dict[str, Any]) -> tuple[str, ...] | None:
        path = environ.get("PATH_INFO", "")
        if path not in self.paths or environ["REQUEST_METHOD"] != "GET":
            return None
        if "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ:
            return None
        return (
            path,
            environ.get("QUERY_STRING", ""),
            environ["wsgi.url_scheme"],
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("HTTP_ORIGIN", ""),
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        entry = self.entries.get(key)
        if entry is not None and entry.expires > time.monotonic():
            start_response(entry.status, list(entry.headers))
            observe_request(entry.endpoint, "GET", 200, time.perf_counter() - started)
            return [entry.body]
        return self._fill(key, environ, start_response)

    def _fill(
        self, key: tuple[str, ...], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            ttl = next((v for k, v in headers if k == MARK), None)
            if ttl is not None:
                headers = [(k, v) for k, v in headers if k != MARK]
                # A cookie belongs to one client: such an answer is never replayed.
                personal = any(k.lower() == "set-cookie" for k, _ in headers)
                if status.startswith("200 ") and exc_info is None and not personal:
                    seen.update(status=status, headers=headers, ttl=float(ttl))
            return start_response(status, headers, exc_info)

        environ[CAPTURING] = True
        body = self.app(environ, capture)
        if not seen:
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        entry = _Entry(
            status=seen["status"],
            headers=tuple(seen["headers"]),
            body=data,
            endpoint=environ.get("engagement.endpoint", "unmatched"),
            expires=time.monotonic() + seen["ttl"],
        )
        with self.lock:
            if len(self.entries) >= self.maxsize:
                self._evict()
            self.entries[key] = entry
        return [data]

    def _evict(self) -> None:
        """Drop expired entries, or the oldest half when none has expired (under the lock)."""
        now = time.monotonic()
        expired = [k for k, e in self.entries.items() if e.expires <= now]
        if not expired:
            expired = list(self.entries)[: max(1, len(self.entries) // 2)]
        for k in expired:
            del self.entries[k]


def init_app(app: Flask) -> None:
    cache = ResponseCache(app.wsgi_app)
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.extensions[EXTENSION] = cache


def forget(app: Flask) -> None:
    """Drop this worker's kept responses, and the caches they are built from
    (after an editorial change or an import)."""
    cache: ResponseCache | None = app.extensions.get(EXTENSION)
    if cache is not None:
        cache.clear()


def built_from(app: Flask, source: Any) -> None:
    """Register a cache (anything with ``clear()``) that kept responses are built
    from: :func:`forget` empties it too, so a page is never rebuilt from it stale."""
    cache: ResponseCache | None = app.extensions.get(EXTENSION)
    if cache is not None:
        cache.sources.append(source)
