"""Rankings as readers see them: cached per worker, with article titles and URLs.

Vocabulary after the leaderboard libraries: :meth:`Leaderboards.top`,
:meth:`Leaderboards.rank_for` (1-based, None when unranked).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cachetools import TTLCache
from flask import Flask, abort, current_app, request

from ..clock import now
from ..extensions import db, redis_store
from ..models import Article, Category, RankingPin
from ..params import in_range
from ..web import microcache
from . import core as rankings
from .core import MAX_ITEMS, Ranking, Upkeep, cache_seconds

EXTENSION = "engagement.leaderboards"
EXCLUSION_SLACK = 20


def edit(
    entries: tuple[tuple[int, float], ...],
    excluded: frozenset[int],
    pins: Iterable[tuple[int, int]],
) -> list[tuple[int, float]]:
    """Apply editorial controls: drop excluded articles, put pinned ones in place.

    A pin wins over an exclusion; a pinned article keeps its own score.
    """
    pinned = list(pins)
    pinned_ids = {article for _, article in pinned}
    scores = dict(entries)
    out = [(a, s) for a, s in entries if a not in excluded and a not in pinned_ids]
    for position, article in sorted(pinned):
        out.insert(min(max(position, 1) - 1, len(out)), (article, scores.get(article, 0.0)))
    return out


@dataclass(frozen=True)
class Item:
    rank: int
    article_id: int
    slug: str
    title: str
    score: float | int
    published_at: datetime
    url: str | None = None  # a publisher's article: its own page


@dataclass(frozen=True)
class Board:
    ranking: Ranking
    generation: str
    generated_at: float
    items: tuple[Item, ...]
    fetched: float = 0.0  # time.monotonic() when this worker read it


@dataclass(frozen=True)
class _Summary:
    slug: str
    title: str
    published_at: datetime
    url: str | None


class Leaderboards:
    """Per-app state: the worker cache, article summaries and the window upkeep."""

    def __init__(self, app: Flask) -> None:
        keep = cache_seconds(app.config)
        self.app = app
        self.lock = threading.Lock()
        self.boards: TTLCache[Ranking, Board] | None = (
            TTLCache(maxsize=4096, ttl=keep) if keep > 0 else None
        )
        self.summaries: TTLCache[int, _Summary] = TTLCache(maxsize=100_000, ttl=300)
        self.editorial_cache: TTLCache[
            str, tuple[frozenset[int], dict[str, list[tuple[int, int]]], str]
        ] = TTLCache(maxsize=1, ttl=max(1.0, keep))
        self.scopes: TTLCache[str, str | None] = TTLCache(maxsize=10_000, ttl=60)

        def clock() -> float:
            with app.app_context():
                return now()

        self.upkeep = Upkeep(app, lambda: _client(app), clock)

    def board(self, r: Ranking) -> Board:
        if self.boards is not None:
            with self.lock:
                found = self.boards.get(r)
            if found is not None:
                return found
        # Read beyond MAX_ITEMS so that excluded articles leave no gaps.
        depth = MAX_ITEMS + EXCLUSION_SLACK
        with redis_store.guard() as client:
            stored = rankings.read(client, r, depth, now())
        self.upkeep.ensure_started()
        excluded, pins, version = self.editorial()
        entries = edit(stored.entries, excluded, pins.get(r.name, ()))[:MAX_ITEMS]
        generation = f"{stored.generation}.{version}"
        board = Board(
            r, generation, stored.generated_at, self._items(r, tuple(entries)), time.monotonic()
        )
        if self.boards is not None:
            with self.lock:
                self.boards[r] = board
        return board

    def editorial(self) -> tuple[frozenset[int], dict[str, list[tuple[int, int]]], str]:
        """Excluded article ids and pins per ranking, cached like the boards."""
        with self.lock:
            found = self.editorial_cache.get("editorial")
        if found is not None:
            return found
        excluded = frozenset(
            db.session.scalars(sa.select(Article.id).where(Article.ranking_excluded))
        )
        pins: dict[str, list[tuple[int, int]]] = {}
        for pin in db.session.scalars(sa.select(RankingPin).order_by(RankingPin.position)):
            pins.setdefault(pin.ranking, []).append((pin.position, pin.article_id))
        digest = hashlib.sha256(repr((sorted(excluded), sorted(pins.items()))).encode())
        found = (excluded, pins, digest.hexdigest()[:8])
        with self.lock:
            self.editorial_cache["editorial"] = found
        return found

    def fresh_for(self, board: Board) -> float:
        """Seconds this worker keeps serving ``board`` (0 when it is not cached)."""
        if self.boards is None:
            return 0.0
        return board.fetched + self.boards.ttl - time.monotonic()

    def forget(self) -> None:
        """Drop this worker's caches after an editorial change or an import (others
        follow within half of ENGAGEMENT_RANKING_MAX_AGE)."""
        with self.lock:
            self.editorial_cache.clear()
            self.summaries.clear()
            if self.boards is not None:
                self.boards.clear()
        microcache.forget(self.app)

    def top(self, r: Ranking, n: int) -> tuple[Item, ...]:
        return self.board(r).items[:n]

    def rank_for(self, r: Ranking, article_id: int) -> int | None:
        with redis_store.guard() as client:
            return rankings.rank_of(client, r, article_id)

    def scope_for(self, category_slug: str | None) -> str | None:
        """``all``, ``c<id>`` for a known category slug, or None for an unknown one."""
        if not category_slug:
            return "all"
        with self.lock:
            if category_slug in self.scopes:
                return self.scopes[category_slug]
        found = db.session.scalar(sa.select(Category.id).where(Category.slug == category_slug))
        scope = None if found is None else f"c{found}"
        with self.lock:
            self.scopes[category_slug] = scope
        return scope

    def _items(self, r: Ranking, entries: tuple[tuple[int, float], ...]) -> tuple[Item, ...]:
        with self.lock:
            missing = [i for i, _ in entries if i not in self.summaries]
        if missing:
            rows = db.session.execute(
                sa.select(
                    Article.id, Article.slug, Article.title, Article.published_at, Article.url
                ).where(Article.id.in_(missing))
            )
            with self.lock:
                for row in rows:
                    self.summaries[row.id] = _Summary(
                        row.slug, row.title, row.published_at, row.url
                    )
        items: list[Item] = []
        with self.lock:
            for article_id, raw in entries:
                summary = self.summaries.get(article_id)
                if summary is None:  # deleted since it was counted
                    continue
                items.append(
                    Item(
                        rank=len(items) + 1,
                        article_id=article_id,
                        slug=summary.slug,
                        title=summary.title,
                        score=rankings.display_score(r, raw),
                        published_at=summary.published_at,
                        url=summary.url,
                    )
                )
        return tuple(items)


class BadParameter(ValueError):
    """A ranking query parameter is out of range; ``code`` names it for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Query:
    ranking: Ranking
    limit: int
    category: str | None


