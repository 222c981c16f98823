"""Hostile input: each answers with a clear 4xx (or is neutralised), never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from engagement.extensions import db
from engagement.models import Article
from tests.conftest import RedisServer
from tests.helpers import reader_client
from tests.test_import import line, write

SLUG = "kashi-orchard-cooperative"
NOT_DECIMAL = ["²", "①", "٣", "１"]  # superscript, circled, Arabic-Indic, full-width


@pytest.mark.parametrize("digit", NOT_DECIMAL)
@pytest.mark.parametrize(
    "path",
    [
        "/?page={}",
        "/categories/头条?page={}",
        "/api/v1/rankings?limit={}",
        "/widgets/rankings?limit={}",
        f"/api/v1/articles/{SLUG}/related?limit={{}}",
    ],
)
def test_digits_that_are_not_decimal_are_a_400(demo: Flask, path: str, digit: str) -> None:
    response = demo.test_client().get(path.format(digit))
    assert response.status_code in (400, 404), response.get_data(as_text=True)[:300]


def deep_json(depth: int = 1000) -> bytes:
    return ('{"reaction": ' + "[" * depth + "]" * depth + "}").encode()


def test_deeply_nested_reaction_body_is_a_400(demo: Flask) -> None:
    """It was a RecursionError, and on the fast path gunicorn's bare HTML 500."""
    for _ in range(2):  # the article looked up, then cached
        response = reader_client(demo).post(
            f"/api/v1/articles/{SLUG}/reactions",
            data=deep_json(),
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json["error"]["code"] == "invalid_body"


@pytest.mark.parametrize("query", ["endpoint=x", "_method=POST", "_external=1", "_anchor=x"])
def test_pagination_ignores_url_for_arguments_in_the_query(demo: Flask, query: str) -> None:
    demo.config["ENGAGEMENT_PAGE_SIZE"] = 2
    client = demo.test_client()
    for path in ("/", "/categories/%E5%A4%B4%E6%9D%A1"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        html = response.get_data(as_text=True)
        links = re.findall(r'rel="next" href="([^"]+)"', html)
        assert links, html[:500]
        assert "page=2" in links[0]
        assert links[0].startswith(path + "?")


def test_import_keeps_good_lines_around_unstorable_ones(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    surrogate = line(slug="bad-1").replace("标题", "\\ud800")
    assert "\\ud800" in surrogate
    nul = line(slug="bad-2").replace("标题", "标\\u0000题")
    nested = '{"slug": ' + "[" * 5000 + "]" * 5000 + "}"
    path = write(tmp_path, line(slug="good-1"), surrogate, nul, nested, line(slug="good-2"))
    result = runner.invoke(args=["import-articles", str(path)])
    assert result.exit_code == 1, result.output
    assert ":2: " in result.output and "surrogate" in result.output
    assert ":3: " in result.output and "NUL" in result.output
    assert ":4: " in result.output
    with app.app_context():
        slugs = set(db.session.scalars(sa.select(Article.slug)))
    assert slugs == {"good-1", "good-2"}


@pytest.mark.parametrize("url", ["//evil.example/x.gif", "/\\evil.example/x.gif"])
def test_protocol_relative_image_url_is_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, url: str
) -> None:
    result = runner.invoke(args=["import-articles", str(write(tmp_path, line(image_url=url)))])
    assert result.exit_code == 1
    assert "image_url" in result.output


def test_site_host_names_setting_refuses_other_hosts(
    app_factory: Callable[..., Flask], redis_server: RedisServer, runner: FlaskCliRunner
) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    site = app_factory(redis_server.url, ENGAGEMENT_HOSTS="news.example, www.news.example")
    client = site.test_client()
    response = client.get("/api/v1/rankings?window=all", headers={"Host": "evil.example"})
    assert response.status_code == 400
    response = client.get("/widgets/rankings", headers={"Host": "evil.example"})
    assert response.status_code == 400
    response = client.get("/api/v1/rankings?window=all", headers={"Host": "news.example"})
    assert response.status_code == 200


def test_metrics_content_type_names_its_charset_once(app: Flask) -> None:
    app.config["ENGAGEMENT_METRICS_TOKEN"] = "tok"
    response = app.test_client().get("/metrics", headers={"Authorization": "Bearer tok"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].lower().count("charset") == 1
