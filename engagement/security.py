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


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul() -> None:
        """No slug, category or parameter contains a NUL; PostgreSQL cannot store one."""
        if "\x00" in request.path or b"%00" in request.query_string:
            abort(400, description="请求中含有非法字符。")

    @app.after_request
    def secure_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if (headers.get("Content-Type") or "").startswith("text/html"):
            if request.path.startswith(FRAMEABLE):
                headers.setdefault("Content-Security-Policy", CSP + "; frame-ancestors *")
            else:
                headers.setdefault("Content-Security-Policy", CSP + "; frame-ancestors 'self'")
                headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
