"""Attention on the ingest path: page views, pings, the caps, forged pings,
traffic sources, recirculation and block clicks (HTTP, real Redis)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engagement.ingest import sources
from engagement.store import attention, keys
from tests.conftest import Clock
from tests.helpers import GOOGLEBOT, reader_client

SLUG = "kashi-orchard-cooperative"
OTHER = "urumqi-night-market"


def open_view(client: Any, slug: str = SLUG, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/articles/{slug}/views", json=body)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def ping(client: Any, page_view: str, slug: str = SLUG, **fields: Any) -> Any:
    return client.post(
        f"/api/v1/articles/{slug}/pings",
        data=__import__("json").dumps({"page_view": page_view, **fields}),
        content_type="text/plain",
    )


def score(redis_client: Any, metric: str, article_id: int) -> float:
    # All-time scores carry the publication fraction (ties): the count is the floor.
    return float(int(float(redis_client.zscore(keys.total_key(metric, "all"), article_id) or 0)))


def article_id(app: Flask, slug: str = SLUG) -> int:
    from engagement.store import refs

    with app.app_context():
        ref = refs.lookup(slug)
        assert ref is not None
        return ref.id


@pytest.fixture
def reader(demo: Flask, clock: Clock) -> Any:
    return reader_client(demo)


def test_a_view_opens_a_page_view_whose_pings_credit_engaged_time(
    demo: Flask, clock: Clock, reader: Any, redis_client: Any
) -> None:
    page_view = open_view(reader)["page_view"]
    assert isinstance(page_view, str) and len(page_view) >= 16
    clock.advance(12)
    response = ping(reader, page_view, seq=1, engaged=12, depth=0.4)
    assert response.status_code == 202
    assert response.get_json() == {"outcome": "ok", "credited": 12}
    clock.advance(12)
    assert ping(reader, page_view, seq=2, engaged=5.5).get_json()["credited"] == 5
    clock.advance(12)
    assert ping(reader, page_view, seq=3, engaged=0.5).get_json()["credited"] == 1
    assert score(redis_client, "engaged", article_id(demo)) == 18


def test_forged_pings_change_nothing_or_are_capped(
    demo: Flask, clock: Clock, reader: Any, redis_client: Any
) -> None:
    page_view = open_view(reader)["page_view"]
    # Never more than 30 s in one ping, though 100 s have passed.
    clock.advance(100)
    assert ping(reader, page_view, seq=1, engaged=100).get_json() == {
        "outcome": "capped",
        "credited": 30,
    }
    # A replay and an out-of-order ping change nothing.
    clock.advance(20)
    assert ping(reader, page_view, seq=1, engaged=20).get_json()["outcome"] == "stale"
    # An unknown page view, another article's, another reader's.
    assert ping(reader, "x" * 22, seq=9, engaged=5).get_json()["outcome"] == "unknown"
    assert ping(reader, page_view, OTHER, seq=9, engaged=5).get_json()["outcome"] == "unknown"
    stranger = reader_client(demo, address="203.0.113.9")
    assert ping(stranger, page_view, seq=9, engaged=5).get_json()["outcome"] == "unknown"
    assert score(redis_client, "engaged", article_id(demo)) == 30
    # More seconds than have passed (600 after 20): the page script never asks
    # that, so the page view is suspect and credits nothing from then on.
    assert ping(reader, page_view, seq=5, engaged=600).get_json() == {
        "outcome": "suspect",
        "credited": 0,
    }
    clock.advance(10)
    assert ping(reader, page_view, seq=6, engaged=10).get_json()["outcome"] == "suspect"
    assert score(redis_client, "engaged", article_id(demo)) == 30
    assert int(redis_client.hget(keys.stats_key(), "pings_suspect")) == 2
    # And a crawler's ping is nobody's.
    bot = reader_client(demo, agent=GOOGLEBOT)
    assert ping(bot, page_view, seq=10, engaged=5).get_json()["outcome"] == "bot"


def test_network_jitter_is_not_suspect(demo: Flask, clock: Clock, reader: Any) -> None:
    page_view = open_view(reader)["page_view"]
    clock.advance(15)
    # The previous request was slow: 8 s more than the server saw pass.
    assert ping(reader, page_view, seq=1, engaged=24).get_json() == {
        "outcome": "capped",
        "credited": 16,
    }


def test_a_page_view_collects_at_most_thirty_minutes(
    demo: Flask, clock: Clock, reader: Any, redis_client: Any
) -> None:
    page_view = open_view(reader)["page_view"]
    for seq in range(1, 80):
        clock.advance(30)
        ping(reader, page_view, seq=seq, engaged=30)
    assert score(redis_client, "engaged", article_id(demo)) == 1800


@pytest.mark.parametrize(
    "body, message",
    [
        ({"seq": 1}, "page_view"),
        ({"page_view": "short", "seq": 1}, "page_view"),
        ({"page_view": "a" * 22, "seq": 0}, "seq"),
        ({"page_view": "a" * 22, "seq": True}, "seq"),
        ({"page_view": "a" * 22, "seq": 1, "engaged": -1}, "engaged"),
        ({"page_view": "a" * 22, "seq": 1, "engaged": "5"}, "engaged"),
        ({"page_view": "a" * 22, "seq": 1, "depth": 1.5}, "depth"),
        ({"page_view": "a" * 22, "seq": 1, "hidden": "yes"}, "hidden"),
        ({"page_view": "a" * 22, "seq": 1, "seen": ["sidebar"]}, "seen"),
        ({"page_view": "a" * 22, "seq": 1, "seen": "related"}, "seen"),
    ],
)
def test_a_bad_ping_is_a_400_naming_the_field(
    reader: Any, body: dict[str, Any], message: str
) -> None:
    response = reader.post(f"/api/v1/articles/{SLUG}/pings", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_body" and message in error["message"]


def test_a_ping_that_is_not_json_is_a_400(reader: Any) -> None:
    response = reader.post(f"/api/v1/articles/{SLUG}/pings", data="{", content_type="text/plain")
    assert response.status_code == 400
    assert reader.post("/api/v1/articles/nope/pings", json={}).status_code == 404


def test_readers_now_come_and_go(demo: Flask, clock: Clock, reader: Any, redis_client: Any) -> None:
    first = open_view(reader)["page_view"]
    second = open_view(reader_client(demo, address="198.51.100.8"))["page_view"]
    with demo.app_context():
        from engagement.extensions import redis_store

        client = redis_store.client
        now = attention.readers_now(client, clock())
        assert now[article_id(demo)].readers == 2
        clock.advance(10)
        ping(reader, first, seq=1, engaged=10)
        now = attention.readers_now(client, clock())
        assert (now[article_id(demo)].readers, now[article_id(demo)].engaged) == (2, 1)
        # A hidden page leaves at once; a page that stops pinging after 30 s.
        ping(reader, first, seq=2, hidden=True)
        assert attention.readers_now(client, clock())[article_id(demo)].readers == 1
        clock.advance(31)
        assert attention.readers_now(client, clock()) == {}
        assert second


def test_depth_read_through_and_the_histogram(
    demo: Flask, clock: Clock, reader: Any, redis_client: Any
) -> None:
    page_view = open_view(reader)["page_view"]
    clock.advance(5)
    ping(reader, page_view, seq=1, depth=0.35)
    clock.advance(5)
    ping(reader, page_view, seq=2, depth=0.2)  # depth never goes back
    clock.advance(5)
    ping(reader, page_view, seq=3, depth=1)
    aid = article_id(demo)
    assert score(redis_client, "depth", aid) == 1000
    assert score(redis_client, "depthn", aid) == 1
    assert score(redis_client, "through", aid) == 1
    with demo.app_context():
        from engagement.extensions import redis_store

        days = attention.recent_days(clock(), 1)
        numbers = attention.article_days(redis_store.client, aid, days)
    assert numbers.get("dep:3", 0) == 0 and numbers["dep:10"] == 1


def test_sources_recirculation_and_block_clicks(
    demo: Flask, clock: Clock, reader: Any, redis_client: Any
) -> None:
    first = open_view(reader, referrer="https://www.baidu.com/s?wd=%E6%96%B0%E7%96%86")
    clock.advance(40)
    second = open_view(
        reader,
        OTHER,
        referrer=f"http://localhost/articles/{SLUG}",
        prev=first["page_view"],
        via="related:2",
    )
    assert second["counted"]
    aid, other = article_id(demo), article_id(demo, OTHER)
    assert score(redis_client, "src_search", aid) == 1
    assert score(redis_client, "src_internal", other) == 1
    assert score(redis_client, "recirc", aid) == 1
    # The same previous page view recirculates once.
    open_view(reader, "kanas-winter-tourism", prev=first["page_view"], via="related:3")
    assert score(redis_client, "recirc", aid) == 1
    hour = int(clock() // 3600)
    stats = redis_client.hgetall(keys.stats_key(hour))
    assert stats["b:related:2:c"] == "1" and stats["b:related:c"] == "1"
    assert "b:related:3:c" not in stats
    assert stats["host:www.baidu.com"] == "1"


@pytest.mark.parametrize(
    "referrer, utm, agent, expected",
    [
        ("https://www.baidu.com/link?url=x", "", "", "search"),
        ("https://m.sm.cn/s?q=1", "", "", "search"),
        ("https://www.google.com.hk/", "", "", "search"),
        ("https://cn.bing.com/search?q=x", "", "", "search"),
        ("https://mp.weixin.qq.com/s/abc", "", "", "social"),
        ("https://weibo.com/123", "", "", "social"),
        ("http://t.cn/AbC", "", "", "social"),
        ("https://www.zhihu.com/question/1", "", "", "social"),
        ("https://tieba.baidu.com/p/1", "", "", "social"),
        ("https://m.toutiao.com/i1/", "", "", "aggregator"),
        ("https://news.google.com/", "", "", "aggregator"),
        ("https://example.org/page", "", "", "external"),
        ("https://news.example.com/a", "", "", "internal"),
        ("", "", "", "direct"),
        ("", "", "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47", "social"),
        ("", "wechat", "", "social"),
        ("https://example.org/", "toutiao", "", "aggregator"),
        ("javascript:alert(1)", "", "", "direct"),
    ],
)
def test_traffic_sources(referrer: str, utm: str, agent: str, expected: str) -> None:
    kind, host = sources.classify(referrer, utm, "", frozenset({"news.example.com"}), agent)
    assert kind == expected
    assert "/" not in host and "?" not in host


def test_operators_see_attention(operator: Flask, admin: Any, clock: Clock) -> None:
    reader = reader_client(operator)
    page_view = open_view(reader, referrer="https://mp.weixin.qq.com/s/x")["page_view"]
    clock.advance(12)
    ping(reader, page_view, seq=1, engaged=12, depth=0.5, seen=["related", "related:1"])
    open_view(reader, OTHER, prev=page_view, via="related:1")
    blocks = admin.get("/admin/blocks.json?window=24h").get_json()["blocks"]
    assert [b["block"] for b in blocks] == list(keys.BLOCKS)
    related = blocks[0]
    assert (related["impressions"], related["clicks"], related["ctr"]) == (1, 1, 1.0)
    assert related["slots"] == [{"position": 1, "impressions": 1, "clicks": 1, "ctr": 1.0}]
    assert admin.get("/admin/blocks.json?window=1y").status_code == 400
    now = admin.get("/admin/realtime.json").get_json()
    assert now["readers_now"] == 2 and now["engaged_now"] == 1
    assert set(now) >= {"generated_at", "readers_now", "engaged_now", "articles"}
    assert admin.get("/admin/realtime.json?category=nope").status_code == 400
    row = next(
        r
        for r in admin.get("/admin/stats.json?window=all").get_json()["articles"]
        if r["slug"] == SLUG
    )
    assert row["engaged_seconds"] == 12 and row["avg_engaged_seconds"] == 12.0
    assert row["scroll_depth"] == 0.5 and row["read_through"] == 0.0
    assert row["recirculation"] == 1.0 and row["sources"]["social"] == 1
    html = admin.get("/admin/").get_data(as_text=True)
    assert "此刻在读" in html and "流量来源" in html and "相关文章" in html
    assert 'data-attention="engaged"' in html
    page = admin.get(f"/admin/articles/{SLUG}").get_data(as_text=True)
    assert "阅读深度分布" in page and "近30分钟每分钟在读" in page
    ranking = operator.test_client().get("/api/v1/rankings?metric=engaged&window=all").get_json()
    assert ranking["items"][0]["slug"] == SLUG and ranking["items"][0]["score"] == 12


def test_pings_are_counted_for_prometheus(demo: Flask, clock: Clock, reader: Any) -> None:
    page_view = open_view(reader)["page_view"]
    clock.advance(5)
    ping(reader, page_view, seq=1, engaged=5)
    ping(reader, page_view, seq=1, engaged=5)
    demo.config["ENGAGEMENT_METRICS_TOKEN"] = "t"
    text = demo.test_client().get("/metrics", headers={"Authorization": "Bearer t"}).text
    assert 'engagement_pings_total{result="ok"}' in text
    assert 'engagement_pings_total{result="stale"}' in text
    assert 'engagement_readers_now{kind="all"} 1.0' in text


def test_a_reset_clears_the_articles_attention_too(
    demo: Flask, clock: Clock, reader: Any, redis_client: Any
) -> None:
    page_view = open_view(reader, referrer="https://www.baidu.com/")["page_view"]
    clock.advance(10)
    ping(reader, page_view, seq=1, engaged=10, depth=1)
    aid = article_id(demo)
    assert score(redis_client, "engaged", aid) == 10 and score(redis_client, "through", aid) == 1
    with demo.app_context():
        from engagement.extensions import redis_store
        from engagement.store import counters, refs

        ref = refs.lookup(SLUG)
        assert ref is not None
        counters.reset_article(redis_store.client, ref, clock())
        days = attention.recent_days(clock(), 1)
        assert attention.article_days(redis_store.client, aid, days) == {}
    for metric in ("engaged", "depth", "depthn", "through", "src_search"):
        assert score(redis_client, metric, aid) == 0, metric
