"""The fast path (``engagement/fastpath.py``) answers views and reactions exactly as
the Flask views do, and leaves every case it does not handle to them."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engagement.extensions import db
from engagement.ingest.fastpath import FastPath
from engagement.models import Article
from engagement.store import refs
from tests.conftest import RedisServer
from tests.helpers import GOOGLEBOT, reader_client, view

SLUG = "kashi-orchard-cooperative"


def fast(app: Flask) -> FastPath:
    found: FastPath = app.extensions["engagement.fastpath"]
    return found


def warm(app: Flask, *slugs: str) -> None:
    """Put articles in the worker's cache, as any earlier request for them does."""
    with app.app_context():
        for slug in slugs:
            assert refs.lookup(slug) is not None


def two_articles(app: Flask) -> tuple[str, str]:
    with app.app_context():
        a, b = db.session.scalars(sa.select(Article.slug).order_by(Article.id).limit(2))
    return a, b


def answer(
    client: FlaskClient, slug: str, what: str = "views", **kwargs: object
) -> tuple[int, list, str]:
    """Status, headers and body, with the slug (and so the length) taken out."""
    kwargs.setdefault("json", {})
    response = client.post(f"/api/v1/articles/{slug}/{what}", **kwargs)  # type: ignore[arg-type]
    body = response.get_data()
    assert response.headers["Content-Length"] == str(len(body))
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Content-Length")
    return response.status_code, headers, body.decode().replace(slug, "<slug>")


def test_fast_and_flask_paths_answer_alike(demo: Flask, app_factory, redis_server) -> None:
    flask_only = app_factory(redis_server.url, ENGAGEMENT_FAST_PATH=False)
    assert "engagement.fastpath" not in flask_only.extensions
    first, second = two_articles(demo)
    warm(demo, first)
    # One reader (same address and browser) on each path, each on an article of its own.
    on_fast, on_flask = reader_client(demo), reader_client(flask_only)
    variants: list[dict[str, object]] = [
        {},  # a new reader: the answer sets the reader cookie
        {},  # the same reader again, now with the cookie: a repeat
        {"headers": {"Origin": "http://localhost"}},
        {"json": None},  # no body at all
        {"json": None, "data": b"not json", "content_type": "text/plain"},
    ]
    for kwargs in variants:
        served = fast(demo).served
        assert answer(on_fast, first, **kwargs) == answer(on_flask, second, **kwargs)
        assert fast(demo).served == served + 1, "the fast path answered"
    assert answer(on_fast, first)[2] == '{"article":"<slug>","counted":false,"views":1}'


def test_reactions_answer_alike_on_both_paths(demo: Flask, app_factory, redis_server) -> None:
    limit = "4/minute"  # the fifth change in a minute is refused
    demo.config["ENGAGEMENT_RATELIMIT_REACTIONS"] = limit
    flask_only = app_factory(
        redis_server.url, ENGAGEMENT_FAST_PATH=False, ENGAGEMENT_RATELIMIT_REACTIONS=limit
    )
    first, second = two_articles(demo)
    warm(demo, first)
    # Different addresses: each path's client has a limit of its own.
    on_fast = reader_client(demo, address="198.51.100.10")
    on_flask = reader_client(flask_only, address="198.51.100.11")
    variants: list[dict[str, object]] = [
        {"json": {"reaction": "smile"}},  # a new reader: sets the cookie
        {"json": {"reaction": "sad"}},  # switches
        {"json": {"reaction": "sad"}, "headers": {"Origin": "http://localhost"}},  # unchanged
        {
            "json": None,
            "data": b'{"reaction": "envy", "extra": 1}',
            "content_type": "application/json; charset=utf-8",
        },
    ]
    for kwargs in variants:
        served = fast(demo).served
        fast_answer, flask_answer = (
            answer(on_fast, first, "reactions", **kwargs),
            answer(on_flask, second, "reactions", **kwargs),
        )
        # Different readers, so different cookies; everything else is alike.
        assert strip_cookie(fast_answer) == strip_cookie(flask_answer)
        assert fast(demo).served == served + 1, "the fast path answered"
    assert '"mine":"envy"' in fast_answer[2] and '"envy":1' in fast_answer[2]

    refused = answer(on_fast, first, "reactions", json={"reaction": "tears"})
    assert refused == answer(on_flask, second, "reactions", json={"reaction": "tears"})
    assert refused[0] == 429 and ("Retry-After", "60") in refused[1]
    assert '"code":"rate_limited"' in refused[2]
    assert fast(demo).served == served + 2, "the fast path answered the 429 too"


