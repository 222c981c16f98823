"""The reader-facing HTML pages: front page, article, category."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from cachetools import TTLCache
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import TooManyRequests

from ..extensions import RedisUnavailable, db, redis_store
from ..ingest import events, readers
from ..ingest.origins import same_origin
from ..models import Article, Category, FeaturedLink, FeaturedTopic, GallerySlide
from ..moods import MOOD_KEYS, MOODS
from ..params import whole_number
from ..rankings.core import WINDOW_LABELS, Ranking, cache_seconds
from ..rankings.leaderboards import leaderboards
from ..related import store as related
from ..store import counters, refs
from ..store.counters import ReactionState
from ..store.limits import RateLimited
from . import microcache
from .security import NO_STORE

bp = Blueprint("pages", __name__)

RANKING_SIZE = 10
RELATED_SIZE = 6


def latest(limit: int, exclude: int | None = None) -> list[Article]:
    query = sa.select(Article).order_by(Article.published_at.desc(), Article.id.desc())
    if exclude is not None:
        query = query.where(Article.id != exclude)
    return list(db.session.scalars(query.limit(limit)))


SIDEBAR_CACHE = "engagement.sidebar"
RANKING_TABS = tuple((w, WINDOW_LABELS[w]) for w in ("24h", "7d", "30d"))
ENGAGED_TAB = "专注"


def ranking_panels() -> dict[str, Any] | None:
    """新闻排行 by window and by mood, or None while Redis is unavailable."""
    boards = leaderboards()
    try:
        windows = [
            (key, label, boards.top(Ranking(key, "views"), RANKING_SIZE))
            for key, label in RANKING_TABS
        ]
        # 读者专注: the most engaged time of the last 24 hours (attention pings).
        engaged = boards.top(Ranking("24h", "engaged"), RANKING_SIZE)
        windows.append(("engaged", ENGAGED_TAB, engaged))
        moods = [(m.key, m.label, boards.top(Ranking("24h", m.key), RANKING_SIZE)) for m in MOODS]
    except RedisUnavailable:
        return None
    return {
        "tabs": [*RANKING_TABS, ("engaged", ENGAGED_TAB), ("mood", "心情")],
        "windows": windows,
        "mood_tabs": [(m.key, m.label) for m in MOODS],
        "moods": moods,
    }


def hot_list(size: int = 5) -> tuple[Any, ...]:
    """The front page's 热点: the hottest articles of the last 24 hours."""
    try:
        return leaderboards().top(Ranking("24h", "hot"), size)
    except RedisUnavailable:
        return ()


def sidebar() -> dict[str, Any]:
    """The sidebar every page shows (特别关注, 魅力新疆, 新闻排行), rendered once
    per worker for half of ``ENGAGEMENT_RANKING_MAX_AGE``: the same for every
    page and reader, and the costliest part of a page to render."""
    cache: TTLCache[str, Markup] = current_app.extensions[SIDEBAR_CACHE]
    html = cache.get(request.host_url)
    if html is None:
        topics = db.session.scalars(
            sa.select(FeaturedTopic)
            .options(selectinload(FeaturedTopic.links).joinedload(FeaturedLink.article))
            .order_by(FeaturedTopic.position)
        )
        slides = db.session.scalars(sa.select(GallerySlide).order_by(GallerySlide.position))
        panels = ranking_panels()
        html = Markup(
            render_template(
                "sidebar.html",
                featured_topics=list(topics),
                gallery=list(slides),
                ranking_panels=panels,
                ranking=[] if panels else latest(RANKING_SIZE),
            )
        )
        if panels is not None:  # keep retrying while Redis is down
            cache[request.host_url] = html
    return {"sidebar_html": html}


def init_app(app: Flask) -> None:
    ttl = max(1.0, cache_seconds(app.config))
    app.extensions[SIDEBAR_CACHE] = TTLCache(maxsize=64, ttl=ttl)
    microcache.built_from(app, app.extensions[SIDEBAR_CACHE])


def nav_categories() -> list[Category]:
    query = sa.select(Category).where(Category.parent_id.is_(None))
    return list(db.session.scalars(query.order_by(Category.position, Category.id)))


def related_for(article: Article) -> list[Article]:
    return [a for a, _ in related.suggestions(article, RELATED_SIZE)]


