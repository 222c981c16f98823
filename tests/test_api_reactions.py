from __future__ import annotations

import json

import pytest
from flask import Flask

from engagement.moods import MOOD_KEYS
from tests.helpers import GOOGLEBOT, react, reader_client

SLUG = "kashi-orchard-cooperative"
URL = f"/api/v1/articles/{SLUG}/reactions"
ZERO = dict.fromkeys(MOOD_KEYS, 0)


def test_initial_state(demo: Flask) -> None:
    response = reader_client(demo).get(URL)
    assert response.status_code == 200
    assert response.json == {"article": SLUG, "counts": ZERO, "total": 0, "mine": None}
    assert "no-store" in response.headers["Cache-Control"]


def test_set_switch_repeat_and_undo(demo: Flask) -> None:
    client = reader_client(demo)
    first = react(client, SLUG, "smile")
    assert first.status_code == 200
    assert first.json == {
        "article": SLUG,
        "counts": {**ZERO, "smile": 1},
        "total": 1,
        "mine": "smile",
    }

    moved = react(client, SLUG, "angry")
    assert moved.json["counts"] == {**ZERO, "angry": 1}
    assert moved.json["mine"] == "angry" and moved.json["total"] == 1

    again = react(client, SLUG, "angry")
    assert again.json["counts"] == {**ZERO, "angry": 1}, "the same mood twice changes nothing"

    other = reader_client(demo, address="198.51.100.8")
    assert react(other, SLUG, "angry").json["counts"]["angry"] == 2
    assert client.get(URL).json["mine"] == "angry"

    undone = client.delete(URL)
    assert undone.status_code == 200
    assert undone.json == {
        "article": SLUG,
        "counts": {**ZERO, "angry": 1},
        "total": 1,
        "mine": None,
    }
    assert client.delete(URL).json["counts"]["angry"] == 1, "DELETE is idempotent"
    assert other.get(URL).json["mine"] == "angry"


def test_unknown_article(demo: Flask) -> None:
    client = reader_client(demo)
    for response in (
        client.get("/api/v1/articles/nope/reactions"),
        react(client, "nope", "smile"),
        client.delete("/api/v1/articles/nope/reactions"),
        client.post("/api/v1/articles/nope/views"),
    ):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "article_not_found"
        assert response.json["error"]["message"]


