"""Slug -> :class:`ArticleRef`, cached per worker so counting needs no SQL query.

An imported article's new category reaches the counters within ``TTL`` seconds.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from cachetools import TTLCache
from flask import Flask, current_app

from ..extensions import db
from ..models import Article, Category
from .counters import ArticleRef

TTL = 300
EXTENSION = "engagement.refs"


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found: TTLCache[str, ArticleRef] = TTLCache(maxsize=200_000, ttl=TTL)
        self.missing: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=5)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Cache()


def scopes_for(category: Category) -> tuple[str, ...]:
    return ("all", *(f"c{c.id}" for c in reversed(category.trail())))


def ref_for(article: Article) -> ArticleRef:
    return ArticleRef(
        id=article.id,
        slug=article.slug,
        scopes=scopes_for(article.category),
        published_ts=article.published_at.timestamp(),
    )


def cached(app: Flask, slug: str) -> ArticleRef | None:
    """The article for ``slug`` if this worker has it cached (no query, no app context)."""
    cache: _Cache = app.extensions[EXTENSION]
    with cache.lock:
        return cache.found.get(slug)


def lookup(slug: str) -> ArticleRef | None:
    """The article for ``slug`` or None; misses are remembered briefly too."""
    cache: _Cache = current_app.extensions[EXTENSION]
    with cache.lock:
        ref = cache.found.get(slug)
        if ref is not None or slug in cache.missing:
            return ref
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    with cache.lock:
        if article is None:
            cache.missing[slug] = True
            return None
        ref = cache.found[slug] = ref_for(article)
        return ref


def forget(slug: str) -> None:
    """Drop ``slug`` from this worker's cache (its article was deleted; the other
    workers' entries expire within ``TTL``, and their counts of it are dropped at
    the next flush)."""
    cache: _Cache = current_app.extensions[EXTENSION]
    with cache.lock:
        cache.found.pop(slug, None)
