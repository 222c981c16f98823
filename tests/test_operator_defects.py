"""What operators hit: the category filter, window consistency, confirmations,
editorial marks, Chinese labels, charts, and sessions that can be ended."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engagement.admin.charts import line_chart, nice_max, spread
from engagement.extensions import db, redis_store
from engagement.models import Article, ArticleDaily, AuditEntry
from engagement.moods import MOOD_KEYS
from engagement.rankings import core as rankings
from tests.conftest import PASSWORD, login, token
from tests.helpers import GOOGLEBOT, react, reader_client, view
from tests.test_admin import traffic

KASHI = "kashi-orchard-cooperative"  # 头条
AKSU = "aksu-solar-pumps"  # 头条
TOURISM = "kanas-winter-tourism"  # 文化旅游


def category_of(app: Flask, slug: str) -> str:
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
        assert article is not None
        return article.category.slug


def test_every_dashboard_number_follows_the_category(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)  # 头条 (under 国家援疆): 7 views, 3 reactions, 3 bots
    for i in range(2):
        view(reader_client(operator, address=f"203.0.113.{i}"), TOURISM)
    react(reader_client(operator, address="203.0.113.0"), TOURISM, "sad")
    view(reader_client(operator, agent=GOOGLEBOT), TOURISM)
    assert category_of(operator, TOURISM) == "文化旅游"

    def numbers(window: str, category: str = "") -> tuple[int, ...]:
        found = admin.get(f"/admin/overview.json?window={window}&category={category}").json
        assert found["category"] == (category or None)
        assert sum(found["series"]["views"]) == found["views"]
        keys = ("views", "readers", "reactions", "angry", "sad", "bots")
        return tuple(found[k] for k in keys)

    for window in ("24h", "7d", "30d"):
        assert numbers(window) == (9, 9, 4, 2, 1, 4), window
        assert numbers(window, "头条") == (7, 7, 3, 2, 0, 3), window
        assert numbers(window, "国家援疆") == (7, 7, 3, 2, 0, 3), window
        assert numbers(window, "文化旅游") == (2, 2, 1, 0, 1, 1), window
    html = admin.get("/admin/?window=24h&category=文化旅游").get_data(as_text=True)
    assert 'data-total="views">2<' in html and 'data-total="bots">1<' in html
    assert 'data-mood-total="sad">1<' in html
    assert "「文化旅游」栏目" in html, "the numbers say which category they are"
    assert admin.get("/admin/overview.json?category=nope").status_code == 400


def test_overview_json_needs_an_operator(operator: Flask) -> None:
    response = operator.test_client().get("/admin/overview.json")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "login_required"


def test_a_longer_window_never_shows_less(admin: FlaskClient, operator: Flask) -> None:
    """Before a flush SQL lags Redis: 90 days must still include the last 30."""
    traffic(operator)
    with operator.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == AKSU))
        assert article is not None
        old = ArticleDaily(article_id=article.id, day=time_day(-60), views=4, reactions=1)
        for m in MOOD_KEYS:
            setattr(old, m, 1 if m == "sad" else 0)
        db.session.add(old)
        db.session.commit()
    numbers = {w: admin.get(f"/admin/overview.json?window={w}").json for w in ("30d", "90d")}
    for key in ("views", "reactions", *MOOD_KEYS):
        assert numbers["90d"][key] >= numbers["30d"][key], key
    assert numbers["90d"]["views"] == numbers["30d"]["views"] + 4
    assert len(numbers["90d"]["series"]["labels"]) == 90
    html = admin.get("/admin/?window=90d&sort=views").get_data(as_text=True)
    table = html[html.index('class="top-table"') :]
    # 2 views in Redis and 4 sixty days ago put it above the 5 of the last 30 days.
    assert table.index("阿克苏推广光伏提水") < table.index("喀什果园合作社")
    assert re.search(r"阿克苏推广光伏提水.*?</a>.*?<td class=\"num\">6</td>", table, re.S)


def time_day(offset: int):  # noqa: ANN201 - a date
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC).date() + timedelta(days=offset)


def test_reset_asks_for_confirmation_without_javascript(
    admin: FlaskClient, operator: Flask
) -> None:
    traffic(operator)
    page = f"/admin/articles/{KASHI}"
    html = admin.get(page).get_data(as_text=True)
    assert f'href="/admin/articles/{KASHI}/reset"' in html
    response = admin.post(page + "/reset", data={"csrf_token": token(admin, page)})
    assert response.status_code == 303, "one click does not reset"
    assert admin.get(f"/api/v1/articles/{KASHI}/reactions").json["total"] == 3
    confirm = admin.get(page + "/reset").get_data(as_text=True)
    assert "确认清零" in confirm and 'name="confirm" value="1"' in confirm
    admin.post(page + "/reset", data={"csrf_token": token(admin, page + "/reset"), "confirm": "1"})
    assert admin.get(f"/api/v1/articles/{KASHI}/reactions").json["total"] == 0


def test_excluded_and_pinned_articles_are_marked(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)
    page = f"/admin/articles/{KASHI}"
    admin.post(page + "/exclude", data={"excluded": "1", "csrf_token": token(admin, page)})
    html = admin.get(page).get_data(as_text=True)
    assert "阅读排名</dt><dd>1<" not in html
    assert "已排除，不参与排行" in html
    other = f"/admin/articles/{AKSU}"
    admin.post(
        other + "/pin",
        data={"ranking": "24h:views:all", "position": "2", "csrf_token": token(admin, other)},
    )
    with operator.app_context():
        rankings.build(redis_store.client, rankings.Ranking("24h", "views"), time.time())
    dashboard = admin.get("/admin/?window=24h").get_data(as_text=True)
    assert re.search(r'<tr class="pinned">.*?阿克苏推广光伏提水.*?置顶', dashboard, re.S)
    assert 'data-excluded="1"' in dashboard and "已被排除出排行" in dashboard


def test_operator_pages_speak_chinese(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)
    page = f"/admin/articles/{KASHI}"
    html = admin.get(page).get_data(as_text=True)
    for english in ("24h 阅读排名", "7d 阅读排名", "all 阅读排名", ">24h:views:all<"):
        assert english not in html
    assert (
        "24小时阅读排名" in html and '<option value="24h:hot:all">24小时热度排行</option>' in html
    )
    admin.post(
        page + "/pin",
        data={"ranking": "7d:hot:all", "position": "3", "csrf_token": token(admin, page)},
    )
    admin.post(page + "/reset", data={"csrf_token": token(admin, page + "/reset"), "confirm": "1"})
    admin.post(page + "/exclude", data={"excluded": "1", "csrf_token": token(admin, page)})
    audit = admin.get("/admin/audit").get_data(as_text=True)
    body = audit[audit.index("<tbody>") :]
    assert ">pin<" not in body and ">reset<" not in body and ">exclude<" not in body
    assert "置顶" in body and "计数清零" in body and "排除出排行" in body
    assert "7天热度排行 第 3 位" in body
    assert "{" not in body and "清零前：阅读 5" in body


@pytest.mark.parametrize(
    ("peak", "top"), [(101, 120), (7, 8), (260, 300), (1000, 1000), (0, 1), (35, 40)]
)
def test_chart_axis_ends_near_the_peak(peak: int, top: float) -> None:
    assert nice_max(peak) == top
    assert nice_max(peak) < 2 * max(peak, 1) or peak <= 1


def test_chart_end_labels_do_not_overlap() -> None:
    assert spread([100.0, 101.0, 102.0], 16, 0, 300) == [100.0, 116.0, 132.0]
    svg = str(line_chart("t", ["a", "b"], [("阅读", [5, 10]), ("表态", [5, 10])], "c"))
    ys = [float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" fill=', svg)]
    assert len(ys) == 2 and abs(ys[0] - ys[1]) >= 16


@pytest.mark.browser
def test_admin_pages_read_well_at_390_px(
    admin: FlaskClient, operator: Flask, live_server: str, browser
) -> None:
    from tests.conftest import ARTIFACTS
    from tests.helpers import BROWSER

    traffic(operator)
    page_url = f"/admin/articles/{KASHI}"
    admin.post(page_url + "/exclude", data={"excluded": "1", "csrf_token": token(admin, page_url)})
    context = browser.new_context(user_agent=BROWSER, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/admin/login")
    box = page.locator(".login-box").bounding_box()
    assert box and box["width"] <= 390
    assert page.locator(".login-box input#username").bounding_box()["width"] > 250
    page.fill("#username", "editor")
    page.fill("#password", PASSWORD)
    page.click(".login-box button")
    page.wait_for_url(live_server + "/admin/")
    size = page.evaluate(
        "() => [...document.querySelectorAll('svg.chart[aria-labelledby^=trend] text')]"
        ".map(t => t.getBoundingClientRect().height)"
    )
    assert size and min(size) >= 10, size
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard-390.png"), full_page=True)
    page.goto(live_server + "/admin/audit")
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.audit-table a')]"
        ".map(a => a.getBoundingClientRect().width)"
    )
    assert widths and min(widths) > 100, widths
    page.screenshot(path=str(ARTIFACTS / "admin-audit-390.png"), full_page=True)
    context.close()


def test_logout_ends_every_session_of_the_operator(operator: Flask) -> None:
    laptop, _ = login(operator)
    phone, _ = login(operator)
    assert phone.get("/admin/").status_code == 200
    laptop.post("/admin/logout", data={"csrf_token": token(laptop, "/admin/")})
    assert phone.get("/admin/").status_code == 302
    assert phone.get("/admin/stats.json").status_code == 401


def test_a_new_password_ends_old_sessions(operator: Flask) -> None:
    old, _ = login(operator)
    runner = operator.test_cli_runner()
    assert runner.invoke(args=["create-operator", "editor"], input=PASSWORD + "!\n").exit_code == 0
    assert old.get("/admin/").status_code == 302
    fresh, status = login(operator, PASSWORD + "!")
    assert status == 302 and fresh.get("/admin/").status_code == 200


def test_a_deleted_operator_can_do_nothing(operator: Flask) -> None:
    client, _ = login(operator)
    page = f"/admin/articles/{KASHI}"
    csrf = token(client, page)
    assert operator.test_cli_runner().invoke(args=["delete-operator", "editor"]).exit_code == 0
    response = client.post(page + "/exclude", data={"excluded": "1", "csrf_token": csrf})
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    with operator.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
        article = db.session.scalar(sa.select(Article).where(Article.slug == KASHI))
        assert article is not None and not article.ranking_excluded


def test_login_limit_holds_while_redis_is_down(app_factory, own_redis) -> None:  # noqa: ANN001
    site = app_factory(own_redis.url)
    runner = site.test_cli_runner()
    assert runner.invoke(args=["create-operator", "editor"], input=PASSWORD + "\n").exit_code == 0
    own_redis.stop()
    try:
        statuses = [login(site, f"guess {i}")[1] for i in range(12)]
    finally:
        own_redis.start()
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_csv_export_neutralises_formulas(admin: FlaskClient, operator: Flask) -> None:
    with operator.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == KASHI))
        assert article is not None
        article.title = '=HYPERLINK("http://evil.example","点我")'
        article.category.name = "+SUM(A1)"
        db.session.commit()
    for address in range(2):
        view(reader_client(operator, address=f"198.51.100.{address}"), KASHI)
    react(reader_client(operator), KASHI, "smile")
    view(reader_client(operator, agent=GOOGLEBOT), KASHI)
    raw = admin.get("/admin/stats.csv?window=24h").get_data(as_text=True)
    assert "'=HYPERLINK" in raw and "'+SUM(A1)" in raw
    for line in raw.lstrip("\ufeff").splitlines():
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@")), line


@pytest.mark.parametrize("digit", ["²", "①", "１"])
def test_admin_numbers_that_are_not_decimal_are_a_400(admin: FlaskClient, digit: str) -> None:
    page = f"/admin/articles/{KASHI}"
    response = admin.post(
        page + "/pin",
        data={"ranking": "24h:views:all", "position": digit, "csrf_token": token(admin, page)},
    )
    assert response.status_code == 400
    assert admin.get(f"/admin/audit?page={digit}").status_code == 400