def cacheable(response: Response, seconds: int = 60) -> Response:
    """Pages carry no per-reader data, so shared caches may keep them briefly.

    This worker answers repeats from its response cache (``microcache``) for as
    long as the rankings they show stay in it (half of
    ``ENGAGEMENT_RANKING_MAX_AGE``, the sidebar's own life), so a page's
    rankings lag no more than the setting allows; an editorial change or an
    import in this process empties it at once (``leaderboards().forget``).
    """
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return microcache.keep(response, min(seconds, cache_seconds(current_app.config)))


def _page_number() -> int:
    raw = request.args.get("page", "1")
    page = whole_number(raw)
    if page is None or page < 1:
        abort(400, description="页码必须是正整数。")
    if len(raw) > 6:  # far beyond any real page; SQL OFFSET must stay in range
        abort(404)
    return page


def _newest_first(query: sa.Select[Any], page: int) -> Any:
    """One page of articles, newest first; a page past the last is a 404."""
    pagination = db.paginate(
        query.order_by(Article.published_at.desc(), Article.id.desc()),
        page=page,
        per_page=current_app.config["ENGAGEMENT_PAGE_SIZE"],
        error_out=False,
    )
    if page > 1 and not pagination.items:
        abort(404)
    return pagination


@bp.get("/")
def index() -> Response:
    page = _page_number()
    pagination = _newest_first(sa.select(Article), page)
    html = render_template(
        "index.html",
        pagination=pagination,
        hot=hot_list() if page == 1 else (),
        nav=nav_categories(),
        **sidebar(),
    )
    return cacheable(Response(html))


def reaction_counts(article_id: int, reader: str | None) -> ReactionState | None:
    """Counts for the reaction bar, or None while Redis is unavailable."""
    try:
        with redis_store.guard() as client:
            return counters.reaction_state(client, article_id, reader)
    except RedisUnavailable:
        return None


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    item = db.first_or_404(sa.select(Article).where(Article.slug == slug))
    if item.url:  # a publisher's article is read on its own page
        return cacheable(Response(status=302, headers={"Location": item.url}))
    # The shared, cacheable page shows nobody's own mood. Right after a form
    # post (no JavaScript) the redirect adds ?reacted=1: that private copy does.
    personal = "reacted" in request.args
    reader = readers.reader_from_cookie() if personal else None
    html = render_template(
        "article.html",
        article=item,
        trail=item.category.trail(),
        moods=MOODS,
        reactions=reaction_counts(item.id, reader),
        related=related_for(item),
        nav=nav_categories(),
        **sidebar(),
    )
    response = Response(html)
    if personal:
        response.headers["Cache-Control"] = NO_STORE
        return response
    return cacheable(response)


def same_site_post() -> bool:
    """CSRF check for the no-JavaScript forms, without a token.

    A token inside cached HTML would expire or belong to someone else's session
    (the WordPress Popular Posts nonce problem), so the forms are protected the
    way browsers allow without one: Fetch Metadata when sent, else Origin, else
    Referer must name this site. A form post that carries none is refused.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value and value != "null":
            return same_origin(value, request.host_url)
    return False


@bp.post("/articles/<slug>/reactions")
def react(slug: str) -> ResponseReturnValue:
    """The reaction bar without JavaScript: post a mood, get the page back."""
    if not same_site_post():
        abort(403, description="请从本站页面提交心情。")
    ref = refs.lookup(slug)
    if ref is None:
        abort(404)
    mood = request.form.get("reaction", "")
    if mood not in MOOD_KEYS:
        abort(400, description="未知的心情。")
    config = current_app.config
    agent = request.environ.get("HTTP_USER_AGENT", "")
    limit = events.reaction_limit(config, readers.client_address())
    try:
        with redis_store.guard() as client:
            events.change_reaction(
                client, ref, readers.current_reader(), agent, mood, config, limit, toggle=True
            )
    except RedisUnavailable:
        abort(503, description="心情计数暂时不可用，请稍后再试。")
    except RateLimited as exc:
        raise TooManyRequests("操作过于频繁，请稍后再试。", retry_after=exc.retry_after) from None
    return redirect(url_for("pages.article", slug=slug, reacted=1, _anchor="reactions"), 303)


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    item = db.first_or_404(sa.select(Category).where(Category.slug == slug))
    page = _page_number()
    children = db.session.scalars(sa.select(Category.id).where(Category.parent_id == item.id))
    ids = [item.id, *children]
    pagination = _newest_first(sa.select(Article).where(Article.category_id.in_(ids)), page)
    html = render_template(
        "category.html",
        category=item,
        trail=item.trail(),
        pagination=pagination,
        nav=nav_categories(),
        **sidebar(),
    )
    return cacheable(Response(html))
