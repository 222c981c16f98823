"""The reader-facing HTML pages: front page, article, category."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request

from .extensions import db
from .models import Article, Category, FeaturedTopic, GallerySlide
from .moods import MOODS

bp = Blueprint("pages", __name__)

RANKING_SIZE = 10
RELATED_SIZE = 6


def latest(limit: int, exclude: int | None = None) -> list[Article]:
    query = sa.select(Article).order_by(Article.published_at.desc(), Article.id.desc())
    if exclude is not None:
        query = query.where(Article.id != exclude)
    return list(db.session.scalars(query.limit(limit)))


def sidebar() -> dict[str, Any]:
    """The regions every page's sidebar shows: 特别关注, 魅力新疆, 新闻排行."""
    topics = db.session.scalars(sa.select(FeaturedTopic).order_by(FeaturedTopic.position))
    slides = db.session.scalars(sa.select(GallerySlide).order_by(GallerySlide.position))
    return {
        "featured_topics": list(topics),
        "gallery": list(slides),
        "ranking": latest(RANKING_SIZE),
    }


def nav_categories() -> list[Category]:
    query = sa.select(Category).where(Category.parent_id.is_(None))
    return list(db.session.scalars(query.order_by(Category.position, Category.id)))


def related_for(article: Article) -> list[Article]:
    """Same-category articles, newest first, topped up with the latest others."""
    query = (
        sa.select(Article)
        .where(Article.category_id == article.category_id, Article.id != article.id)
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(RELATED_SIZE)
    )
    items = list(db.session.scalars(query))
    if len(items) < RELATED_SIZE:
        seen = {a.id for a in items}
        extra = (a for a in latest(RELATED_SIZE * 2, exclude=article.id) if a.id not in seen)
        items.extend(list(extra)[: RELATED_SIZE - len(items)])
    return items


def cacheable(response: Response, seconds: int = 60) -> Response:
    """Pages carry no per-reader data, so shared caches may keep them briefly."""
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(400, description="页码必须是正整数。")
    return int(raw)


@bp.get("/")
def index() -> Response:
    page = _page_number()
    pagination = db.paginate(
        sa.select(Article).order_by(Article.published_at.desc(), Article.id.desc()),
        page=page,
        per_page=current_app.config["ENGAGEMENT_PAGE_SIZE"],
        error_out=False,
    )
    if page > 1 and not pagination.items:
        abort(404)
    html = render_template("index.html", pagination=pagination, nav=nav_categories(), **sidebar())
    return cacheable(Response(html))


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    item = db.first_or_404(sa.select(Article).where(Article.slug == slug))
    html = render_template(
        "article.html",
        article=item,
        trail=item.category.trail(),
        moods=MOODS,
        related=related_for(item),
        nav=nav_categories(),
        **sidebar(),
    )
    return cacheable(Response(html))


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    item = db.first_or_404(sa.select(Category).where(Category.slug == slug))
    page = _page_number()
    children = db.session.scalars(sa.select(Category.id).where(Category.parent_id == item.id))
    ids = [item.id, *children]
    pagination = db.paginate(
        sa.select(Article)
        .where(Article.category_id.in_(ids))
        .order_by(Article.published_at.desc(), Article.id.desc()),
        page=page,
        per_page=current_app.config["ENGAGEMENT_PAGE_SIZE"],
        error_out=False,
    )
    if page > 1 and not pagination.items:
        abort(404)
    html = render_template(
        "category.html",
        category=item,
        trail=item.trail(),
        pagination=pagination,
        nav=nav_categories(),
        **sidebar(),
    )
    return cacheable(Response(html))
