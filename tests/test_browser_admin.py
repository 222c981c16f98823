"""The dashboard in a real headless Chromium; leaves a screenshot in test-artifacts/."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import ARTIFACTS
from tests.helpers import BROWSER

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def test_log_in_and_read_the_dashboard(demo: Flask, live_server: str, browser) -> None:
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["create-operator", "editor"], input=PASSWORD + "\n").exit_code == 0
    assert runner.invoke(args=["simulate-traffic", "--views", "1500"]).exit_code == 0
    context = browser.new_context(user_agent=BROWSER, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    assert "/admin/login" in page.url
    page.get_by_label("用户名").fill("editor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/admin/")
    chart = page.locator("svg.chart[aria-labelledby^=trend]")
    assert chart.is_visible()
    assert chart.locator("polyline").count() == 2
    day = int(page.locator('[data-total="views"]').text_content())
    page.select_option("select[name=window]", "7d")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**window=7d**")
    week = int(page.locator('[data-total="views"]').text_content())
    assert week > day > 0, "switching the window changes the numbers"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    context.close()
