"""Suspect bursts on the article's admin page, and discounting one: the counts,
the rankings, the SQL history and the audit log agree afterwards."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engagement.extensions import db, redis_store
from engagement.models import Article, ArticleDaily, ArticleStats, AuditEntry
from engagement.rankings import core as rankings
from engagement.rankings.core import Ranking
from engagement.store import bursts, counters, writebehind
from tests.conftest import PASSWORD, Clock, login, token
from tests.helpers import BROWSER, reader_client

SLUG = "kashi-orchard-cooperative"
OTHER = "hetian-carpet-workshop"
LOOP = "198.51.100.66"
# In the future and inside every bucket: bucket expiry follows Redis's real clock.
T0 = 1_893_456_000.0 + 960


@pytest.fixture
def site(app_factory: Any, redis_server: Any) -> tuple[Flask, Clock]:
    """The demo site with the shipped bound on new identities per address."""
    clock = Clock(T0)
    app = app_factory(
        redis_server.url,
        ENGAGEMENT_NEW_READERS_PER_ADDRESS="60/minute;600/hour",
        ENGAGEMENT_CLOCK=clock,
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["create-operator", "editor"], input=PASSWORD + "\n").exit_code == 0
    return app, clock


def beacon(app: Flask, address: str, n: int, slug: str = SLUG) -> bool:
    agent = BROWSER.replace("Chrome/130.0.0.0", f"Chrome/130.0.{n}.0")
    response = reader_client(app, address=address, agent=agent).post(
        f"/api/v1/articles/{slug}/views", json={}
    )
    assert response.status_code == 202
    return bool(response.get_json()["counted"])


def top(app: Flask, clock: Clock, window: str) -> dict[int, int]:
    with app.app_context():
        r = Ranking(window, "views", "all")
        rankings.build(redis_store.client, r, clock())
        stored = rankings.read(redis_store.client, r, 10, clock())
        assert stored is not None
        return {int(a): int(s) for a, s in stored.entries}


def views(app: Flask, article_id: int) -> int:
    with app.app_context():
        return counters.article_counts(redis_store.client, article_id)["views"]


def sql(app: Flask, article_id: int) -> tuple[int, int]:
    with app.app_context():
        writebehind.flush()
        total = db.session.scalar(
            sa.select(ArticleStats.views).where(ArticleStats.article_id == article_id)
        )
        daily = db.session.scalar(
            sa.select(sa.func.sum(ArticleDaily.views)).where(ArticleDaily.article_id == article_id)
        )
        return int(total or 0), int(daily or 0)


def discount_form(admin: FlaskClient, page: str, html: str) -> tuple[str, int]:
    action = re.search(r'action="(/admin/articles/[^"]+/discount)"', html)
    suggested = re.search(r'name="views" type="number" min="1" max="\d+" value="(\d+)"', html)
    assert action and suggested, html
    return action.group(1), int(suggested.group(1))


def test_a_burst_is_shown_and_discounting_it_agrees_everywhere(
    site: tuple[Flask, Clock],
) -> None:
    app, clock = site
    with app.app_context():
        article_id = db.session.scalar(sa.select(Article.id).where(Article.slug == SLUG))
        other_id = db.session.scalar(sa.select(Article.id).where(Article.slug == OTHER))
    # Genuine readers of both articles, from addresses of their own.
    for n in range(5):
        assert beacon(app, f"203.0.113.{n + 1}", n)
        assert beacon(app, f"203.0.113.{n + 1}", n, OTHER)
    # The loop: 200 made-up identities from one address; 60 count, 140 are held.
    counted = sum(beacon(app, LOOP, 100 + n) for n in range(200))
    assert counted == 60
    assert top(app, clock, "24h")[article_id] == 65
    assert sql(app, article_id) == (65, 65)

    admin, status = login(app)
    assert status == 302
    page = f"/admin/articles/{SLUG}"
    html = admin.get(page).get_data(as_text=True)
    assert "同一地址新身份过多" in html
    row = re.search(r'<tr data-burst="(\d+):a">(.*?)</tr>', html, re.S)
    assert row, html
    cells = re.findall(r'<td class="num">(\d+)</td>', row.group(2))
    assert cells[:4] == ["140", "60", "65", "0"], "held, let through, counted that hour, discounted"
    action, suggested = discount_form(admin, page, html)
    assert suggested == 60
    # The dashboard names the article with the most suspect traffic.
    dashboard = admin.get("/admin/?window=24h").get_data(as_text=True)
    listed = re.search(r"<table class=\"top-table\" data-suspects>(.*?)</table>", dashboard, re.S)
    assert listed is not None, dashboard
    assert f"/admin/articles/{SLUG}#bursts-title" in listed.group(1)
    assert '<td class="num">140</td>' in listed.group(1)

    response = admin.post(action, data={"csrf_token": token(admin, page), "views": "60"})
    assert response.status_code == 302
    # Counts, every window's ranking and the SQL history agree: 5 genuine views.
    assert views(app, article_id) == 5
    for window in ("1h", "24h", "7d", "30d", "all"):
        board = top(app, clock, window)
        assert board[article_id] == 5 and board[other_id] == 5, window
    assert sql(app, article_id) == (5, 5)
    numbers = admin.get("/admin/overview.json?window=24h").get_json()
    assert numbers["views"] == 10 and numbers["suspects"] == 140
    assert numbers["discounted"] == 60
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "discount")
        ).one()
        assert entry.article_id == article_id
        assert json.loads(entry.detail)["views"] == 60
        assert json.loads(entry.detail)["rule"] == "a"
        burst = bursts.bursts(redis_store.client, article_id, clock())[0]
        assert (burst.discounted, burst.discountable, burst.suggested) == (60, 5, 0)
    html = admin.get(page).get_data(as_text=True)
    row = re.search(r'<tr data-burst="(\d+):a">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(\d+)</td>', row.group(2))
    assert cells[:4] == ["140", "60", "5", "60"]
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "扣除可疑阅读" in audit and "扣除阅读 60" in audit


def test_a_discount_is_bounded_by_what_the_hour_counted(site: tuple[Flask, Clock]) -> None:
    app, _clock = site
    admin, _ = login(app)
    quiet = admin.get("/admin/?window=7d").get_data(as_text=True)
    assert "7天内没有可疑流量" in quiet
    for n in range(70):
        beacon(app, LOOP, n)
    page = f"/admin/articles/{SLUG}"
    action, _ = discount_form(admin, page, admin.get(page).get_data(as_text=True))
    for bad in ("61", "0", "-3", "x", ""):
        response = admin.post(action, data={"csrf_token": token(admin, page), "views": bad})
        assert response.status_code == 400, bad
        assert "扣除数应在 1 到 60 之间" in response.get_data(as_text=True)
    missing = action.replace(":a/", ":p/").replace("/a/discount", "/p/discount")
    response = admin.post(missing, data={"csrf_token": token(admin, page), "views": "1"})
    assert response.status_code == 404
    with app.app_context():
        article_id = db.session.scalar(sa.select(Article.id).where(Article.slug == SLUG))
    assert views(app, article_id) == 60, "nothing was taken by a refused discount"


def test_reaction_bursts_are_shown_but_have_nothing_to_discount(
    app_factory: Any, redis_server: Any
) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_REACTIONS_PER_ARTICLE="10/day")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["create-operator", "editor"], input=PASSWORD + "\n").exit_code == 0
    for n in range(15):
        agent = BROWSER.replace("Chrome/130.0.0.0", f"Chrome/130.0.{n}.0")
        reader_client(app, address=LOOP, agent=agent).post(
            f"/api/v1/articles/{SLUG}/reactions", json={"reaction": "smile"}
        )
    admin, _ = login(app)
    html = admin.get(f"/admin/articles/{SLUG}").get_data(as_text=True)
    row = re.search(r'<tr data-burst="(\d+):r">(.*?)</tr>', html, re.S)
    assert row, html
    assert re.findall(r'<td class="num">(\d+)</td>', row.group(2))[:2] == ["5", "10"]
    assert "表态未计入，无需扣除" in row.group(2)
