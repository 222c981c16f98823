"""Security headers, and hostile input that must never reach a 500."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.helpers import reader_client


def test_pages_carry_security_headers(demo: Flask) -> None:
    response = demo.test_client().get("/articles/kashi-orchard-cooperative")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'self'" in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_widget_may_be_framed_anywhere(demo: Flask) -> None:
    response = demo.test_client().get("/widgets/rankings")
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/articles/%E2%80%AE%F0%9F%98%80",
        "/articles/" + "a" * 5000,
        "/articles/..%2F..%2Fetc%2Fpasswd",
        "/categories/%00",
        "/api/v1/articles/%FF%FE/reactions",
        "/api/v1/rankings?window=%00&limit=99999999999999999999",
        "/api/v1/rankings?category=" + "x" * 3000,
        "/widgets/rankings?target=%22%3E%3Cscript%3E",
        "/?page=" + "9" * 40,
    ],
)
def test_odd_urls_are_4xx_not_5xx(demo: Flask, path: str) -> None:
    response = reader_client(demo).get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "application/json"}, b"\xff\xfe\x00"),
        ({"Content-Type": "application/json"}, b'{"reaction": "smile"' + b" " * 20000 + b"}"),
        (
            {"Content-Type": "application/json; charset=latin-1"},
            '{"reaction": "é"}'.encode("latin-1"),
        ),
        (
            {"Content-Type": "application/json", "User-Agent": "x%0d%0aSet-Cookie: a=b\u2028"},
            b'{"reaction": "sad"}',
        ),
        (
            {"Content-Type": "application/json", "X-Forwarded-For": "' OR 1=1 --"},
            b'{"reaction": "sad"}',
        ),
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\n\r\n--x--"),
    ],
)
def test_hostile_bodies_and_headers(demo: Flask, headers: dict[str, str], body: bytes) -> None:
    response = reader_client(demo).post(
        "/api/v1/articles/kashi-orchard-cooperative/reactions", data=body, headers=headers
    )
    assert response.status_code < 500
    assert "Set-Cookie: a=b" not in str(response.headers)
