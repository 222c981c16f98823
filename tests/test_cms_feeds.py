"""Feeds and sitemaps from a publisher's server on its own port (tests/conftest.py Publisher)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from engagement.extensions import db
from engagement.models import Article, Feed

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>天山日报</title><link>{origin}/</link>
<item><title>乌鲁木齐地铁二号线开通</title><link>{origin}/news/metro.html</link>
  <description><![CDATA[<p>乌鲁木齐地铁二号线今日开通运营，<b>全长</b>二十公里。</p>]]></description>
  <category>城市</category><pubDate>Mon, 30 Nov 2026 08:00:00 +0800</pubDate>
  <guid>{origin}/news/metro.html</guid></item>
<item><title>吐鲁番葡萄丰收</title><link>{origin}/news/grapes.html</link>
  <description>吐鲁番葡萄迎来丰收季，果农忙着采摘晾晒。</description>
  <pubDate>Sun, 29 Nov 2026 10:00:00 +0800</pubDate></item>
<item><description>这一条没有标题也没有链接。</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>天山日报 Atom</title><id>urn:x</id>
<updated>2026-11-30T00:00:00Z</updated>
<entry><title>阿勒泰迎来首场降雪</title><id>urn:snow</id>
  <link rel="alternate" href="{origin}/news/snow.html"/>
  <updated>2026-11-30T02:00:00Z</updated>
  <content type="html">&lt;p&gt;阿勒泰地区迎来今冬首场降雪，滑雪场开板。&lt;/p&gt;</content>
  <category term="天气"/></entry>
</feed>"""

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{title} - 天山日报</title>
<link rel="canonical" href="{origin}/news/{slug}.html">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{summary}">
<meta property="article:section" content="经济">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "{title}", "datePublished": "2026-11-28T09:00:00+08:00",
 "articleBody": "{body}", "author": {{"@type": "Person", "name": "李明"}}}}</script>
</head><body><article><h1>{title}</h1><p>{body}</p></article></body></html>"""


def cli(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_a_feed_is_imported_with_conditional_get(app: Flask, publisher) -> None:
    origin = publisher.origin
    url = publisher.put("/rss.xml", RSS.format(origin=origin), "application/rss+xml", ETag='"v1"')
    assert cli(app, "add-site", "天山日报", "--origin", origin, "--feed", url).exit_code == 0

    first = cli(app, "poll-feeds")
    assert first.exit_code == 0, first.output
    assert "新增 2" in first.output and "出错 1" in first.output
    assert "条目 3" in first.output  # the broken item is reported and skipped
    with app.app_context():
        metro = db.session.scalar(
            sa.select(Article).where(Article.url == f"{origin}/news/metro.html")
        )
        assert metro is not None and metro.title == "乌鲁木齐地铁二号线开通"
        assert metro.category.name == "城市" and metro.source == "天山日报"
        grapes = db.session.scalar(sa.select(Article).where(Article.title == "吐鲁番葡萄丰收"))
        assert grapes is not None and grapes.category.name == "新闻"  # the site's default
        feed = db.session.scalar(sa.select(Feed))
        assert feed is not None and feed.etag == '"v1"' and feed.error and "条目 3" in feed.error

    second = cli(app, "poll-feeds")
    assert second.exit_code == 0 and "未更新（304）" in second.output
    assert publisher.requests[-1][1].get("If-None-Match") == '"v1"'
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 2


def test_an_atom_feed_and_a_changed_item(app: Flask, publisher) -> None:
    origin = publisher.origin
    url = publisher.put("/atom.xml", ATOM.format(origin=origin), "application/atom+xml")
    assert cli(app, "add-site", "tianshan", "--origin", origin, "--feed", url).exit_code == 0
    assert cli(app, "poll-feeds").exit_code == 0
    publisher.put(
        "/atom.xml",
        ATOM.format(origin=origin).replace("首场降雪", "首场大雪"),
        "application/atom+xml",
    )
    again = cli(app, "poll-feeds")
    assert "更新 1" in again.output, again.output
    with app.app_context():
        snow = db.session.scalar(
            sa.select(Article).where(Article.url == f"{origin}/news/snow.html")
        )
        assert snow is not None and snow.title == "阿勒泰迎来首场大雪"
        assert snow.category.name == "天气" and "滑雪场" in snow.body_html
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1


def test_a_broken_feed_is_reported_and_retried_later(app: Flask, publisher) -> None:
    origin = publisher.origin
    broken = publisher.put("/broken.xml", "<html><body>维护中</body>", "text/html")
    gone = origin + "/missing.xml"
    args = ["add-site", "cms", "--origin", origin, "--feed", broken, "--feed", gone]
    assert cli(app, *args).exit_code == 0
    result = cli(app, "poll-feeds")
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "不是可读的 RSS/Atom" in result.output
    with app.app_context():
        feeds = db.session.scalars(sa.select(Feed).order_by(Feed.id)).all()
        for feed in feeds:
            assert feed.failures == 1 and feed.error
            assert feed.polled_at is not None
            assert (feed.next_poll_at - feed.polled_at).total_seconds() == 600  # 300 × 2
    assert cli(app, "poll-feeds").exit_code == 1
    with app.app_context():
        feed = db.session.scalars(sa.select(Feed).order_by(Feed.id)).first()
        assert feed is not None and feed.failures == 2
        assert (feed.next_poll_at - feed.polled_at).total_seconds() == 1200


def test_a_feed_that_never_answers_in_time_is_a_reported_failure(app: Flask, publisher) -> None:
    from engagement.cms import fetch

    huge = publisher.put("/huge.xml", b"<rss>" + b" " * 200_000, "application/rss+xml")
    try:
        fetch.fetch(huge, max_bytes=100_000)
    except fetch.FetchError as exc:
        assert "上限" in str(exc)
    else:
        raise AssertionError("a body over the cap must be refused")


def test_only_one_process_claims_a_due_feed(app: Flask) -> None:
    from engagement.cms import feeds

    assert (
        cli(
            app,
            "add-site",
            "cms",
            "--origin",
            "https://cms.example",
            "--feed",
            "https://cms.example/rss",
        ).exit_code
        == 0
    )
    with app.app_context():
        feed = db.session.scalar(sa.select(Feed))
        assert feed is not None
        seen = feed.next_poll_at
        assert feeds.claim(feed.id, seen) is True
        assert feeds.claim(feed.id, seen) is False


def test_a_sitemap_backfills_articles_from_page_metadata(app: Flask, publisher) -> None:
    origin = publisher.origin
    for slug, title in (("cotton", "新疆棉花采收进入尾声"), ("rail", "和若铁路客流增长")):
        publisher.put(
            f"/news/{slug}.html",
            PAGE.format(
                origin=origin,
                slug=slug,
                title=title,
                summary=title + "。",
                body=title + "，记者从有关部门获悉最新进展。",
            ),
            "text/html; charset=utf-8",
        )
    part = publisher.put(
        "/sitemap-news.xml",
        f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc>{origin}/news/cotton.html</loc><lastmod>2026-11-28</lastmod></url>
        <url><loc>{origin}/news/rail.html</loc></url>
        <url><loc>{origin}/news/missing.html</loc></url></urlset>""",
        "application/xml",
    )
    index = publisher.put(
        "/sitemap.xml",
        f"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>{part}</loc></sitemap></sitemapindex>""",
        "application/xml",
    )
    assert (
        cli(
            app,
            "add-site",
            "tianshan",
            "--origin",
            origin,
            "--url-pattern",
            origin + "/news/{slug}.html",
        ).exit_code
        == 0
    )
    result = cli(app, "import-sitemap", index)
    assert result.exit_code == 1  # one page is missing, and said so
    assert "2 created" in result.output and "missing.html" in result.output
    with app.app_context():
        cotton = db.session.scalar(sa.select(Article).where(Article.slug == "cotton"))
        assert cotton is not None and cotton.title == "新疆棉花采收进入尾声"
        assert cotton.author == "李明" and cotton.category.name == "经济"
        assert cotton.published_at.isoformat() == "2026-11-28T01:00:00+00:00"
        assert cotton.url == f"{origin}/news/cotton.html" and "记者" in cotton.body_html