@pytest.mark.parametrize("mood", ["happy", "", None, 3, ["smile"], "SMILE"])
def test_unknown_reaction(demo: Flask, mood: object) -> None:
    response = reader_client(demo).post(URL, json={"reaction": mood})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unknown_reaction"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"smile"', "application/json"),
        ('{"reaction": "smile"}', "text/plain"),
        ("reaction=smile", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
)
def test_malformed_bodies(demo: Flask, body: str, content_type: str) -> None:
    response = reader_client(demo).post(URL, data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_body"


def test_body_over_16_kib(demo: Flask) -> None:
    client = reader_client(demo)
    big = json.dumps({"reaction": "smile", "pad": "x" * 17000})
    response = client.post(URL, data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    response = client.post(
        f"/api/v1/articles/{SLUG}/views", data=big, content_type="application/json"
    )
    assert response.status_code == 413
    assert client.get(URL).json["total"] == 0


def test_foreign_origin_is_refused(demo: Flask) -> None:
    client = reader_client(demo)
    response = client.post(
        URL, json={"reaction": "smile"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "origin_not_allowed"
    response = client.post(
        f"/api/v1/articles/{SLUG}/views", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    same = client.post(URL, json={"reaction": "smile"}, headers={"Origin": "http://localhost"})
    assert same.status_code == 200
    assert client.get(URL).json["total"] == 1


@pytest.mark.parametrize("origin", ["http://[::1", "http://[oops]:x", "\u00e9://"])
def test_malformed_origin_is_refused_not_an_error(demo: Flask, origin: str) -> None:
    client = reader_client(demo)
    for url, body in ((URL, {"reaction": "smile"}), (f"/api/v1/articles/{SLUG}/views", {})):
        response = client.post(url, json=body, headers={"Origin": origin})
        assert response.status_code == 403
        assert response.json["error"]["code"] == "origin_not_allowed"
    form = client.post(
        f"/articles/{SLUG}/reactions", data={"reaction": "smile"}, headers={"Origin": origin}
    )
    assert form.status_code == 403
    assert client.get(URL).json["total"] == 0


def test_allowed_origin_gets_cors(app_factory, redis_server, runner) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_ALLOWED_ORIGINS="https://partner.example")
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app)
    response = client.post(
        URL, json={"reaction": "sad"}, headers={"Origin": "https://partner.example"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    preflight = client.options(
        URL,
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_rate_limit_answers_429_with_retry_after(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_RATELIMIT_REACTIONS="3/minute")
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app, address="198.51.100.99")
    moods = ["smile", "sad", "envy"]
    assert [react(client, SLUG, m).status_code for m in moods] == [200, 200, 200]
    limited = client.delete(URL)
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get(URL).status_code == 200, "reading is not limited"
    other = reader_client(app, address="198.51.100.100")
    assert react(other, SLUG, "smile").status_code == 200, "limits are per client"


def test_the_limit_is_shared_by_the_api_and_the_form_and_has_several_windows(
    app_factory, redis_server
) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_RATELIMIT_REACTIONS="10/hour;2/minute")
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app, address="198.51.100.101")
    assert react(client, SLUG, "smile").status_code == 200
    form = client.post(
        f"/articles/{SLUG}/reactions",
        data={"reaction": "sad"},
        headers={"Origin": "http://localhost"},
    )
    assert form.status_code == 303
    refused = client.post(
        f"/articles/{SLUG}/reactions",
        data={"reaction": "envy"},
        headers={"Origin": "http://localhost"},
    )
    assert refused.status_code == 429, "the form path shares the API's limit"
    assert "text/html" in refused.headers["Content-Type"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60, "the minute window is the full one"
    assert client.get(URL).json["mine"] == "sad", "a refused change changes nothing"
    bot = reader_client(app, address="198.51.100.102", agent=GOOGLEBOT)
    assert [react(bot, SLUG, "smile").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.single_redis
def test_a_reaction_and_a_view_are_one_round_trip_each(demo: Flask, monkeypatch) -> None:
    """Limit, reaction, rankings: one script. Counted by the app's socket writes."""
    import threading

    from redis.connection import AbstractConnection

    sent: list[int] = []
    original = AbstractConnection.send_packed_command
    me = threading.get_ident()

    def counting(self, command, check_health=True):  # type: ignore[no-untyped-def]
        if threading.get_ident() == me:  # not the background refresher's
            sent.append(1)
        return original(self, command, check_health)

    client = reader_client(demo, address="198.51.100.103")
    react(client, SLUG, "smile")  # loads the scripts
    client.post(f"/api/v1/articles/{SLUG}/views", json={})
    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    for mood in ("sad", "envy", "envy"):
        before = len(sent)
        assert react(client, SLUG, mood).status_code == 200
        assert len(sent) - before == 1
    before = len(sent)
    assert client.delete(URL).status_code == 200
    assert len(sent) - before == 1
    reader = reader_client(demo, address="198.51.100.104")
    before = len(sent)
    assert reader.post(f"/api/v1/articles/{SLUG}/views", json={}).status_code == 202
    assert len(sent) - before == 1


def test_bot_reactions_change_nothing(demo: Flask, redis_client) -> None:
    bot = reader_client(demo, agent=GOOGLEBOT)
    response = react(bot, SLUG, "smile")
    assert response.status_code == 200
    assert response.json["total"] == 0 and response.json["mine"] is None
    from engagement.store.keys import stats_key

    assert redis_client.hget(stats_key(), "reactions_bot") == "1"


def test_openapi_document(demo: Flask) -> None:
    response = demo.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/articles/{slug}/reactions",
        "/articles/{slug}/views",
        "/articles/{slug}/pings",
        "/articles/{slug}/related",
        "/rankings",
        "/articles/{slug}",
        "/lookup",
    }
    assert doc["components"]["schemas"]["Mood"]["enum"] == list(MOOD_KEYS)


def test_unknown_api_paths_are_json(demo: Flask) -> None:
    client = demo.test_client()
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    response = client.put(URL)
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