def arg(args: Mapping[str, str], name: str, default: str) -> str:
    """``args.get(name, default)`` without werkzeug's raise-and-catch on a miss
    (it builds an HTTPException for every absent parameter)."""
    return args[name] if name in args else default


def choice(args: Mapping[str, str], name: str, default: str, allowed: Collection[str]) -> str:
    value = arg(args, name, default)
    if value not in allowed:
        raise BadParameter(f"invalid_{name}", f"'{name}' must be one of: {', '.join(allowed)}.")
    return value


def choice_or_400(name: str, default: str, allowed: Collection[str]) -> str:
    """``choice`` for HTML views: a bad value is a 400 page naming the parameter."""
    try:
        return choice(request.args, name, default, allowed)
    except BadParameter as exc:
        abort(400, description=exc.message)


def parse_query(args: Mapping[str, str]) -> Query:
    """The window/metric/category/limit parameters shared by the API and the widgets."""
    window = choice(args, "window", "24h", rankings.WINDOWS)
    metric = choice(args, "metric", "views", rankings.METRICS)
    limit = in_range(arg(args, "limit", "10"), 1, MAX_ITEMS)
    if limit is None:
        raise BadParameter("invalid_limit", f"'limit' must be a whole number 1-{MAX_ITEMS}.")
    category = arg(args, "category", "") or None
    scope = leaderboards().scope_for(category)
    if scope is None:
        raise BadParameter("unknown_category", f"No category with slug {category!r}.")
    return Query(Ranking(window, metric, scope), limit, category)


def _client(app: Flask) -> object:
    with app.app_context():
        return redis_store.client


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Leaderboards(app)


def leaderboards() -> Leaderboards:
    return current_app.extensions[EXTENSION]
