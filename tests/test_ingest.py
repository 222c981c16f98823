"""The one path of reader events (``engagement/ingest/app.py``): every case a
view beacon or a reaction change can be, answered without Flask."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from flask import Flask

from engagement.ingest.app import IngestApp
from engagement.ingest.readers import COOKIE
from tests.conftest import RedisServer
from tests.helpers import GOOGLEBOT, beacon, reader_client, view

SLUG = "kashi-orchard-cooperative"
VIEWS = f"/api/v1/articles/{SLUG}/views"
REACTIONS = f"/api/v1/articles/{SLUG}/reactions"


def flask_requests(app: Flask) -> list[str]:
    """Endpoints Flask dispatched, recorded by a hook: reader events must not be among them."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(
        lambda: seen.append(str(__import__("flask").request.endpoint)) and None
    )
    return seen


def test_the_ingest_app_is_in_front_of_flask(demo: Flask) -> None:
    assert isinstance(demo.wsgi_app, IngestApp) or any(
        isinstance(getattr(demo.wsgi_app, "inner", None), IngestApp) for _ in (0,)
    )
    seen = flask_requests(demo)
    client = reader_client(demo)
    assert view(client, SLUG).status_code == 202
    assert client.post(REACTIONS, json={"reaction": "smile"}).status_code == 200
    assert client.delete(REACTIONS).status_code == 200
    assert seen == [], "no reader event went through Flask"
    assert client.get(REACTIONS).status_code == 200
    assert seen == ["api.get_reactions"], "reads stay Flask views"


def test_views_new_reader_repeat_and_headers(demo: Flask) -> None:
    client = reader_client(demo)
    first = view(client, SLUG)
    assert first.status_code == 202
    assert beacon(first) == {"article": SLUG, "counted": True, "views": 1}
    assert first.headers["Cache-Control"] == "private, no-store"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Content-Length"] == str(len(first.get_data()))
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    again = view(client, SLUG, headers={"Origin": "http://localhost"})
    assert again.json["counted"] is False and "Set-Cookie" not in again.headers
    for kwargs in ({"json": None}, {"data": b"not json", "content_type": "text/plain"}):
        kwargs_view = client.post(VIEWS + "?utm_source=x", **kwargs)  # type: ignore[arg-type]
        assert kwargs_view.status_code == 202


def test_reactions_switch_undo_and_limit(demo: Flask) -> None:
    demo.config["ENGAGEMENT_RATELIMIT_REACTIONS"] = "4/minute"
    client = reader_client(demo, address="198.51.100.10")
    assert client.post(REACTIONS, json={"reaction": "smile"}).json["mine"] == "smile"
    switched = client.post(REACTIONS, json={"reaction": "sad"}).json
    assert switched["mine"] == "sad" and switched["counts"]["smile"] == 0
    body = b'{"reaction": "envy", "extra": 1}'
    charset = client.post(REACTIONS, data=body, content_type="application/json; charset=utf-8")
    assert charset.json["mine"] == "envy" and charset.json["total"] == 1
    assert client.delete(REACTIONS).json["mine"] is None
    refused = client.post(REACTIONS, json={"reaction": "tears"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert refused.json["error"]["code"] == "rate_limited"
    assert client.get(REACTIONS).json["total"] == 0, "the refused change changed nothing"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("post", VIEWS, {"headers": {"Origin": "https://evil.example"}}, 403, "origin_not_allowed"),
        ("post", VIEWS, {"headers": {"Origin": "http://[::1"}}, 403, "origin_not_allowed"),
        ("post", VIEWS, {"data": b"x" * (17 * 1024)}, 413, "payload_too_large"),
        ("post", "/api/v1/articles/no-such-article/views", {}, 404, "article_not_found"),
        ("get", VIEWS, {}, 405, "method_not_allowed"),
        ("put", REACTIONS, {}, 405, "method_not_allowed"),
        ("post", REACTIONS, {"json": {"reaction": "nope"}}, 400, "unknown_reaction"),
        ("post", REACTIONS, {"json": ["smile"]}, 400, "invalid_body"),
        (
            "post",
            REACTIONS,
            {"data": b"{", "content_type": "application/json"},
            400,
            "invalid_body",
        ),
        (
            "post",
            REACTIONS,
            {"data": b'{"reaction":"smile"}', "content_type": "text/plain"},
            400,
            "invalid_body",
        ),
        ("post", f"/api/v1/articles/{SLUG}%00/views", {}, 400, "bad_request"),
    ],
)
def test_refusals_in_the_contracts_shape(
    demo: Flask, method: str, path: str, kwargs: dict, status: int, code: str
) -> None:
    response = getattr(reader_client(demo), method)(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]["code"] == code
    assert response.headers["Cache-Control"] == "no-store"
    if status == 405:
        assert "POST" in response.headers["Allow"]


