"""Operators: accounts, login, the dashboard's numbers, editorial controls, exports."""

from __future__ import annotations

import csv
import io
import re
import time

from flask import Flask
from flask.testing import FlaskClient

from engagement.extensions import redis_store
from engagement.moods import MOOD_KEYS
from engagement.rankings import core as rankings
from engagement.store.keys import SOURCES
from tests.conftest import PASSWORD, login, token
from tests.helpers import GOOGLEBOT, react, reader_client, view


def test_operator_commands(demo: Flask) -> None:
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["create-operator", "ed"], input="short\n").exit_code == 1
    assert runner.invoke(args=["create-operator", "bad name"], input=PASSWORD + "\n").exit_code == 1
    assert runner.invoke(args=["create-operator", "ed"], input=PASSWORD + "\n").exit_code == 0
    changed = runner.invoke(args=["create-operator", "ed"], input=PASSWORD + "!\n")
    assert "password changed" in changed.output
    assert "ed\tlast login: never" in runner.invoke(args=["list-operators"]).output
    assert runner.invoke(args=["delete-operator", "ed"]).exit_code == 0
    assert runner.invoke(args=["delete-operator", "ed"]).exit_code == 1
    assert runner.invoke(args=["list-operators"]).output == ""


def test_password_is_stored_hashed(operator: Flask) -> None:
    import sqlalchemy as sa

    from engagement.extensions import db
    from engagement.models import Operator

    with operator.app_context():
        stored = db.session.scalar(sa.select(Operator.password_hash))
    assert stored and PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_without_a_session(operator: Flask) -> None:
    client = operator.test_client()
    for path in ("/admin/", "/admin/audit", "/admin/articles/aksu-solar-pumps"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login")
    for path, headers in (("/admin/stats.json", {}), ("/admin/", {"Accept": "application/json"})):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "login_required"


def test_login_wrong_password_and_logout(operator: Flask) -> None:
    _, status = login(operator, "wrong password!")
    assert status == 401
    client, status = login(operator)
    assert status == 302
    assert client.get("/admin/").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    csrf = token(client, "/admin/")
    assert client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_login_needs_csrf_token(operator: Flask) -> None:
    client = operator.test_client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": "editor", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited(operator: Flask) -> None:
    statuses = [login(operator, f"guess number {i}")[1] for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_open_redirects_are_refused(operator: Flask) -> None:
    client = reader_client(operator)
    csrf = token(client, "/admin/login")
    response = client.post(
        "/admin/login?next=https://evil.example/",
        data={"username": "editor", "password": PASSWORD, "csrf_token": csrf},
    )
    assert response.headers["Location"] == "/admin/"


def traffic(app: Flask) -> None:
    """Known traffic: 5 readers of one article, 2 of another, reactions, 3 bots."""
    for i in range(5):
        view(reader_client(app, address=f"198.51.100.{i}"), "kashi-orchard-cooperative")
    for i in range(2):
        view(reader_client(app, address=f"198.51.100.{10 + i}"), "aksu-solar-pumps")
    view(reader_client(app, address="198.51.100.0"), "kashi-orchard-cooperative")  # repeat
    for i, mood in enumerate(["angry", "angry", "smile"]):
        react(reader_client(app, address=f"198.51.100.{i}"), "kashi-orchard-cooperative", mood)
    for _ in range(3):
        view(reader_client(app, agent=GOOGLEBOT), "aksu-solar-pumps")


def test_dashboard_numbers_match_the_traffic(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)
    with operator.app_context():
        rankings.build(redis_store.client, rankings.Ranking("24h", "views"), time.time())
    html = admin.get("/admin/?window=24h").get_data(as_text=True)
    assert 'data-total="views">7<' in html
    assert 'data-total="readers">7<' in html
    assert 'data-total="reactions">3<' in html
    assert 'data-total="bots">3<' in html
    assert 'data-mood-total="angry">2<' in html
    assert "<svg" in html and 'role="img"' in html and "<table>" in html
    table = html[html.index('class="top-table"') :]
    assert table.index("喀什果园合作社") < table.index("阿克苏推广光伏提水")
    for window in ("7d", "30d", "90d"):
        assert admin.get(f"/admin/?window={window}").status_code == 200
    assert admin.get("/admin/?window=2d").status_code == 400


def test_article_page(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)
    html = admin.get("/admin/articles/kashi-orchard-cooperative").get_data(as_text=True)
    assert 'data-total="views">5<' in html
    assert "愤怒 <strong>2</strong>（67%）" in html
    assert "<svg" in html and "相关文章" in html


def test_editorial_controls_change_rankings_and_are_audited(
    admin: FlaskClient, operator: Flask
) -> None:
    traffic(operator)

    def top() -> list[str]:
        with operator.app_context():
            rankings.build(redis_store.client, rankings.Ranking("24h", "views"), time.time())
        items = operator.test_client().get("/api/v1/rankings?window=24h").json["items"]
        return [i["slug"] for i in items]

    assert top()[:2] == ["kashi-orchard-cooperative", "aksu-solar-pumps"]
    page = "/admin/articles/kashi-orchard-cooperative"
    admin.post(page + "/exclude", data={"excluded": "1", "csrf_token": token(admin, page)})
    assert top() == ["aksu-solar-pumps"]
    admin.post(page + "/exclude", data={"excluded": "0", "csrf_token": token(admin, page)})
    assert top()[0] == "kashi-orchard-cooperative"

    other = "/admin/articles/community-clinic-upgrade"
    admin.post(
        other + "/pin",
        data={"ranking": "24h:views:all", "position": "1", "csrf_token": token(admin, other)},
    )
    assert top()[:3] == [
        "community-clinic-upgrade",
        "kashi-orchard-cooperative",
        "aksu-solar-pumps",
    ]

    admin.post(page + "/reset", data={"csrf_token": token(admin, page), "confirm": "1"})
    assert "kashi-orchard-cooperative" not in top()
    state = operator.test_client().get("/api/v1/articles/kashi-orchard-cooperative/reactions").json
    assert state["total"] == 0

    audit = admin.get("/admin/audit").get_data(as_text=True)
    actions = re.findall(r'data-action="(\w+)"', audit)
    assert actions == ["reset", "pin", "include", "exclude"]
    assert audit.count("editor") >= 4


def test_editorial_forms_need_csrf(admin: FlaskClient) -> None:
    response = admin.post(
        "/admin/articles/kashi-orchard-cooperative/exclude", data={"excluded": "1"}
    )
    assert response.status_code == 400


def test_exports(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)
    response = admin.get("/admin/stats.csv?window=24h")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["slug"] for r in rows] == ["kashi-orchard-cooperative", "aksu-solar-pumps"]
    assert rows[0]["title"] == "喀什果园合作社试行冷链直发 杏子两天到上海"
    assert rows[0]["views"] == "5" and rows[0]["angry"] == "2" and rows[0]["reactions"] == "3"
    data = admin.get("/admin/stats.json?window=all").json
    assert data["window"] == "all"
    assert data["articles"][0]["views"] == 5
    assert set(data["articles"][0]) == {
        "slug",
        "title",
        "category",
        "published_at",
        "views",
        "reactions",
        *MOOD_KEYS,
        "engaged_seconds",
        "avg_engaged_seconds",
        "scroll_depth",
        "read_through",
        "recirculation",
        "sources",
    }
    # The test client sends no referrer: every view came 直接.
    assert data["articles"][0]["sources"] == dict.fromkeys(SOURCES, 0) | {"direct": 5}
    assert "source_direct" in rows[0] and rows[0]["scroll_depth"] == ""


def test_simulate_traffic_gives_the_site_shape(demo: Flask) -> None:
    import sqlalchemy as sa

    from engagement.extensions import db
    from engagement.models import ArticleDaily

    result = demo.test_cli_runner().invoke(
        args=["simulate-traffic", "--views", "600", "--days", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "views" in result.output and "crawler requests" in result.output
    with demo.app_context():
        days = db.session.scalars(sa.select(ArticleDaily.day).distinct()).all()
        assert len(days) >= 3
        rankings.build(redis_store.client, rankings.Ranking("7d", "views"), time.time())
    items = demo.test_client().get("/api/v1/rankings?window=7d&limit=5").json["items"]
    assert len(items) == 5
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert demo.test_cli_runner().invoke(args=["simulate-traffic", "--days", "99"]).exit_code != 0


def test_every_window_counts_the_same_recent_traffic(admin: FlaskClient, operator: Flask) -> None:
    traffic(operator)
    assert operator.test_cli_runner().invoke(args=["flush-counters"]).exit_code == 0
    for window in ("24h", "7d", "30d", "90d"):
        html = admin.get(f"/admin/?window={window}").get_data(as_text=True)
        assert 'data-total="views">7<' in html, window
        assert 'data-total="reactions">3<' in html, window
        assert 'data-mood-total="angry">2<' in html, window
    category = admin.get("/admin/?window=24h&category=头条&sort=angry").get_data(as_text=True)
    table = category[category.index('class="top-table"') :]
    assert "喀什果园合作社" in table and "阿克苏" not in table
