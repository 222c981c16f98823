"""What readers and embedding pages hit: the front page's 热点, CORS on errors,
Chinese error pages."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from engagement.extensions import redis_store
from engagement.rankings import core as rankings
from tests.helpers import reader_client, view

SLUG = "kashi-orchard-cooperative"


def test_front_page_shows_the_24h_hot_list(demo: Flask) -> None:
    for i in range(3):
        view(reader_client(demo, address=f"198.51.100.{i}"), SLUG)
    with demo.app_context():
        rankings.build(redis_store.client, rankings.Ranking("24h", "hot"), time.time())
    html = demo.test_client().get("/").get_data(as_text=True)
    assert "24小时热点" in html
    hot = html.split('id="hot-title"', 1)[1].split("</section>", 1)[0]
    assert f"/articles/{SLUG}" in hot


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/rankings?window=2d",
        "/api/v1/rankings?limit=0",
        "/api/v1/rankings?category=nope",
        "/api/v1/articles/no-such-article/related",
        f"/api/v1/articles/{SLUG}/related?limit=99",
    ],
)
def test_public_get_errors_carry_cors_headers(demo: Flask, path: str) -> None:
    response = demo.test_client().get(path, headers={"Origin": "https://partner.example"})
    assert response.status_code in (400, 404)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["error"]["code"]


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("post", f"/articles/{SLUG}/reactions", 403, "禁止访问"),
        ("put", "/", 405, "不支持的请求方法"),
        ("delete", f"/articles/{SLUG}", 405, "不支持的请求方法"),
    ],
)
def test_error_pages_are_in_chinese(
    demo: Flask, method: str, path: str, status: int, title: str
) -> None:
    response = getattr(demo.test_client(), method)(path, headers={"Accept": "text/html"})
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert title in html
    for english in ("Forbidden", "Method Not Allowed", "not allowed for the requested URL"):
        assert english not in html
