from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from engagement.moods import MOODS


def get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def main_region(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_front_page_regions(demo: Flask) -> None:
    html = get(demo.test_client(), "/")
    assert "<title>" in html and 'name="description"' in html
    assert "最新文章" in html
    assert "新闻排行" in html
    assert "特别关注" in html and "新疆新发展" in html and "兵团新发展" in html
    assert "魅力新疆" in html and "1/3" in html and "3/3" in html
    assert 'role="tablist"' in html and 'role="tabpanel"' in html
    assert "喀什果园合作社" in html


def test_article_page_regions(demo: Flask) -> None:
    client = demo.test_client()
    html = get(client, "/articles/kashi-orchard-cooperative")
    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S)
    assert crumbs is not None
    text = re.sub(r"<[^>]+>|\s+", "", crumbs.group(0))
    assert text == "当前位置:首页国家援疆头条"
    assert "<title>喀什果园合作社试行冷链直发 杏子两天到上海 · " in html
    assert '<meta name="description" content="今年入夏以来' in html
    assert '<h1 id="article-title">喀什果园合作社试行冷链直发 杏子两天到上海</h1>' in html
    assert "2026-11-27 09:20" in html and "本站讯" in html
    assert "<p>今年入夏以来" in html
    assert "【责编:李文】" in html
    positions = [html.index(m.label) for m in MOODS]
    assert positions == sorted(positions), "moods in docs/api.md order"
    assert html.index("【责编") < positions[0] < html.index("相关文章")
    assert "相关文章" in html and "阿克苏推广光伏提水" in html
    assert "特别关注" in html and "魅力新疆" in html and "新闻排行" in html


def test_related_never_lists_the_article_itself(demo: Flask) -> None:
    html = get(demo.test_client(), "/articles/aksu-solar-pumps")
    related = html[html.index('id="related-title"') :]
    related = related[: related.index("</section>")]
    assert "/articles/aksu-solar-pumps" not in related
    assert related.count("<li data-slot=") >= 3


def test_category_page_is_paginated(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "slug": f"p-{i:02d}",
                "title": f"第{i}篇",
                "body": "正文",
                "category": "体育",
                "breadcrumb": ["新闻"],
                "published_at": f"2026-11-{i + 1:02d}T08:00:00+08:00",
            },
            ensure_ascii=False,
        )
        for i in range(25)
    ]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert runner.invoke(args=["import-articles", str(path)]).exit_code == 0
    client = app.test_client()
    first = main_region(get(client, "/categories/体育"))
    assert "第24篇" in first and "第4篇" not in first
    assert "第 1 / 2 页" in first and 'rel="next"' in first
    second = main_region(get(client, "/categories/体育?page=2"))
    assert "第4篇" in second and "第24篇" not in second and 'rel="prev"' in second
    parent = main_region(get(client, "/categories/新闻"))
    assert "第24篇" in parent, "a section lists its sub-categories' articles"
    assert client.get("/categories/体育?page=9").status_code == 404
    assert client.get("/categories/体育?page=zero").status_code == 400


def test_unknown_pages_are_html_404s(app: Flask) -> None:
    client = app.test_client()
    for url in ("/articles/nope", "/categories/nope", "/no/such/page"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "页面不存在" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(app: Flask) -> None:
    response = app.test_client().get("/articles/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json == {
        "error": {"code": "not_found", "message": response.json["error"]["message"]}
    }


def test_internal_errors_render_a_page(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaput")

    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "服务器出错了" in response.get_data(as_text=True)
    assert "kaput" not in response.get_data(as_text=True)


def test_pages_are_cacheable(demo: Flask) -> None:
    response = demo.test_client().get("/articles/aksu-solar-pumps")
    assert "public" in response.headers["Cache-Control"]


def test_static_assets_are_served(app: Flask) -> None:
    client = app.test_client()
    for path in ("/static/css/site.css", "/static/js/site.js", "/static/img/gallery-desert.svg"):
        response = client.get(path)
        assert response.status_code == 200
        response.close()