def test_chunked_bodies_are_limited_too(demo: Flask) -> None:
    client = reader_client(demo)

    def chunked(data: bytes):  # noqa: ANN202 - a test response
        return client.post(
            VIEWS,
            input_stream=io.BytesIO(data),
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"CONTENT_LENGTH": ""},
        )

    assert chunked(b"x" * (18 * 1024)).status_code == 413
    assert chunked(b"{}").status_code == 202


@pytest.mark.parametrize("length", ["²", "-1", "1e3", " 2"])
def test_odd_content_lengths_are_a_400(demo: Flask, length: str) -> None:
    response = reader_client(demo).post(
        VIEWS, data=b"{}", environ_overrides={"CONTENT_LENGTH": length}
    )
    assert response.status_code == 400


def test_crawlers_are_counted_apart(demo: Flask) -> None:
    bot = reader_client(demo, agent=GOOGLEBOT)
    assert view(bot, SLUG).json["counted"] is False
    reaction = bot.post(REACTIONS, json={"reaction": "smile"})
    assert reaction.status_code == 200 and reaction.json["mine"] is None
    assert reaction.json["total"] == 0


def test_allowed_origins_get_cors_answers_and_preflights(
    app_factory: Callable[..., Flask], redis_server: RedisServer
) -> None:
    app = app_factory(
        redis_server.url, ENGAGEMENT_ALLOWED_ORIGINS="https://partner.example,http://localhost"
    )
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app)
    for origin in ("https://partner.example", "http://localhost"):
        response = view(client, SLUG, headers={"Origin": origin})
        assert response.status_code == 202
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in response.headers["Vary"]
    preflight = client.options(
        REACTIONS,
        headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    # a publisher's page may send its own reader id (engage.js data-reader)
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Engagement-Reader"
    foreign = client.options(VIEWS, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    refused = view(client, SLUG, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    limited_origin = client.post(
        REACTIONS, json={"reaction": "x"}, headers={"Origin": "https://partner.example"}
    )
    assert limited_origin.status_code == 400
    assert limited_origin.headers["Access-Control-Allow-Origin"] == "https://partner.example"


def test_untrusted_host_is_refused(app_factory: Callable[..., Flask], redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_HOSTS="news.example")
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app)
    response = view(client, SLUG, headers={"Host": "evil.example"})
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    assert view(client, SLUG, headers={"Host": "news.example"}).status_code == 202


def test_redis_outage_is_a_503_then_recovers(
    app_factory: Callable[..., Flask], own_redis: RedisServer
) -> None:
    app = app_factory(own_redis.url)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert view(reader_client(app), SLUG).status_code == 202
    own_redis.stop()
    for address in ("198.51.100.2", "198.51.100.3"):
        response = view(reader_client(app, address=address), SLUG)
        assert response.status_code == 503
        assert response.json["error"]["code"] == "counters_unavailable"
        assert response.headers["Retry-After"] == "1"
        reaction = reader_client(app, address=address).post(REACTIONS, json={"reaction": "sad"})
        assert reaction.status_code == 503
    own_redis.start()
    time.sleep(1.1)  # the circuit breaker's pause
    response = view(reader_client(app, address="198.51.100.4"), SLUG)
    assert response.status_code == 202 and response.json["counted"] is True


def test_request_metrics_count_reader_events(demo: Flask) -> None:
    from engagement.metrics import REQUESTS

    def count() -> float:
        return REQUESTS.labels("api.post_view", "POST", "202")._value.get()

    before = count()
    view(reader_client(demo, address="198.51.100.50"), SLUG)
    assert count() == before + 1


def test_the_flusher_starts_with_a_reader_event(
    app_factory: Callable[..., Flask], redis_server: RedisServer
) -> None:
    app = app_factory(redis_server.url, TESTING=False, ENGAGEMENT_FLUSH_INTERVAL=3600)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    starter = app.wsgi_app
    threads = getattr(starter, "threads", [])
    assert threads and threads[0].thread is None
    view(reader_client(app), SLUG)
    assert threads[0].thread is not None and threads[0].thread.is_alive()
    threads[0].stop(timeout=5)


def test_status_lines_and_head(demo: Flask) -> None:
    client = reader_client(demo)
    assert view(client, SLUG).status == "202 Accepted"
    refused = view(client, SLUG, headers={"Origin": "https://evil.example"})
    assert refused.status == "403 Forbidden"
    head = client.head(VIEWS)
    assert head.status_code == 405 and head.get_data() == b""
