"""The iframe widget and the embed script."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from flask import Flask

from engagement.extensions import redis_store
from engagement.rankings import core as rankings
from tests.conftest import ARTIFACTS
from tests.helpers import BROWSER, reader_client, view

SLUGS = ["kashi-orchard-cooperative", "aksu-solar-pumps", "hetian-carpet-workshop"]


@pytest.fixture
def ranked(demo: Flask) -> Flask:
    for i, slug in enumerate(SLUGS):
        for j in range(3 - i):
            view(reader_client(demo, address=f"198.51.100.{10 * i + j}"), slug)
    with demo.app_context():
        rankings.build(redis_store.client, rankings.Ranking("24h", "views"), demo_now())
    return demo


def demo_now() -> float:
    import time

    return time.time()


def test_iframe_widget(ranked: Flask) -> None:
    response = ranked.test_client().get("/widgets/rankings?limit=2&theme=dark&target=_top")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert 'class="widget theme-dark"' in html
    assert "喀什果园合作社" in html and "阿克苏推广光伏提水" in html
    assert "和田地毯工坊" not in html, "limit honoured"
    assert 'target="_top"' in html
    assert "http://localhost/articles/kashi-orchard-cooperative" in html
    assert "更新" in html


@pytest.mark.parametrize(
    "query", ["theme=pink", "target=evil", "window=2d", "metric=x", "limit=0", "category=nope"]
)
def test_iframe_widget_rejects_bad_parameters(ranked: Flask, query: str) -> None:
    response = ranked.test_client().get(f"/widgets/rankings?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_embed_script_is_served(ranked: Flask) -> None:
    response = ranked.test_client().get("/widgets/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "data-engagement-rankings" in response.get_data(as_text=True)
    response.close()


FOREIGN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>partner</title></head>
<body><h1>A partner site</h1>
<div id="one" data-engagement-rankings data-window="24h" data-limit="2"></div>
<div id="two" data-engagement-rankings data-metric="views" data-theme="dark"
     data-title="本站热读"></div>
<div id="three" data-engagement-rankings data-window="nonsense"></div>
<script>window.before = Object.keys(window);</script>
<script src="{origin}/widgets/embed.js"></script>
</body></html>"""


def serve_page(html: bytes) -> tuple[ThreadingHTTPServer, str]:
    """Another origin on loopback that serves one page, as a partner site would."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@pytest.fixture
def foreign_site(live_server: str) -> Iterator[str]:
    server, url = serve_page(FOREIGN_PAGE.replace("{origin}", live_server).encode())
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_embed_on_a_foreign_origin_fills_every_widget(
    demo: Flask, foreign_site: str, browser
) -> None:
    for i, slug in enumerate(SLUGS):
        for j in range(3 - i):
            view(reader_client(demo, address=f"198.51.100.{10 * i + j}"), slug)
    context = browser.new_context(user_agent=BROWSER)
    page = context.new_page()
    page.goto(foreign_site)
    page.wait_for_selector("#one li")
    page.wait_for_selector("#two li")
    one = page.locator("#one li").all_text_contents()
    assert len(one) == 2 and "喀什果园合作社" in one[0]
    two = page.locator("#two")
    assert "本站热读" in two.locator("h2").text_content()
    assert "eng-dark" in two.get_attribute("class")
    assert two.locator("li").count() == 3
    assert "更新" in two.locator(".eng-fresh").text_content()
    page.wait_for_selector("#three a")
    assert page.locator("#three a").text_content() == "查看新闻排行", "API errors degrade to a link"
    assert "参数有误" in page.locator("#three .eng-problem").text_content()
    leaked = page.evaluate("Object.keys(window).filter(k => !before.includes(k) && k !== 'before')")
    assert leaked == []
    context.close()


def test_iframe_widget_shows_counts_not_internal_scores(ranked: Flask) -> None:
    client = ranked.test_client()
    html = client.get("/widgets/rankings?window=24h&metric=views&limit=3").get_data(as_text=True)
    assert re.search(r'class="count">3<span class="unit">阅读', html), html
    with ranked.app_context():
        rankings.build(redis_store.client, rankings.Ranking("24h", "hot"), demo_now())
    hot = client.get("/widgets/rankings?window=24h&metric=hot&limit=3").get_data(as_text=True)
    assert 'class="count"' not in hot
    body = re.sub(r'datetime="[^"]*"', "", hot.split("<body", 1)[1])
    assert not re.search(r"\d+\.\d{2,}", body), "no decimal hot scores"


@pytest.mark.parametrize("query", ["limit=99", "window=2d", "theme=pink", "category=nope"])
def test_iframe_widget_bad_parameter_is_a_small_chinese_note(ranked: Flask, query: str) -> None:
    response = ranked.test_client().get(f"/widgets/rankings?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "widget.css" in html and "site.css" not in html, "the widget's own frame"
    assert "排行参数有误" in html
    assert "Bad Request" not in html and "must be" not in html


LONG = "新疆各地今冬持续推进冬季旅游项目建设，冰雪游客人数与去年同期相比大幅增长"


@pytest.mark.browser
def test_readme_iframe_size_shows_five_items_and_freshness(
    demo: Flask, live_server: str, browser
) -> None:
    """The README's example: 320x260, limit 5, long titles, light and dark."""
    with demo.app_context():
        from engagement.extensions import db
        from engagement.models import Article

        for article in db.session.scalars(sa.select(Article)):
            article.title = LONG + article.title
        db.session.commit()
    for i, slug in enumerate(SLUGS * 2):
        view(reader_client(demo, address=f"198.51.100.{40 + i}"), slug)
    for address in range(5):
        for slug in ("kanas-winter-tourism", "urumqi-night-market"):
            view(reader_client(demo, address=f"203.0.113.{address}"), slug)
    context = browser.new_context(user_agent=BROWSER, viewport={"width": 320, "height": 260})
    page = context.new_page()
    server, url = serve_page(
        f'<!doctype html><meta charset="utf-8"><body style="margin:0">'
        f'<iframe src="{live_server}/widgets/rankings?window=24h&metric=hot&limit=5&theme=dark"'
        ' title="新闻排行" width="320" height="260" loading="lazy"></iframe>'.encode()
    )
    page.goto(url)
    frame = page.frame_locator("iframe")
    frame.locator(".eng-note time").wait_for()
    items = frame.locator(".ranking-list li")
    assert items.count() == 5
    inner = page.frames[1]
    # Measure once the frame has its stylesheet and fonts (a loaded CI machine
    # once measured the page before its layout settled).
    inner.wait_for_load_state("load")
    inner.evaluate("() => document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
    fits = inner.evaluate(
        """() => {
          const note = document.querySelector('.eng-note').getBoundingClientRect();
          const badges = [...document.querySelectorAll('.rank')];
          return {bottom: note.bottom, height: innerHeight,
                  scroll: document.documentElement.scrollHeight,
                  badges: badges.map(b => b.getBoundingClientRect().height)};
        }"""
    )
    assert fits["bottom"] <= fits["height"], fits
    assert fits["scroll"] <= fits["height"], fits
    assert max(fits["badges"]) <= 24, fits
    page.screenshot(path=str(ARTIFACTS / "widget-320x260.png"))
    context.close()
    server.shutdown()
    server.server_close()
