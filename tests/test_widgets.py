"""The iframe widget and the embed script."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from engagement import rankings
from engagement.extensions import redis_store
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


@pytest.fixture
def foreign_site(live_server: str) -> Iterator[str]:
    page = FOREIGN_PAGE.replace("{origin}", live_server).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
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
    leaked = page.evaluate("Object.keys(window).filter(k => !before.includes(k) && k !== 'before')")
    assert leaked == []
    context.close()
