"""Attention measured by the page script in real headless Chromium, on scripted
sessions whose truth is known. The page's clock is Playwright's and the server's
the injected one; the test moves both together, so minutes pass in seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from engagement.store import keys
from tests.conftest import Clock
from tests.helpers import BROWSER

pytestmark = pytest.mark.browser
SLUG = "kashi-orchard-cooperative"
START_MS = 1_795_000_000_000


class Traffic:
    """Counts a page's beacon and ping requests, to wait until all are answered."""

    def __init__(self, page: Any) -> None:
        self.started = self.finished = 0
        self.views: list[Any] = []
        page.on("request", self.on_request)
        # A ping's answer is never read by the page: its response is the end.
        page.on("response", lambda response: self.on_done(response.request))
        page.on("requestfailed", self.on_done)

    @staticmethod
    def ours(request: Any) -> bool:
        return request.url.endswith(("/pings", "/views"))

    def on_request(self, request: Any) -> None:
        if self.ours(request):
            self.started += 1
            if request.url.endswith("/views"):
                self.views.append(request)

    def on_done(self, request: Any) -> None:
        if self.ours(request):
            self.finished += 1

    def settle(self, page: Any, at_least: int = 0) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.finished >= max(self.started, at_least):
                return
            page.wait_for_timeout(20)
        raise AssertionError(f"requests unanswered: {self.started} sent, {self.finished} done")


