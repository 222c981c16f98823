"""A site with its own CMS: registered origins, the article API, feeds and sitemaps."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from engagement.extensions import db
from engagement.models import Article, Feed
from tests.helpers import BROWSER_HEADERS, reader_client

CMS = "http://cms.example"
ARTICLE = {
    "title": "喀什古城迎来旅游旺季",
    "body": "<p>喀什古城游客数量创新高，<script>alert(1)</script>街巷热闹。</p>",
    "category": "旅游",
    "published_at": "2026-11-30T08:00:00+08:00",
}


def add_site(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["add-site", *args])
    assert result.exit_code == 0, result.output
    return result.output


def new_token(app: Flask, site: str = "cms") -> str:
    result = app.test_cli_runner().invoke(args=["create-token", site])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def put(client, slug: str, token: str | None, body: object):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.put(f"/api/v1/articles/{slug}", json=body, headers=headers)


def view_from(client, slug: str, origin: str):
    return client.post(
        f"/api/v1/articles/{slug}/views",
        json={},
        headers={"Origin": origin, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"},
        environ_base={**client.environ_base, **BROWSER_HEADERS},
    )


def test_a_foreign_origin_is_refused_until_its_site_is_registered(demo: Flask) -> None:
    client = reader_client(demo)
    slug = "kashi-orchard-cooperative"
    refused = view_from(client, slug, CMS)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "origin_not_allowed"

    add_site(demo, "cms", "--origin", CMS + "/")
    counted = view_from(client, slug, CMS)
    assert counted.status_code == 202, counted.json
    assert counted.headers["Access-Control-Allow-Origin"] == CMS
    assert view_from(client, slug, "http://other.example").status_code == 403


def test_add_site_refuses_bad_input(app: Flask) -> None:
    runner = app.test_cli_runner()
    for args in (
        ["add-site", "x", "--origin", "ftp://cms.example"],
        ["add-site", "x", "--origin", "https://cms.example/path"],
        ["add-site", "x", "--origin", CMS, "--url-pattern", "https://cms.example/a/"],
        ["add-site", "x", "--origin", CMS, "--feed", "not a url"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "Error" in result.output, result.output


def test_the_article_api_needs_a_live_token(app: Flask) -> None:
    add_site(app, "cms", "--origin", CMS, "--url-pattern", CMS + "/news/{slug}.html")
    token = new_token(app)
    assert token.startswith("eng_") and len(token) > 40
    client = app.test_client()

    missing = put(client, "a1", None, ARTICLE)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "missing_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = put(client, "a1", token + "x", ARTICLE)
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_token"

    created = put(client, "a1", token, ARTICLE)
    assert created.status_code == 201, created.json
    assert created.json["url"] == CMS + "/news/a1.html" and created.json["created"] is True
    updated = put(client, "a1", token, {**ARTICLE, "title": "新标题"})
    assert updated.status_code == 200 and updated.json["created"] is False
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "a1"))
        assert article is not None and article.title == "新标题"
        assert "<script>" not in article.body_html and article.site is not None
        stored = [t.digest for t in article.site.tokens]
        assert token not in stored  # only its hash is kept

    removed = client.delete("/api/v1/articles/a1", headers={"Authorization": f"Bearer {token}"})
    assert removed.status_code == 204
    again = client.delete("/api/v1/articles/a1", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 404 and again.json["error"]["code"] == "article_not_found"


def test_the_article_api_explains_bad_fields(app: Flask) -> None:
    add_site(app, "cms", "--origin", CMS)
    token = new_token(app)
    client = app.test_client()
    cases = [
        ({**ARTICLE, "published_at": "yesterday"}, "published_at"),
        ({k: v for k, v in ARTICLE.items() if k != "title"}, "title"),
        ({**ARTICLE, "url": "javascript:alert(1)"}, "url"),
        ({**ARTICLE, "slug": "another"}, "slug"),
        (["not", "an", "object"], "object"),
    ]
    for body, word in cases:
        response = put(client, "a1", token, body)
        assert response.status_code == 400, (body, response.json)
        assert word in response.json["error"]["message"], response.json
    bad_slug = put(client, "a%20b", token, ARTICLE)
    assert bad_slug.status_code == 400 and bad_slug.json["error"]["code"] == "invalid_slug"
    text = client.put("/api/v1/articles/a1", data="x", headers={"Authorization": f"Bearer {token}"})
    assert text.status_code == 400 and text.json["error"]["code"] == "invalid_body"


def test_a_site_cannot_write_another_sites_or_our_own_articles(demo: Flask) -> None:
    add_site(demo, "one", "--origin", "https://one.example")
    add_site(demo, "two", "--origin", "https://two.example")
    one, two = new_token(demo, "one"), new_token(demo, "two")
    client = demo.test_client()
    assert put(client, "shared", one, ARTICLE).status_code == 201
    taken = put(client, "shared", two, ARTICLE)
    assert taken.status_code == 409 and taken.json["error"]["code"] == "slug_taken"
    ours = put(client, "kashi-orchard-cooperative", one, ARTICLE)
    assert ours.status_code == 409
    deleted = client.delete("/api/v1/articles/shared", headers={"Authorization": f"Bearer {two}"})
    assert deleted.status_code == 409


def test_a_revoked_token_is_refused(app: Flask) -> None:
    from engagement.cms import sites

    add_site(app, "cms", "--origin", CMS)
    token = new_token(app)
    with app.app_context():
        site = sites.by_name("cms")
        assert site is not None
        sites.revoke_token(site.tokens[0])
        db.session.commit()
    response = put(app.test_client(), "a1", token, ARTICLE)
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


def test_lookup_finds_an_article_by_its_canonical_url_or_the_sites_pattern(app: Flask) -> None:
    add_site(app, "cms", "--origin", CMS, "--url-pattern", CMS + "/news/{slug}.html")
    token = new_token(app)
    client = app.test_client()
    body = {**ARTICLE, "url": "https://www.cms.example/2026/11/kashi.html?id=7"}
    assert put(client, "kashi", token, body).status_code == 201
    assert put(client, "by-pattern", token, ARTICLE).status_code == 201

    # http or https, tracking parameters and a trailing slash do not matter
    found = client.get(
        "/api/v1/lookup",
        query_string={"url": "http://WWW.cms.example/2026/11/kashi.html/?utm_source=x&id=7"},
    )
    assert found.status_code == 200 and found.json["slug"] == "kashi"
    assert found.headers["Access-Control-Allow-Origin"] == "*"
    pattern = client.get("/api/v1/lookup", query_string={"url": CMS + "/news/by-pattern.html"})
    assert pattern.json["slug"] == "by-pattern"
    by_slug = client.get("/api/v1/lookup?slug=kashi")
    assert by_slug.json["url"] == body["url"]
    tried = client.get(
        "/api/v1/lookup", query_string=[("url", CMS + "/unknown"), ("url", body["url"])]
    )
    assert tried.json["slug"] == "kashi"
    assert client.get("/api/v1/lookup?url=" + CMS + "/nothing").status_code == 404
    assert client.get("/api/v1/lookup?url=javascript:x").status_code == 400
    assert client.get("/api/v1/lookup").status_code == 400


def test_publisher_articles_link_to_their_own_urls(app: Flask) -> None:
    add_site(app, "cms", "--origin", CMS, "--url-pattern", CMS + "/news/{slug}.html")
    token = new_token(app)
    client = app.test_client()
    assert put(client, "kashi", token, ARTICLE).status_code == 201
    reader = reader_client(app)
    assert view_from(reader, "kashi", CMS).status_code == 202
    items = client.get("/api/v1/rankings?window=24h").json["items"]
    assert [i["url"] for i in items] == [CMS + "/news/kashi.html"]
    widget = client.get("/widgets/rankings?window=24h").get_data(as_text=True)
    assert CMS + "/news/kashi.html" in widget
    page = client.get("/articles/kashi")
    assert page.status_code == 302 and page.headers["Location"] == CMS + "/news/kashi.html"


def test_unchanged_items_are_not_written_again(app: Flask) -> None:
    add_site(app, "cms", "--origin", CMS)
    token = new_token(app)
    client = app.test_client()
    assert put(client, "a1", token, ARTICLE).status_code == 201
    with app.app_context():
        before = db.session.scalar(sa.select(Article.updated_at).where(Article.slug == "a1"))
    assert put(client, "a1", token, ARTICLE).status_code == 200
    with app.app_context():
        after = db.session.scalar(sa.select(Article.updated_at).where(Article.slug == "a1"))
    assert before == after


def test_feeds_table_knows_when_to_poll(app: Flask) -> None:
    add_site(app, "cms", "--origin", CMS, "--feed", CMS + "/rss.xml")
    with app.app_context():
        feed = db.session.scalar(sa.select(Feed))
        assert feed is not None and feed.failures == 0
        assert feed.next_poll_at - feed.site.created_at < timedelta(seconds=5)


def test_operators_register_a_site_and_manage_its_tokens(admin, operator: Flask) -> None:
    from tests.conftest import token as csrf_token

    page = admin.get("/admin/sites")
    assert page.status_code == 200 and "登记站点" in page.get_data(as_text=True)
    csrf = csrf_token(admin, "/admin/sites")
    bad = admin.post(
        "/admin/sites", data={"csrf_token": csrf, "name": "cms", "origins": "not-an-origin"}
    )
    assert bad.status_code == 400 and "origin" in bad.get_data(as_text=True)
    saved = admin.post(
        "/admin/sites",
        data={
            "csrf_token": csrf,
            "name": "天山日报",
            "origins": "https://ts.example\nhttps://m.ts.example",
            "feeds": "https://ts.example/rss.xml",
            "url_pattern": "https://ts.example/a/{slug}.html",
        },
    )
    assert saved.status_code == 302
    listing = admin.get("/admin/sites").get_data(as_text=True)
    assert "https://m.ts.example" in listing and "https://ts.example/rss.xml" in listing
    assert "/widgets/engage.js" in listing

    with operator.app_context():
        from engagement.cms import sites

        site = sites.by_name("天山日报")
        assert site is not None
        site_id = site.id
    created = admin.post(f"/admin/sites/{site_id}/tokens", data={"csrf_token": csrf})
    assert created.status_code == 201 and "no-store" in created.headers["Cache-Control"]
    import re

    shown = re.search(r"data-token>(eng_[^<]+)<", created.get_data(as_text=True))
    assert shown is not None
    secret = shown[1]
    assert secret not in admin.get("/admin/sites").get_data(as_text=True)  # shown once
    client = operator.test_client()
    assert put(client, "t1", secret, ARTICLE).status_code == 201

    with operator.app_context():
        token_id = sites.by_name("天山日报").tokens[0].id  # type: ignore[union-attr]
    revoked = admin.post(
        f"/admin/sites/{site_id}/tokens/{token_id}/revoke", data={"csrf_token": csrf}
    )
    assert revoked.status_code == 302
    assert put(client, "t1", secret, ARTICLE).status_code == 401
    edited = admin.post(
        "/admin/sites",
        data={
            "csrf_token": csrf,
            "site_id": str(site_id),
            "name": "天山日报",
            "origins": "https://ts.example",
            "feeds": "",
            "url_pattern": "",
        },
    )
    assert edited.status_code == 302
    with operator.app_context():
        site = sites.by_name("天山日报")
        assert site is not None and site.origins == ["https://ts.example"]
        assert site.feeds == [] and site.url_pattern is None
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "创建 API 令牌" in audit and "吊销 API 令牌" in audit and "登记站点" in audit
    assert "修改站点" in audit


def test_add_site_again_keeps_what_it_is_not_told(app: Flask) -> None:
    from engagement.cms import sites

    add_site(app, "cms", "--origin", CMS, "--url-pattern", CMS + "/a/{slug}", "--feed", CMS + "/f")
    add_site(app, "cms", "--origin", CMS, "--origin", "https://m.cms.example")
    with app.app_context():
        site = sites.by_name("cms")
        assert site is not None and site.url_pattern == CMS + "/a/{slug}"
        assert site.origins == [CMS, "https://m.cms.example"] and len(site.feeds) == 1


def test_deleting_an_article_removes_what_was_stored_about_it(demo: Flask) -> None:
    from engagement.models import (
        ArticleStats,
        FeaturedLink,
        FeaturedTopic,
        ReaderReaction,
        RelatedArticle,
    )
    from tests.helpers import react

    add_site(demo, "cms", "--origin", CMS, "--url-pattern", CMS + "/news/{slug}.html")
    token = new_token(demo)
    client = demo.test_client()
    body = {**ARTICLE, "body": "喀什果园合作社试行冷链直发，杏子两天到上海。" * 5}
    assert put(client, "kashi-cms", token, body).status_code == 201
    reader = reader_client(demo)
    assert view_from(reader, "kashi-cms", CMS).status_code == 202
    assert react(reader, "kashi-cms", "smile").status_code == 200
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["flush-counters"]).exit_code == 0
    with demo.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "kashi-cms"))
        assert article is not None
        aid = article.id
        topic = db.session.scalar(sa.select(FeaturedTopic))
        assert topic is not None
        db.session.add(FeaturedLink(topic_id=topic.id, title="冷链", article_id=aid, position=9))
        db.session.commit()
        assert db.session.get(ArticleStats, aid) is not None
        assert db.session.scalar(sa.select(RelatedArticle).where(RelatedArticle.related_id == aid))

    gone = client.delete("/api/v1/articles/kashi-cms", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 204
    with demo.app_context():
        assert db.session.get(ArticleStats, aid) is None
        assert not db.session.scalars(
            sa.select(ReaderReaction).where(ReaderReaction.article_id == aid)
        ).all()
        related_rows = sa.select(RelatedArticle).where(
            sa.or_(RelatedArticle.related_id == aid, RelatedArticle.article_id == aid)
        )
        assert not db.session.scalars(related_rows).all()
        link = db.session.scalar(sa.select(FeaturedLink).where(FeaturedLink.title == "冷链"))
        assert (
            link is not None
            and link.article_id is None
            and link.url == CMS + "/news/kashi-cms.html"
        )
    assert client.get("/").status_code == 200
    assert reader_client(demo).post("/api/v1/articles/kashi-cms/views", json={}).status_code == 404
