"""The article page's widgets in a real headless Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_featured_tabs_work_with_mouse_and_keyboard(live_server: str, page) -> None:
    page.goto(f"{live_server}/articles/kashi-orchard-cooperative")
    tabs = page.get_by_role("tab")
    assert tabs.count() == 2
    first, second = tabs.nth(0), tabs.nth(1)
    assert first.get_attribute("aria-selected") == "true"
    assert page.get_by_role("tabpanel", name="兵团新发展").count() == 0  # hidden
    second.click()
    assert second.get_attribute("aria-selected") == "true"
    assert page.get_by_role("tabpanel", name="兵团新发展").is_visible()
    second.press("ArrowLeft")
    assert first.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.textContent") == "新疆新发展"


def test_carousel_counter_follows_buttons_and_keys(live_server: str, page) -> None:
    page.goto(f"{live_server}/")
    status = page.locator(".carousel-status")
    assert status.text_content() == "1/3"
    visible = page.locator(".slide:visible")
    assert visible.count() == 1
    page.get_by_role("button", name="下一张").click()
    assert status.text_content() == "2/3"
    page.get_by_role("button", name="下一张").press("ArrowRight")
    assert status.text_content() == "3/3"
    page.get_by_role("button", name="下一张").press("ArrowRight")
    assert status.text_content() == "1/3", "wraps around"
    page.get_by_role("button", name="上一张").click()
    assert status.text_content() == "3/3"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "front-page.png"), full_page=True)


def test_without_javascript_everything_is_shown(browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/articles/kashi-orchard-cooperative")
    assert page.locator(".tabpanel:visible").count() == 2
    assert page.locator(".tablist").is_hidden()
    assert page.locator(".slide").count() == 3
    context.close()
