"""The worker's response cache in front of Flask, as the ranking API uses it."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from engagement.extensions import redis_store
from engagement.rankings import core as rankings
from engagement.rankings.core import Ranking
from engagement.rankings.leaderboards import leaderboards
from engagement.web import microcache
from tests.helpers import reader_client, view

SLUG = "kashi-orchard-cooperative"
URL = "/api/v1/rankings?window=24h&limit=5"


@pytest.fixture
def site(app_factory, redis_server) -> Flask:
    app = app_factory(
        redis_server.url,
        ENGAGEMENT_RANKING_MAX_AGE=60,
        ENGAGEMENT_RANKING_REFRESHER=False,
        ENGAGEMENT_ALLOWED_ORIGINS="https://partner.example",
        ENGAGEMENT_METRICS_TOKEN="t",
    )
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert view(reader_client(app), SLUG).status_code == 202
    build(app)
    return app


def build(app: Flask) -> None:
    with app.app_context():
        rankings.build(redis_store.client, Ranking("24h", "views", "all"), time.time())


def kept(app: Flask) -> int:
    return len(app.extensions[microcache.EXTENSION].entries)


def test_a_repeat_read_is_answered_from_the_cache_unchanged(site: Flask) -> None:
    client = site.test_client()
    assert client.get("/bench-nothing").status_code == 404
    assert site.extensions[microcache.EXTENSION].paths == set(), "no view has opted in yet"
    first = client.get(URL)
    assert first.status_code == 200 and first.json["items"][0]["slug"] == SLUG
    assert site.extensions[microcache.EXTENSION].paths == {"/api/v1/rankings"}
    assert kept(site) == 0, "the first read only shows the cache which path to watch"
    second = client.get(URL)
    assert second.get_data() == first.get_data()
    assert kept(site) == 1
    again = client.get(URL)
    assert again.get_data() == first.get_data()
    assert sorted(again.headers.items()) == sorted(first.headers.items())
    assert microcache.MARK not in first.headers and microcache.MARK not in again.headers
    assert again.headers["X-Content-Type-Options"] == "nosniff", "hooks' headers are kept"


def test_what_is_not_kept(site: Flask) -> None:
    client = site.test_client()
    client.get(URL)
    etag = client.get(URL).headers["ETag"]
    conditional = client.get(URL, headers={"If-None-Match": etag})
    assert conditional.status_code == 304, "Flask still answers conditional requests"
    assert microcache.MARK not in conditional.headers
    assert client.head(URL).status_code == 200
    assert client.get("/api/v1/rankings?window=2d").status_code == 400
    assert kept(site) == 1, "HEAD, 304 and 400 are not kept"
    client.get(URL, headers={"Origin": "https://partner.example"})
    assert kept(site) == 2, "an allowed Origin gets its own CORS headers, so its own entry"


def test_the_cache_follows_the_board(site: Flask) -> None:
    client = site.test_client()
    client.get(URL)
    client.get(URL)
    cache = site.extensions[microcache.EXTENSION]
    (entry,) = cache.entries.values()
    with site.app_context():
        board = leaderboards().board(Ranking("24h", "views", "all"))
        assert entry.expires == pytest.approx(board.fetched + 30, abs=0.5)
        leaderboards().forget()
    assert kept(site) == 0, "an editorial change empties this worker's cache"


def test_no_cache_without_worker_caching(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_RANKING_MAX_AGE=0)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    build(app)
    for _ in range(2):
        assert app.test_client().get(URL).status_code == 200
    assert kept(app) == 0


def test_cached_answers_are_counted_in_metrics(site: Flask) -> None:
    client = site.test_client()

    def served() -> float:
        text = client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(True)
        for line in text.splitlines():
            if line.startswith("engagement_http_requests_total{") and (
                'endpoint="api.get_rankings"' in line and 'status="200"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = served()
    for _ in range(3):
        assert client.get(URL).status_code == 200
    assert served() == before + 3


def test_the_cache_stays_within_its_size() -> None:
    """Any query string makes a new key: the entries stay bounded all the same."""
    from werkzeug.test import Client
    from werkzeug.wrappers import Response as WerkzeugResponse

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        response = WerkzeugResponse(environ["QUERY_STRING"])
        response.headers[microcache.MARK] = "60"
        if environ["QUERY_STRING"] == "cookie":
            response.set_cookie("who", "someone")
        return response(environ, start_response)

    cache = microcache.ResponseCache(app, maxsize=8)
    cache.paths.add("/r")
    client = Client(cache)
    for n in range(50):
        response = client.get(f"/r?n={n}")
        assert response.get_data(as_text=True) == f"n={n}"
        assert microcache.MARK not in response.headers
        assert len(cache.entries) <= 8
    assert client.get("/r?n=49").get_data(as_text=True) == "n=49"
    cache.entries.clear()
    assert client.get("/r?cookie").headers["Set-Cookie"].startswith("who=")
    assert not cache.entries, "an answer that sets a cookie is not replayed to others"
