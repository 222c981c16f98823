"""The one script tag on a publisher's own page, in real headless Chromium.

The page is served by another server on another port (another origin), looks
like a CMS article (canonical link, JSON-LD), sends a strict
Content-Security-Policy that allows our origin, and carries only the script tag
and the blocks' divs.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import ARTIFACTS
from tests.helpers import BROWSER

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>喀什杏子搭上冷链专列 - 天山日报</title>
<link rel="canonical" href="{origin}/2026/11/apricots.html">
<meta property="og:url" content="{origin}/2026/11/apricots.html">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"喀什杏子搭上冷链专列","url":"{origin}/2026/11/apricots.html"}}</script>
<script src="{ours}/widgets/engage.js" async></script>
</head><body>
<article><h1>喀什杏子搭上冷链专列</h1>
<p>喀什地区果园合作社的杏子经冷链分拣后，两天即可运抵上海。</p></article>
<div data-engagement-reactions></div>
<div data-engagement-related data-limit="3"></div>
<div data-engagement-rankings data-window="1h" data-limit="5"></div>
<footer><div data-engagement-reactions data-theme="dark" id="second-bar"></div></footer>
</body></html>"""

ARTICLE = {
    "title": "喀什杏子搭上冷链专列",
    "body": "喀什地区果园合作社与对口支援方共建冷链分拣中心，杏子经预冷、分级和包装，"
    "最快两天即可摆上上海社区超市的货架。果农收入增加，鲜果损耗明显下降。",
    "category": "头条",
    "published_at": "2026-11-30T09:00:00+08:00",
}


class Ours:
    """Our app over real HTTP, which the test can stop."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def demo(app_factory, redis_server) -> Flask:
    """The demo content on an app whose rankings are exactly fresh."""
    app = app_factory(redis_server.url, ENGAGEMENT_RANKING_MAX_AGE=0)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def ours(demo: Flask):
    server = Ours(demo)
    yield server
    server.stop()


def test_one_script_tag_on_a_cms_page(demo: Flask, ours: Ours, publisher, browser) -> None:
    runner = demo.test_cli_runner()
    origin = publisher.origin
    assert runner.invoke(args=["add-site", "天山日报", "--origin", origin]).exit_code == 0
    token = runner.invoke(args=["create-token", "天山日报"]).output.strip().splitlines()[-1]
    created = demo.test_client().put(
        "/api/v1/articles/apricots",
        json={**ARTICLE, "url": f"{origin}/2026/11/apricots.html"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.json
    csp = (
        f"default-src 'self'; script-src 'self' {ours.url}; style-src 'self' {ours.url}; "
        f"connect-src 'self' {ours.url}; img-src 'self'"
    )
    publisher.put(
        "/2026/11/apricots.html",
        PAGE.format(origin=origin, ours=ours.url),
        "text/html; charset=utf-8",
        Content_Security_Policy=csp,
    )
    publisher.put("/favicon.ico", b"\0", "image/x-icon")  # the browser asks for one
    context = browser.new_context(user_agent=BROWSER, locale="zh-CN")
    page = context.new_page()
    messages: list[tuple[str, str]] = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))

    # the same page without the script: what the page's own window holds
    publisher.put(
        "/plain.html",
        PAGE.format(origin=origin, ours=ours.url).replace("/widgets/engage.js", "/nothing.js"),
        "text/html; charset=utf-8",
    )
    page.goto(f"{origin}/plain.html")
    plain = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    messages.clear()

    url = f"{origin}/2026/11/apricots.html?utm_source=weibo"
    page.goto(url)
    bar = page.locator("[data-engagement-reactions]:not(#second-bar) section")
    second = page.locator("#second-bar section")
    expect(bar.locator("button[data-mood]")).to_have_count(6)
    expect(bar.locator(".mood-label").first).to_have_text("微笑")
    expect(bar.locator(".reactions-total")).to_have_text("已有 0 人表态")
    # keyboard: Tab to a mood and press Enter
    bar.locator('button[data-mood="envy"]').focus()
    page.keyboard.press("Enter")
    expect(bar.locator('button[data-mood="envy"] .mood-count')).to_have_text("1")
    expect(bar.locator('button[data-mood="envy"]')).to_have_attribute("aria-pressed", "true")
    # several blocks per page: the dark bar further down shows the same state
    expect(second.locator('button[data-mood="envy"] .mood-count')).to_have_text("1")
    assert "eng-dark" in (second.get_attribute("class") or "")
    related = page.locator("[data-engagement-related] a")
    expect(related.first).to_be_visible()
    assert 1 <= related.count() <= 3
    # the view beacon goes once the page has been visible for a second
    page.wait_for_timeout(1500)
    added = set(page.evaluate("Object.getOwnPropertyNames(window)")) - plain
    assert added == set(), added  # nothing added to window
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cms-page.png"), full_page=True)

    page.goto(url)  # a reload: the mood is still the reader's own, and counted once
    expect(bar.locator('button[data-mood="envy"]')).to_have_attribute("aria-pressed", "true")
    expect(bar.locator('button[data-mood="envy"] .mood-count')).to_have_text("1")
    bar.locator('button[data-mood="envy"]').click()  # undo
    expect(bar.locator('button[data-mood="envy"] .mood-count')).to_have_text("0")
    bar.locator('button[data-mood="smile"]').click()
    expect(bar.locator('button[data-mood="smile"] .mood-count')).to_have_text("1")
    rankings = page.locator("[data-engagement-rankings] a")
    expect(rankings.first).to_have_attribute("href", f"{origin}/2026/11/apricots.html")

    views = demo.test_client().get("/api/v1/rankings?window=1h").json["items"]
    assert [(i["slug"], i["score"]) for i in views][:1] == [("apricots", 1)]
    assert [m for m in messages if m[0] in ("error", "pageerror", "warning")] == []

    ours.stop()
    messages.clear()
    page.goto(url)  # our server is gone; engage.js comes from the browser's cache
    page.wait_for_timeout(1000)
    for block in ("reactions", "related", "rankings"):
        assert page.locator(f"[data-engagement-{block}]").all_inner_texts() in ([""], ["", ""])
    assert not [m for m in messages if m[0] == "pageerror"]
    errors = [m for m in messages if m[0] == "error"]
    # the browser's own line for the one request that failed, nothing of ours
    assert all(text.startswith("Failed to load resource") for _, text in errors), errors
    assert len(errors) <= 1, errors
    warnings = [text for kind, text in messages if kind == "warning"]
    assert len(warnings) == 1 and "engagement" in warnings[0], messages
    context.close()