def strip_cookie(found: tuple[int, list, str]) -> tuple[int, list, str]:
    status, headers, body = found
    return status, [(k, v) for k, v in headers if k != "Set-Cookie"], body


def test_what_the_fast_path_leaves_to_flask(app_factory, redis_server) -> None:
    app = app_factory(
        redis_server.url, ENGAGEMENT_ALLOWED_ORIGINS="https://partner.example,http://localhost"
    )
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app)
    url = f"/api/v1/articles/{SLUG}/views"

    first = view(client, SLUG)  # not cached yet: Flask looks the article up
    assert first.status_code == 202 and fast(app).served == 0
    assert view(reader_client(app, address="198.51.100.99"), SLUG).status_code == 202
    assert fast(app).served == 1

    cases = [
        (view(reader_client(app, agent=GOOGLEBOT), SLUG), 202),
        (view(client, SLUG, headers={"Origin": "https://evil.example"}), 403),
        (view(client, SLUG, headers={"Origin": "https://partner.example"}), 202),
        (view(client, SLUG, headers={"Origin": "http://localhost"}), 202),
        (client.post(url + "?x=1", json={}), 202),
        (client.post(url, data=b"x" * (17 * 1024), content_type="text/plain"), 413),
        (view(client, "no-such-article"), 404),
        (client.get(url), 405),
    ]
    reactions = f"/api/v1/articles/{SLUG}/reactions"
    cases += [
        (client.post(reactions, json={"reaction": "nope"}), 400),
        (client.post(reactions, json=["smile"]), 400),
        (client.post(reactions, data=b"{", content_type="application/json"), 400),
        (client.post(reactions, data=b'{"reaction": "smile"}', content_type="text/plain"), 400),
        (
            client.post(reactions, json={"reaction": "smile"}, headers={"User-Agent": GOOGLEBOT}),
            200,
        ),
        (client.delete(reactions), 200),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_data(as_text=True)
    assert cases[2][0].headers["Access-Control-Allow-Origin"] == "https://partner.example"
    assert cases[3][0].headers["Access-Control-Allow-Origin"] == "http://localhost"
    assert cases[0][0].json["counted"] is False, "bots are dropped"
    assert cases[-2][0].json["mine"] is None, "a bot's reaction changes nothing"
    assert fast(app).served == 1, "none of these was answered by the fast path"


def test_untrusted_host_is_left_to_flask(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, TRUSTED_HOSTS=["news.example"])
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    warm(app, SLUG)
    client = reader_client(app)
    assert view(client, SLUG, headers={"Host": "evil.example"}).status_code == 400
    assert fast(app).served == 0
    assert view(client, SLUG, headers={"Host": "news.example"}).status_code == 202
    assert fast(app).served == 1


def test_fast_path_during_a_redis_outage(
    app_factory: Callable[..., Flask], own_redis: RedisServer
) -> None:
    app = app_factory(own_redis.url)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    warm(app, SLUG)
    assert view(reader_client(app), SLUG).status_code == 202
    assert fast(app).served == 1

    own_redis.stop()
    for address in ("198.51.100.2", "198.51.100.3"):
        response = view(reader_client(app, address=address), SLUG)
        assert response.status_code == 503
        assert response.json["error"]["code"] == "counters_unavailable"
        assert response.headers["Retry-After"]
    assert fast(app).served == 1

    own_redis.start()
    time.sleep(1.1)  # the circuit breaker's pause
    response = view(reader_client(app, address="198.51.100.4"), SLUG)
    assert response.status_code == 202 and response.json["counted"] is True
    assert fast(app).served == 2


def test_odd_content_lengths_are_left_to_flask(demo: Flask) -> None:
    warm(demo, SLUG)
    url = f"/api/v1/articles/{SLUG}/views"
    client = reader_client(demo)
    for length in ("²", "-1", "1e3", " 2"):
        response = client.post(url, data=b"{}", environ_overrides={"CONTENT_LENGTH": length})
        assert response.status_code < 500, length
    assert fast(demo).served == 0