def test_a_sitemap_that_is_not_one_is_refused(app: Flask, publisher) -> None:
    origin = publisher.origin
    url = publisher.put(
        "/bomb.xml",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset>&a;</urlset>',
        "application/xml",
    )
    assert cli(app, "add-site", "cms", "--origin", origin).exit_code == 0
    result = cli(app, "import-sitemap", url)
    assert result.exit_code == 1 and "站点地图" in result.output
    unknown = cli(app, "import-sitemap", "https://elsewhere.example/sitemap.xml")
    assert unknown.exit_code == 1 and "--site" in unknown.output


def test_an_undated_item_keeps_the_date_it_was_first_seen(app: Flask, publisher) -> None:
    origin = publisher.origin
    rss = RSS.format(origin=origin).replace(
        "<pubDate>Sun, 29 Nov 2026 10:00:00 +0800</pubDate>", ""
    )
    url = publisher.put("/rss.xml", rss, "application/rss+xml")
    assert cli(app, "add-site", "cms", "--origin", origin, "--feed", url).exit_code == 0
    assert cli(app, "poll-feeds").exit_code == 0
    again = cli(app, "poll-feeds")
    assert "新增 0，更新 0，未变 2" in again.output, again.output


def test_the_background_poller_polls_due_feeds(app: Flask, publisher) -> None:
    import time

    from engagement.cms.feeds import FeedPoller

    origin = publisher.origin
    url = publisher.put("/rss.xml", RSS.format(origin=origin), "application/rss+xml")
    assert cli(app, "add-site", "cms", "--origin", origin, "--feed", url).exit_code == 0
    poller = FeedPoller(app, interval=1)
    poller.ensure_started()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with app.app_context():
                if db.session.scalar(sa.select(sa.func.count(Article.id))) == 2:
                    break
            time.sleep(0.2)
    finally:
        poller.stop()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 2
        feed = db.session.scalar(sa.select(Feed))
        assert feed is not None and feed.ok_at is not None and feed.failures == 0
