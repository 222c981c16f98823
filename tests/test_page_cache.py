"""Article, front and category pages from the worker's response cache: kept as
long as the rankings they show, never a reader's private copy, and emptied by
each kind of change this process makes (an editorial action, an import)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from engagement.extensions import db
from engagement.models import Article
from engagement.web import microcache
from tests.conftest import PASSWORD, login, token

SLUG = "kashi-orchard-cooperative"
PAGE = f"/articles/{SLUG}"


@pytest.fixture
def site(app_factory: Any, redis_server: Any) -> Flask:
    app = app_factory(
        redis_server.url, ENGAGEMENT_RANKING_MAX_AGE=60, ENGAGEMENT_RANKING_REFRESHER=False
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["create-operator", "editor"], input=PASSWORD + "\n").exit_code == 0
    return app


def kept(app: Flask) -> int:
    return len(app.extensions[microcache.EXTENSION].entries)


def retitle(app: Flask, title: str) -> None:
    """Change the title behind the cache's back, as another process would."""
    with app.app_context():
        db.session.execute(sa.update(Article).where(Article.slug == SLUG).values(title=title))
        db.session.commit()


def warm(app: Flask, path: str) -> str:
    client = app.test_client()
    client.get(path)  # shows the cache the path
    body = client.get(path).get_data(as_text=True)  # kept
    assert kept(app) >= 1
    return body


@pytest.mark.parametrize("path", [PAGE, "/", "/categories/kashi"])
def test_pages_are_answered_from_the_cache(site: Flask, path: str) -> None:
    if path == "/categories/kashi":
        with site.app_context():
            from engagement.models import Category

            path = "/categories/" + db.session.scalars(sa.select(Category.slug)).first()
    first = warm(site, path)
    retitle(site, "改过的标题")
    again = site.test_client().get(path)
    assert again.status_code == 200 and again.get_data(as_text=True) == first
    assert again.headers["Cache-Control"] == "public, max-age=60"


def test_a_private_copy_is_never_served_from_it(site: Flask) -> None:
    warm(site, PAGE)
    retitle(site, "改过的标题")
    private = site.test_client().get(PAGE + "?reacted=1")
    assert "改过的标题" in private.get_data(as_text=True)
    assert private.headers["Cache-Control"] == "private, no-store"
    again = site.test_client().get(PAGE + "?reacted=1")
    assert "改过的标题" in again.get_data(as_text=True)
    assert kept(site) == 1, "only the public page is kept"


def test_an_editorial_action_empties_it(site: Flask) -> None:
    warm(site, PAGE)
    retitle(site, "改过的标题")
    admin, _ = login(site)
    page = f"/admin/articles/{SLUG}"
    response = admin.post(
        page + "/exclude", data={"csrf_token": token(admin, page), "excluded": "1"}
    )
    assert response.status_code == 302
    assert kept(site) == 0
    assert "改过的标题" in site.test_client().get(PAGE).get_data(as_text=True)


def test_an_import_empties_it(site: Flask, tmp_path: Path) -> None:
    warm(site, PAGE)
    record = {
        "slug": SLUG,
        "title": "导入后的标题",
        "category": "喀什",
        "body": "<p>新的正文。</p>",
        "published_at": "2026-11-20T08:00:00+08:00",
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    result = site.test_cli_runner().invoke(args=["import-articles", str(path)])
    assert result.exit_code == 0, result.output
    assert "导入后的标题" in site.test_client().get(PAGE).get_data(as_text=True)


def test_nothing_is_kept_when_rankings_must_be_fresh(app_factory: Any, redis_server: Any) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_RANKING_MAX_AGE=0)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
    assert kept(app) == 0
