"""The numbers behind the dashboard: totals, series, top articles, exports.

Recent windows (24h, 7d, 30d) come from Redis: the hourly traffic hashes, the
unique-reader HyperLogLogs and the ranking buckets. Longer ones (90d) come from
the SQL history that the write-behind keeps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, request

from ..clock import now
from ..extensions import db
from ..models import Article, ArticleDaily, Category
from ..moods import MOOD_KEYS, MOODS
from ..rankings import core as rankings
from ..rankings.core import WINDOW_LABELS, Ranking
from ..rankings.leaderboards import leaderboards
from ..store import bursts, counters
from ..store.keys import ATTENTION_METRICS, DAY, HOUR, LIFETIMES, SOURCES

# The dashboard's windows: the rankings' three recent ones, and 90 days of SQL history.
WINDOWS = {w: WINDOW_LABELS[w] for w in ("24h", "7d", "30d")} | {"90d": "90天"}
REDIS_WINDOWS = {"24h": 24, "7d": 24 * 7, "30d": 24 * 30}
SORT_LABELS = {"views": "阅读", "reactions": "表态", "hot": "热度", "engaged": "专注时长"} | {
    m.key: m.label for m in MOODS
}
SORTS = tuple(SORT_LABELS)
COLUMNS = ("views", "reactions", *MOOD_KEYS)
EXPORT_METRICS = (*COLUMNS, "engaged")
# Read for the ``all`` scope whatever the export's (that is where they are kept).
SITE_METRICS = ATTENTION_METRICS


@dataclass
class Overview:
    window: str
    views: int = 0
    readers: int | None = None
    reactions: int = 0
    moods: dict[str, int] = field(default_factory=dict)
    bots: int | None = None
    repeats: int | None = None
    suspects: int | None = None  # views and reactions held back by a suspect bound
    discounted: int | None = None  # counted views operators took back from a burst
    pinged: int | None = None  # counted views whose page sent a ping while visible
    suspect_pings: int | None = None  # pings claiming more time than had passed
    labels: list[str] = field(default_factory=list)
    views_series: list[int] = field(default_factory=list)
    reactions_series: list[int] = field(default_factory=list)
    # Attention of the window's Redis hours (90 days: of its last 30), admin/attention.py.
    per_hour: list[dict[str, int]] = field(default_factory=list)
    engaged_series: list[int] = field(default_factory=list)


def _local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone(current_app.config["ENGAGEMENT_TIMEZONE"])


def overview(client: Any, window: str, scope: str = "all") -> Overview:
    """The dashboard's numbers for the site (``all``) or one category (``c<id>``).

    24h and 7d are hourly, 30d daily, from Redis. 90 days joins the SQL history
    of the days before the last 30 with Redis for those 30, so that a longer
    window never shows less than a shorter one while SQL waits for a flush.
    """
    result = Overview(window=window)
    t = now()
    current = math.floor(t / HOUR)
    hours = list(range(current - REDIS_WINDOWS.get(window, 24 * 30) + 1, current + 1))
    per_hour = counters.hourly_stats(client, hours, scope)
    result.per_hour = per_hour
    views = [s.get("views_counted", 0) for s in per_hour]
    reactions = [sum(s.get(f"r_{m}", 0) for m in MOOD_KEYS) for s in per_hour]
    result.moods = {m: sum(s.get(f"r_{m}", 0) for s in per_hour) for m in MOOD_KEYS}
    result.bots = sum(s.get("views_bot", 0) + s.get("reactions_bot", 0) for s in per_hour)
    result.repeats = sum(s.get("views_repeat", 0) for s in per_hour)
    result.suspects = sum(
        s.get("views_suspect", 0) + s.get("reactions_suspect", 0) for s in per_hour
    )
    result.discounted = sum(s.get("views_discounted", 0) for s in per_hour)
    result.pinged = sum(s.get("views_pinged", 0) for s in per_hour)
    result.suspect_pings = sum(s.get("pings_suspect", 0) for s in per_hour)
    if window in ("24h", "7d"):
        result.readers = counters.unique_readers(client, "h", hours, scope)
        fmt = "%H:00" if window == "24h" else "%m-%d %H时"
        result.labels = [_local(h * HOUR).strftime(fmt) for h in hours]
        result.views_series, result.reactions_series = views, reactions
        result.engaged_series = [s.get("engaged", 0) for s in per_hour]
    else:
        days, by_day = _by_day(hours, views, reactions)
        result.labels = [_local(d * DAY).strftime("%m-%d") for d in days]
        result.views_series = [by_day[d][0] for d in days]
        result.reactions_series = [by_day[d][1] for d in days]
        engaged: dict[int, int] = defaultdict(int)
        for hour, s in zip(hours, per_hour, strict=True):
            engaged[hour * HOUR // DAY] += s.get("engaged", 0)
        result.engaged_series = [engaged[d] for d in days]
        if window == "30d":
            result.readers = counters.unique_readers(client, "d", days, scope)
        else:
            _prepend_history(result, days[0], scope)
    result.views = sum(result.views_series)
    result.reactions = sum(result.reactions_series)
    return result


def _by_day(
    hours: list[int], views: list[int], reactions: list[int]
) -> tuple[list[int], dict[int, list[int]]]:
    """Hourly series summed per UTC day index."""
    by_day: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for hour, v, r in zip(hours, views, reactions, strict=True):
        slot = by_day[hour * HOUR // DAY]
        slot[0] += v
        slot[1] += r
    return sorted(by_day), by_day


def _prepend_history(result: Overview, first_redis_day: int, scope: str) -> None:
    """90 days: the 60 days before Redis's 30 from SQL (no unique readers, no
    bots: their Redis records last 31 days)."""
    result.readers = None
    result.bots = None
    result.suspects = None
    result.discounted = None
    result.pinged = None
    result.suspect_pings = None
    end = datetime.fromtimestamp(first_redis_day * DAY, UTC).date()
    first = end - timedelta(days=90 - len(result.labels))
    columns = [ArticleDaily.views, ArticleDaily.reactions] + [
        getattr(ArticleDaily, m) for m in MOOD_KEYS
    ]
    query = (
        sa.select(ArticleDaily.day, *(sa.func.sum(c) for c in columns))
        .where(ArticleDaily.day >= first, ArticleDaily.day < end)
        .group_by(ArticleDaily.day)
    )
    if scope != "all":
        query = query.join(Article, Article.id == ArticleDaily.article_id).where(
            Article.category_id.in_(category_ids(scope))
        )
    by_date = {row[0]: [int(v or 0) for v in row[1:]] for row in db.session.execute(query)}
    dates = [first + timedelta(days=i) for i in range((end - first).days)]
    zero = [0] * (2 + len(MOOD_KEYS))
    result.labels = [d.strftime("%m-%d") for d in dates] + result.labels
    result.views_series = [by_date.get(d, zero)[0] for d in dates] + result.views_series
    result.reactions_series = [by_date.get(d, zero)[1] for d in dates] + result.reactions_series
    for i, m in enumerate(MOOD_KEYS):
        result.moods[m] += sum(by_date.get(d, zero)[2 + i] for d in dates)


def request_scope() -> tuple[str, str | None]:
    """This request's ``category`` parameter as a scope (400 for an unknown one)."""
    category = request.args.get("category") or None
    scope = leaderboards().scope_for(category)
    if scope is None:
        abort(400, description="没有这个栏目。")
    return scope, category


