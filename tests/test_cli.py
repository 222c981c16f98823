from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from engagement.extensions import db
from engagement.models import Article, Category, FeaturedTopic, GallerySlide


def counts(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Article, Category, FeaturedTopic, GallerySlide)
        )


def test_init_db_is_idempotent(runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output


def test_seed_demo_loads_content_once(app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    articles, categories, topics, slides = counts(app)
    assert articles >= 12
    assert categories >= 4
    assert topics == 2
    assert slides == 3
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert counts(app) == (articles, categories, topics, slides)
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "articles exist" in result.output


def test_demo_articles_span_categories(demo: Flask) -> None:
    with demo.app_context():
        used = db.session.scalars(sa.select(Article.category_id).distinct()).all()
    assert len(used) >= 4
