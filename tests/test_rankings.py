"""Rankings against a real Redis with an injectable clock."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from flask import Flask

from engagement.extensions import redis_store
from engagement.rankings import core as rankings
from engagement.rankings.core import Ranking
from engagement.rankings.leaderboards import leaderboards
from engagement.store import keys
from engagement.store.refs import lookup
from engagement.store.scripts import scripts
from tests.conftest import Clock
from tests.helpers import react, reader_client, view

# 2030-01-01T00:15:60Z: inside (not at the start of) every bucket size we use, and
# in the future, because bucket expiry (EXPIREAT) follows Redis's real clock.
T0 = 1_893_456_000.0 + 60 + 900


@pytest.fixture
def site(app_factory, redis_server, tmp_path: Path):
    clock = Clock(T0)
    app = app_factory(
        redis_server.url,
        ENGAGEMENT_RANKING_MAX_AGE=0,
        ENGAGEMENT_CLOCK=clock,
        ENGAGEMENT_RANKING_REFRESHER=False,
    )
    lines = []
    spec = [
        ("a", "头条", ["国家援疆"], "2026-11-20T08:00:00+00:00"),
        ("b", "头条", ["国家援疆"], "2026-11-21T08:00:00+00:00"),
        ("c", "教育", ["国家援疆"], "2026-11-22T08:00:00+00:00"),
        ("d", "体育", [], "2026-11-23T08:00:00+00:00"),
    ]
    for slug, category, crumbs, published in spec:
        lines.append(
            json.dumps(
                {
                    "slug": slug,
                    "title": f"Article {slug}",
                    "body": "text",
                    "category": category,
                    "breadcrumb": crumbs,
                    "published_at": published,
                },
                ensure_ascii=False,
            )
        )
    path = tmp_path / "site.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert app.test_cli_runner().invoke(args=["import-articles", str(path)]).exit_code == 0
    return app, clock


counter = iter(range(1, 10**6))


def views_at(app: Flask, clock: Clock, slug: str, when: float, n: int = 1) -> None:
    saved = clock.now
    clock.now = when
    for _ in range(n):
        client = reader_client(app, address=f"198.51.100.{next(counter) % 250}")
        client.environ_base["HTTP_USER_AGENT"] += f" n{next(counter)}"
        assert view(client, slug).json["counted"] is True
    clock.now = saved


def ranking(app: Flask, **params: str) -> dict:
    with app.app_context():
        r = Ranking(params.get("window", "24h"), params.get("metric", "views"), "all")
        if params.get("category"):
            r = Ranking(r.window, r.metric, leaderboards().scope_for(params["category"]) or "")
        rankings.build(redis_store.client, r, app.config["ENGAGEMENT_CLOCK"]())
    response = app.test_client().get("/api/v1/rankings", query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def scores(payload: dict) -> dict[str, float]:
    return {item["slug"]: item["score"] for item in payload["items"]}


@pytest.mark.parametrize(
    ("window", "grain", "count"),
    [("1h", 120, 30), ("24h", 3600, 24), ("7d", 21600, 28), ("30d", 86400, 30)],
)
def test_window_edges_are_exact(site, window: str, grain: int, count: int) -> None:
    app, clock = site
    current = int(T0 // grain)
    first_inside = (current - count + 1) * grain
    views_at(app, clock, "a", first_inside)  # just inside
    views_at(app, clock, "b", first_inside - 1)  # just outside
    views_at(app, clock, "c", T0)  # now
    got = scores(ranking(app, window=window))
    assert got == {"a": 1, "c": 1}
    # One grain later the oldest bucket has slid out.
    clock.now = T0 + grain
    assert scores(ranking(app, window=window)) == {"c": 1}


def test_all_time_is_live(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0 - 90 * 86400, 2)
    views_at(app, clock, "b", T0)
    payload = app.test_client().get("/api/v1/rankings?window=all").json
    assert scores(payload) == {"a": 2, "b": 1}
    assert [i["rank"] for i in payload["items"]] == [1, 2]


def test_per_category_and_parents(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0, 3)
    views_at(app, clock, "c", T0, 2)
    views_at(app, clock, "d", T0, 5)
    assert scores(ranking(app, category="头条")) == {"a": 3}
    assert scores(ranking(app, category="国家援疆")) == {"a": 3, "c": 2}
    assert scores(ranking(app)) == {"d": 5, "a": 3, "c": 2}
    payload = ranking(app, category="头条")
    assert payload["category"] == "头条"


def test_per_mood_and_reactions(site) -> None:
    app, clock = site
    for i, (slug, mood) in enumerate(
        [("a", "angry"), ("a", "angry"), ("b", "angry"), ("b", "smile"), ("c", "smile")]
    ):
        assert react(reader_client(app, address=f"198.51.100.{i}"), slug, mood).status_code == 200
    assert scores(ranking(app, metric="angry")) == {"a": 2, "b": 1}
    assert scores(ranking(app, metric="smile")) == {"c": 1, "b": 1}
    assert scores(ranking(app, metric="reactions")) == {"a": 2, "b": 2, "c": 1}
    # Switching moves the reaction out of the old mood's ranking.
    switch = reader_client(app, address="198.51.100.0")
    react(switch, "a", "tears")
    assert scores(ranking(app, metric="angry")) == {"a": 1, "b": 1}


def test_ties_break_by_most_recent_publication(site) -> None:
    app, clock = site
    for slug in ("a", "d", "b", "c"):
        views_at(app, clock, slug, T0, 2)
    for window in ("24h", "all"):
        payload = (
            ranking(app, window=window)
            if window != "all"
            else app.test_client().get("/api/v1/rankings?window=all").json
        )
        assert [i["slug"] for i in payload["items"]] == ["d", "c", "b", "a"], window
        assert all(i["score"] == 2 for i in payload["items"])


def test_hot_prefers_recent_attention_and_reactions(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0 - 20 * 3600, 10)  # many views, long ago
    views_at(app, clock, "b", T0, 4)  # fewer views, now
    views_at(app, clock, "c", T0 - 3600, 1)
    react(reader_client(app, address="198.51.100.77"), "c", "smile")  # a reaction = 5 views
    payload = ranking(app, metric="hot")
    assert [i["slug"] for i in payload["items"]] == ["c", "b", "a"]
    got = scores(payload)
    assert got["b"] == pytest.approx(4 * 2 ** (-(T0 - (T0 // 3600) * 3600) / 21600), abs=0.01)
    assert got["a"] < 1.5


def test_max_age_zero_is_fresh_on_the_very_next_read(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0, 3)
    client = app.test_client()
    assert scores(client.get("/api/v1/rankings").json) == {"a": 3}
    views_at(app, clock, "b", T0, 4)
    assert scores(client.get("/api/v1/rankings?window=1h").json) == {"b": 4, "a": 3}
    hot = client.get("/api/v1/rankings?window=1h&metric=hot").json
    assert [i["slug"] for i in hot["items"]] == ["b", "a"]


def test_concurrent_upkeep_subtracts_each_bucket_once(site, monkeypatch) -> None:
    app, clock = site
    monkeypatch.setattr(keys, "WINDOW_SLICE", 1)
    for i, slug in enumerate("abcd"):
        views_at(app, clock, slug, T0, i + 1)
    views_at(app, clock, "a", T0 + 1800)
    later = T0 + 3600  # the T0 two-minute bucket has left the 1h window
    barrier = threading.Barrier(8)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            rankings.build(redis_store.client, None, later)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    clock.now = later
    assert scores(ranking(app, window="1h")) == {"a": 1}
    assert scores(ranking(app, window="24h")) == {"a": 2, "b": 2, "c": 3, "d": 4}


def test_changes_to_a_bucket_that_left_its_window_wait_for_its_subtraction(
    site, monkeypatch
) -> None:
    app, clock = site
    monkeypatch.setattr(keys, "WINDOW_SLICE", 1)
    readers = {s: reader_client(app, address=f"198.51.100.{20 + i}") for i, s in enumerate("abcd")}
    for slug, client in readers.items():
        assert react(client, slug, "angry").status_code == 200
    clock.now = T0 + 3600
    with app.app_context():
        upkeep = scripts(redis_store.client).upkeep
        assert int(upkeep([keys.PREFIX, clock.now, 1])) == 1  # partly subtracted
    assert react(readers["a"], "a", "smile").json["mine"] == "smile"  # a switch
    assert readers["b"].delete("/api/v1/articles/b/reactions").status_code == 200  # an undo
    assert scores(ranking(app, window="1h", metric="angry")) == {}
    assert scores(ranking(app, window="1h", metric="smile")) == {"a": 1}
    assert scores(ranking(app, window="1h", metric="reactions")) == {"a": 1}
    assert scores(ranking(app, window="24h", metric="angry")) == {"c": 1, "d": 1}
    assert scores(ranking(app, window="24h", metric="reactions")) == {"a": 1, "c": 1, "d": 1}
    with app.app_context():  # the bucket got the held-back changes once subtracted
        old = keys.bucket_key("angry", "all", "m2", int(T0 // 120))
        held = {int(member) for member in redis_store.client.zrange(old, 0, -1)}
        assert held == {ref.id for ref in map(lookup, "cd") if ref is not None}


def test_hot_keeps_its_order_and_scores_through_rescales(site, monkeypatch) -> None:
    app, clock = site
    monkeypatch.setattr(keys, "WINDOW_SLICE", 1)
    for step in range(70):  # the 1h window's weights reach 2^256 after 64 hours
        now = T0 + step * 3600
        views_at(app, clock, "b", now - 600)
        views_at(app, clock, "a", now, 2)
        views_at(app, clock, "c", now - 1800)
        clock.now = now
        got = scores(ranking(app, window="1h", metric="hot"))
        start = (now // 120) * 120
        assert got["a"] == pytest.approx(2 * 2 ** (-(now - start) / 900), abs=0.002)
        assert got["b"] == pytest.approx(2 ** (-(now - start + 600) / 900), abs=0.002)
        assert list(got) == sorted(got, key=lambda slug: -got[slug])
        if step == 60:
            with app.app_context():
                assert redis_store.client.hget(keys.window_state_key(), "E:1h") == "0"
    with app.app_context():
        state = redis_store.client.hgetall(keys.window_state_key())
    assert int(state["E:1h"]) >= 1 and "C:1h" not in state


def test_windows_left_alone_longer_than_their_buckets_live_are_rebuilt(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0 - 40 * 86400, 3)  # then nobody kept the windows up
    views_at(app, clock, "b", T0 - 20 * 86400, 2)
    views_at(app, clock, "c", T0 - 3 * 86400)
    views_at(app, clock, "d", T0, 4)
    assert scores(ranking(app, window="1h")) == {"d": 4}
    assert scores(ranking(app, window="7d")) == {"d": 4, "c": 1}
    assert scores(ranking(app, window="30d")) == {"d": 4, "b": 2, "c": 1}
    hot = ranking(app, window="all", metric="hot")
    assert [i["slug"] for i in hot["items"]] == ["d", "c", "b"]


def test_buckets_expire(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0)
    with app.app_context():
        client = redis_store.client
        for key in client.scan_iter("eng:{rk}:views:all:*"):
            if key.endswith(":total"):
                assert client.ttl(key) == -1
            else:
                assert client.ttl(key) > 0, key


def test_etag_and_304(site) -> None:
    app, clock = site
    views_at(app, clock, "a", T0)
    first_payload = ranking(app)
    client = app.test_client()
    first = client.get("/api/v1/rankings")
    assert first.json == first_payload
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get("/api/v1/rankings", headers={"If-None-Match": etag})
    assert again.status_code == 304
    views_at(app, clock, "b", T0)
    ranking(app)
    changed = client.get("/api/v1/rankings", headers={"If-None-Match": etag})
    assert changed.status_code == 200


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("window=2d", "invalid_window"),
        ("window=", "invalid_window"),
        ("metric=likes", "invalid_metric"),
        ("limit=0", "invalid_limit"),
        ("limit=51", "invalid_limit"),
        ("limit=ten", "invalid_limit"),
        ("limit=-3", "invalid_limit"),
        ("category=nope", "unknown_category"),
    ],
)
def test_bad_parameters(site, query: str, code: str) -> None:
    app, _ = site
    response = app.test_client().get(f"/api/v1/rankings?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == code


def test_limit_and_shape(site) -> None:
    app, clock = site
    for i, slug in enumerate("abcd"):
        views_at(app, clock, slug, T0, i + 1)
    payload = ranking(app, limit="2")
    assert set(payload) == {"window", "metric", "category", "generated_at", "items"}
    assert payload["window"] == "24h" and payload["metric"] == "views"
    assert payload["generated_at"].endswith("Z")
    assert [i["slug"] for i in payload["items"]] == ["d", "c"]
    item = payload["items"][0]
    assert set(item) == {"rank", "slug", "title", "url", "score", "published_at"}
    assert item["url"] == "http://localhost/articles/d"


def test_sidebar_shows_the_rankings(site) -> None:
    app, clock = site
    views_at(app, clock, "c", T0, 2)
    views_at(app, clock, "a", T0)
    react(reader_client(app, address="198.51.100.9"), "b", "angry")
    for window, metric in [("24h", "views"), ("7d", "views"), ("30d", "views"), ("24h", "angry")]:
        ranking(app, window=window, metric=metric)
    html = app.test_client().get("/articles/d").get_data(as_text=True)
    panel = html[html.index('id="rank-24h"') : html.index('id="rank-7d"')]
    assert panel.index("Article c") < panel.index("Article a")
    angry = html[html.index('id="mood-rank-angry"') :]
    assert "Article b" in angry[: angry.index("</div>")]
    assert "最多愤怒" in html