def category_ids(scope: str) -> list[int]:
    """A ``c<id>`` scope's category and its subcategories."""
    ids = [int(scope[1:])]
    ids += list(db.session.scalars(sa.select(Category.id).where(Category.parent_id == ids[0])))
    return ids


def top_articles(
    client: Any, window: str, sort: str, scope: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The table under the chart, editorial controls applied; each row says
    whether it is pinned there. 90 days: the SQL history before the last 30
    days plus the 30-day ranking from Redis (never less than 30 days shows)."""
    boards = leaderboards()
    if window in REDIS_WINDOWS:
        r = Ranking(window, sort, scope)
        pinned = {article for _, article in boards.editorial()[1].get(r.name, ())}
        return [
            {
                "rank": i.rank,
                "slug": i.slug,
                "title": i.title,
                "score": i.score,
                "pinned": i.article_id in pinned,
                "url": i.url,
            }
            for i in boards.board(r).items[:limit]
        ]
    metric = sort if sort != "hot" else "views"
    recent = Ranking("30d", metric, scope)
    totals: dict[int, float] = defaultdict(float)
    for article_id, raw in rankings.read_all(client, recent, now()):
        totals[article_id] += int(rankings.display_score(recent, raw))
    today = datetime.fromtimestamp(now(), UTC).date()
    column = getattr(ArticleDaily, metric)
    older = sa.select(ArticleDaily.article_id, sa.func.sum(column)).where(
        ArticleDaily.day >= today - timedelta(days=89),
        ArticleDaily.day < today - timedelta(days=29),
    )
    if scope != "all":
        older = older.join(Article, Article.id == ArticleDaily.article_id).where(
            Article.category_id.in_(category_ids(scope))
        )
    for article_id, value in db.session.execute(older.group_by(ArticleDaily.article_id)):
        totals[article_id] += int(value or 0)
    excluded = boards.editorial()[0]
    ids = [a for a, v in totals.items() if v > 0 and a not in excluded]
    articles = (
        {a.id: a for a in db.session.scalars(sa.select(Article).where(Article.id.in_(ids)))}
        if ids
        else {}
    )
    ordered = sorted(
        articles.values(), key=lambda a: (-totals[a.id], -a.published_at.timestamp(), a.id)
    )
    return [
        {
            "rank": n,
            "slug": a.slug,
            "title": a.title,
            "score": int(totals[a.id]),
            "pinned": False,
            "url": a.url,
        }
        for n, a in enumerate(ordered[:limit], start=1)
    ]


def excluded_articles(scope: str) -> list[Article]:
    """Articles kept out of every ranking, so the table can say they are missing."""
    query = sa.select(Article).where(Article.ranking_excluded).order_by(Article.title)
    if scope != "all":
        query = query.where(Article.category_id.in_(category_ids(scope)))
    return list(db.session.scalars(query))


def export_rows(client: Any, window: str, scope: str) -> list[dict[str, Any]]:
    """Per-article numbers of a window for CSV/JSON: every article with activity."""
    ranking_window = window if window in rankings.WINDOWS else "all"
    wanted = [Ranking(ranking_window, metric, scope) for metric in EXPORT_METRICS] + [
        Ranking(ranking_window, metric, "all") for metric in SITE_METRICS
    ]
    per_metric: dict[str, dict[int, int]] = {}
    for r in wanted:
        per_metric[r.metric] = {
            a: int(rankings.display_score(r, raw)) for a, raw in rankings.read_all(client, r, now())
        }
    ids = set().union(*(per_metric[m].keys() for m in EXPORT_METRICS))
    articles = (
        {a.id: a for a in db.session.scalars(sa.select(Article).where(Article.id.in_(ids)))}
        if ids
        else {}
    )
    rows = []
    for article_id, article in articles.items():
        row: dict[str, Any] = {
            "slug": article.slug,
            "title": article.title,
            "category": article.category.name,
            "published_at": article.published_at.isoformat(),
        }
        for metric in COLUMNS:
            row[metric] = int(per_metric[metric].get(article_id, 0))
        row.update(_attention_columns(article_id, row["views"], per_metric))
        rows.append(row)
    rows.sort(key=lambda r: (-r["views"], -r["reactions"], r["slug"]))
    return rows


def _attention_columns(
    article_id: int, views: int, per_metric: dict[str, dict[int, int]]
) -> dict[str, Any]:
    """stats.json's attention columns of one article (README, 注意力)."""
    att = Attention.from_totals({m: per_metric[m].get(article_id, 0) for m in per_metric}, views)
    return {
        "engaged_seconds": att.engaged,
        "avg_engaged_seconds": att.avg_engaged,
        "scroll_depth": att.scroll_depth,
        "read_through": att.read_through,
        "recirculation": att.recirculation,
        "sources": att.sources,
    }


DEPTH_SCALE = LIFETIMES["DEPTH_SCALE"]


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Attention:
    """A window's attention numbers of the site, a category or an article."""

    views: int = 0
    engaged: int = 0
    depth: int = 0  # sum of each view's depth, in thousandths
    depth_views: int = 0
    through: int = 0
    recirc: int = 0
    sources: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    hosts: list[tuple[str, int]] = field(default_factory=list)
    visitors: dict[str, int] = field(default_factory=lambda: {"new": 0, "returning": 0})

    @classmethod
    def from_totals(cls, totals: Mapping[str, int], views: int, **extra: Any) -> Attention:
        """From summed attention metrics (``keys.ATTENTION_METRICS`` and ``engaged``)."""
        return cls(
            views=views,
            engaged=totals["engaged"],
            depth=totals["depth"],
            depth_views=totals["depthn"],
            through=totals["through"],
            recirc=totals["recirc"],
            sources={s: totals[f"src_{s}"] for s in SOURCES},
            **extra,
        )

    @property
    def avg_engaged(self) -> float | None:
        return round(self.engaged / self.views, 1) if self.views else None

    @property
    def scroll_depth(self) -> float | None:
        return ratio(self.depth / DEPTH_SCALE, self.depth_views)

    @property
    def read_through(self) -> float | None:
        return ratio(self.through, self.depth_views)

    @property
    def recirculation(self) -> float | None:
        return ratio(self.recirc, self.views)


# UTC days the dashboard's list of suspect articles covers, today included
# (Redis keeps them a month).
SUSPECT_DAYS = {"24h": 2, "7d": 8, "30d": 31, "90d": 31}


def suspect_articles(client: Any, window: str, scope: str) -> list[tuple[Article, int]]:
    """The window's articles with the most suspect traffic held back, for the dashboard."""
    today = int(now() // DAY)
    days = range(today - SUSPECT_DAYS[window] + 1, today + 1)
    found = bursts.most_suspect(client, scope, days, 10)
    by_id = {
        a.id: a
        for a in db.session.scalars(sa.select(Article).where(Article.id.in_([i for i, _ in found])))
    }
    return [(by_id[i], held) for i, held in found if i in by_id]