def set_visibility(page: Any, state: str) -> None:
    """What a tab switch does to the page: its visibility, then the event."""
    page.evaluate(
        """state => {
            const hidden = state === "hidden";
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


@pytest.fixture
def context(browser: Any) -> Any:
    context = browser.new_context(user_agent=BROWSER, locale="zh-CN")
    yield context
    context.close()


def article_id(app: Flask, slug: str = SLUG) -> int:
    from engagement.store import refs

    with app.app_context():
        ref = refs.lookup(slug)
        assert ref is not None
        return ref.id


def total(redis_client: Any, metric: str, article: int) -> int:
    return int(float(redis_client.zscore(keys.total_key(metric, "all"), article) or 0))


def step(page: Any, clock: Clock, seconds: float, traffic: Traffic) -> None:
    """Let ``seconds`` pass on both clocks, then wait for what the page sent."""
    clock.advance(seconds)
    page.clock.run_for(int(seconds * 1000))
    traffic.settle(page)


def open_article(context: Any, live_server: str, clock: Clock, **goto: Any) -> tuple[Any, Traffic]:
    page = context.new_page()
    traffic = Traffic(page)
    page.goto(f"{live_server}/articles/{SLUG}", **goto)
    step(page, clock, 1.5, traffic)  # the view beacon goes once visible for 1 s
    traffic.settle(page, at_least=1)
    assert traffic.views, "the view beacon was sent"
    return page, traffic


def test_engaged_time_active_then_hidden_then_idle(
    demo: Flask, live_server: str, context: Any, clock: Clock, redis_client: Any
) -> None:
    context.clock.install(time=START_MS)
    context.clock.pause_at(START_MS + 100)
    page, traffic = open_article(context, live_server, clock)
    # Active for 60 s: input every 3 s (the first 1.5 s have passed).
    for i in range(19):
        page.mouse.move(100 + i, 200 + i)
        step(page, clock, 3, traffic)
    page.mouse.move(50, 50)
    step(page, clock, 1.5, traffic)
    set_visibility(page, "hidden")  # the last ping, with sendBeacon
    traffic.settle(page)
    for _ in range(20):  # hidden for 60 s: no pings, no clock
        step(page, clock, 3, traffic)
    set_visibility(page, "visible")
    for _ in range(10):  # visible and idle for 30 s
        step(page, clock, 3, traffic)
    set_visibility(page, "hidden")
    traffic.settle(page)
    credited = total(redis_client, "engaged", article_id(demo))
    print(f"engaged seconds credited for 60 s of activity: {credited}")  # shown with -s
    assert 60 <= credited <= 70, credited


def test_readers_now_counts_open_pages_and_drops_a_closed_one(
    demo: Flask, live_server: str, context: Any, clock: Clock, admin: Any
) -> None:
    context.clock.install(time=START_MS)
    context.clock.pause_at(START_MS + 100)
    pages = [open_article(context, live_server, clock) for _ in range(3)]
    now = admin.get("/admin/realtime.json").get_json()
    assert now["readers_now"] == 3, now
    assert now["articles"][0]["slug"] == SLUG
    closing, _ = pages.pop()
    closing.close()
    # The others keep pinging; the closed page is gone within 45 s.
    for _ in range(10):
        for page, _ in pages:
            page.mouse.move(10, 10)
        clock.advance(4)
        pages[0][0].clock.run_for(4000)
        for page, traffic in pages:
            traffic.settle(page)
    assert admin.get("/admin/realtime.json").get_json()["readers_now"] == 2


def test_depth_and_read_through(
    demo: Flask, live_server: str, browser: Any, clock: Clock, redis_client: Any
) -> None:
    article = article_id(demo)
    # A phone-sized screen, so that the body is longer than the first one.
    size = {"width": 390, "height": 640}
    context = browser.new_context(user_agent=BROWSER, locale="zh-CN", viewport=size)
    page, traffic = open_article(context, live_server, clock)
    expected = page.evaluate(
        """() => {
            const top = document.querySelector("[data-body]").getBoundingClientRect().top;
            const end = document.querySelector("[data-body-end]").getBoundingClientRect().bottom;
            return Math.min(1, (innerHeight - top) / (end - top));
        }"""
    )
    assert 0 < expected < 1, "the body is longer than the first screen"
    set_visibility(page, "hidden")
    traffic.settle(page)
    first = total(redis_client, "depth", article) / 1000
    print(f"first-screen depth: measured {first:.3f}, true {expected:.3f}")  # shown with -s
    assert abs(first - expected) < 0.01 and total(redis_client, "through", article) == 0
    # Another reader scrolls to the end.
    context.close()
    # Another browser on the same address: without a cookie a reader is its
    # address and User-Agent, so a different agent is a different reader.
    agent = BROWSER.replace("Chrome/130", "Chrome/131")
    other = browser.new_context(user_agent=agent, locale="zh-CN", viewport=size)
    try:
        page, traffic = open_article(other, live_server, clock)
        page.locator("[data-body-end]").scroll_into_view_if_needed()
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(200)
        set_visibility(page, "hidden")
        traffic.settle(page)
    finally:
        other.close()
    assert total(redis_client, "depthn", article) == 2
    assert total(redis_client, "through", article) == 1
    assert abs(total(redis_client, "depth", article) / 1000 - (first + 1)) < 0.01


def test_related_click_impressions_and_a_search_referrer(
    demo: Flask, live_server: str, context: Any, clock: Clock, redis_client: Any
) -> None:
    page, traffic = open_article(
        context, live_server, clock, referer="https://www.baidu.com/s?wd=x"
    )
    assert total(redis_client, "src_search", article_id(demo)) == 1
    below = page.evaluate(
        "() => document.querySelector('[data-block=related]').getBoundingClientRect().top"
    )
    assert below > page.viewport_size["height"], "相关文章 starts below the fold"
    page.wait_for_timeout(1500)  # long enough for a viewable impression
    set_visibility(page, "hidden")
    traffic.settle(page)
    hour = int(clock() // 3600)
    stats = redis_client.hgetall(keys.stats_key(hour))
    assert "b:related:i" not in stats, "never scrolled to: no impression"
    assert stats.get("b:featured:i") == "1", "the sidebar's first box was seen"
    set_visibility(page, "visible")
    link = page.locator('[data-block=related] [data-slot="2"] a')
    target = link.get_attribute("href")
    with page.expect_response(lambda r: r.url.endswith("/views")):
        link.click()
    assert page.url.endswith(target)
    traffic.settle(page)
    stats = redis_client.hgetall(keys.stats_key(hour))
    assert stats["b:related:2:c"] == "1" and stats["b:related:c"] == "1"
    assert stats.get("recirc") == "1" and stats.get("src_internal") == "1"
