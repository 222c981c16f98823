"""Security headers on every response.

A few lines instead of a library: Flask-Talisman would bring HTTPS redirects
and session settings we configure elsewhere, and the one thing that differs
per route here (the ranking widget may be framed by any site) is simpler to
say directly.
"""

from __future__ import annotations

from flask import Flask, Response, abort, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts anywhere
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",  # the reaction bar's bar heights
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
FRAMEABLE = ("/widgets/",)
# Answers for one reader (their reaction state, their beacon's result, operators' pages).
NO_STORE = "private, no-store"
# Added unless the view set its own.
ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
FRAMED_ANYWHERE = (*ALWAYS, ("Content-Security-Policy", CSP + "; frame-ancestors *"))
SAME_ORIGIN_ONLY = (
    *ALWAYS,
    ("Content-Security-Policy", CSP + "; frame-ancestors 'self'"),
    ("X-Frame-Options", "SAMEORIGIN"),
)


def has_nul(path: str, query: str) -> bool:
    """No slug, category or parameter may contain a NUL: PostgreSQL cannot store one."""
    return "\x00" in path or "%00" in query


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul() -> None:
        if has_nul(request.path, request.environ.get("QUERY_STRING", "")):
            abort(400, description="请求中含有非法字符。")

    @app.after_request
    def secure_headers(response: Response) -> Response:
        # One pass over the headers: werkzeug answers a missing name by raising
        # (and catching) an HTTPException, which costs more than this loop.
        headers = response.headers
        present = set()
        content_type = ""
        for name, value in headers:
            lowered = name.lower()
            present.add(lowered)
            if lowered == "content-type":
                content_type = value
        wanted: tuple[tuple[str, str], ...] = ALWAYS
        if content_type.startswith("text/html"):
            wanted = FRAMED_ANYWHERE if request.path.startswith(FRAMEABLE) else SAME_ORIGIN_ONLY
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response
