"""Reactions and the view beacon in a real headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.helpers import BROWSER

pytestmark = pytest.mark.browser
SLUG = "kashi-orchard-cooperative"


@pytest.fixture
def reader(browser):
    # Headless Chromium announces itself as HeadlessChrome, which the bot filter
    # drops (as it should); a reader's browser sends an ordinary agent.
    context = browser.new_context(user_agent=BROWSER, locale="zh-CN")
    yield context.new_page()
    context.close()


def count(page, mood: str) -> str:
    return page.locator(f'button[data-mood="{mood}"] .mood-count').text_content()


def pressed(page, mood: str) -> str:
    return page.locator(f'button[data-mood="{mood}"]').get_attribute("aria-pressed")


def test_click_moves_and_undoes_without_reload(live_server: str, reader) -> None:
    page = reader
    page.goto(f"{live_server}/articles/{SLUG}")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.locator('button[data-mood="smile"]').click()
    expect(page.locator('button[data-mood="smile"] .mood-count')).to_have_text("1")
    assert pressed(page, "smile") == "true"
    assert page.locator(".reactions-total").text_content() == "已有 1 人表态"
    assert navigations == [], "updated in place"

    page.reload()
    expect(page.locator('button[data-mood="smile"]')).to_have_attribute("aria-pressed", "true")
    assert count(page, "smile") == "1"

    page.locator('button[data-mood="angry"]').click()
    expect(page.locator('button[data-mood="angry"] .mood-count')).to_have_text("1")
    assert count(page, "smile") == "0"
    assert pressed(page, "angry") == "true" and pressed(page, "smile") == "false"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "article-reactions.png"), full_page=True)

    page.locator('button[data-mood="angry"]').click()
    expect(page.locator('button[data-mood="angry"] .mood-count')).to_have_text("0")
    assert pressed(page, "angry") == "false"


def test_a_refused_change_is_explained_in_chinese(live_server: str, reader) -> None:
    page = reader
    page.goto(f"{live_server}/articles/{SLUG}")
    # The browser is made to see the API's 429 (its limit is too high to reach here).
    page.route(
        f"**/api/v1/articles/{SLUG}/reactions",
        lambda route: (
            route.fulfill(
                status=429,
                headers={"Retry-After": "30"},
                content_type="application/json",
                body='{"error": {"code": "rate_limited", "message": "Too many reaction changes."}}',
            )
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.locator('button[data-mood="envy"]').click()
    expect(page.locator(".reactions-total")).to_have_text("操作过于频繁，请稍后再试。")
    assert pressed(page, "envy") == "false"


def test_form_path_without_javascript(browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, user_agent=BROWSER)
    page = context.new_page()
    page.goto(f"{live_server}/articles/{SLUG}")
    page.locator('button[data-mood="tears"]').click()
    page.wait_for_url("**reacted=1**")
    assert count(page, "tears") == "1"
    assert pressed(page, "tears") == "true"
    page.locator('button[data-mood="sad"]').click()
    page.wait_for_url("**reacted=1**")
    assert count(page, "tears") == "0" and count(page, "sad") == "1"
    context.close()


def test_view_beacon_fires_once_per_page_view(live_server: str, reader) -> None:
    page = reader
    beacons = []
    page.on(
        "request",
        lambda request: beacons.append(request.url) if request.url.endswith("/views") else None,
    )
    page.goto(f"{live_server}/articles/{SLUG}")
    page.wait_for_selector(".views:not([hidden])")
    assert page.locator(".views-count").text_content() == "1"
    page.wait_for_timeout(1500)
    assert len(beacons) == 1
    page.reload()
    page.wait_for_selector(".views:not([hidden])")
    page.wait_for_timeout(300)
    assert len(beacons) == 2
    assert page.locator(".views-count").text_content() == "1", (
        "a reload within the window is not counted"
    )
