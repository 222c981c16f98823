"""The article page's widgets in a real headless Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_featured_tabs_work_with_mouse_and_keyboard(live_server: str, page) -> None:
    page.goto(f"{live_server}/articles/kashi-orchard-cooperative")
    tabs = page.locator(".featured").get_by_role("tab")
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
    assert page.locator(".featured .tabpanel:visible").count() == 2
    assert page.locator(".featured .tablist").is_hidden()
    # Three windows, 专注, the mood panel and its six moods.
    assert page.locator(".ranking .tabpanel:visible").count() == 5 + 6
    assert page.locator(".slide").count() == 3
    context.close()


def test_ranking_tabs_switch_windows_and_moods(live_server: str, page) -> None:
    page.goto(f"{live_server}/")
    ranking = page.locator(".ranking")
    assert ranking.get_by_role("tab", name="24小时").get_attribute("aria-selected") == "true"
    assert ranking.locator("#rank-24h").is_visible()
    ranking.get_by_role("tab", name="7天").click()
    assert ranking.locator("#rank-7d").is_visible()
    assert ranking.locator("#rank-24h").is_hidden()
    ranking.get_by_role("tab", name="7天").press("ArrowRight")
    assert ranking.locator("#rank-30d").is_visible()
    ranking.get_by_role("tab", name="心情").click()
    ranking.get_by_role("tab", name="愤怒").click()
    assert ranking.locator("#mood-rank-angry").is_visible()
    assert ranking.locator("#mood-rank-smile").is_hidden()
