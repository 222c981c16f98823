"""The numbers behind the dashboard: totals, series, top articles, exports.

Recent windows (24h, 7d, 30d) come from Redis: the hourly traffic hashes, the
unique-reader HyperLogLogs and the ranking buckets. Longer ones (90d) come from
the SQL history that the write-behind keeps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import counters, rankings
from ..counters import DAY, HOUR
from ..extensions import db
from ..leaderboards import leaderboards
from ..models import Article, ArticleDaily, Category
from ..moods import MOOD_KEYS, MOODS
from ..rankings import Ranking
from ..tracking import now

WINDOWS = {"24h": "24小时", "7d": "7天", "30d": "30天", "90d": "90天"}
REDIS_WINDOWS = {"24h": 24, "7d": 24 * 7, "30d": 24 * 30}
SORT_LABELS = {"views": "阅读", "reactions": "表态", "hot": "热度"} | {
    m.key: m.label for m in MOODS
}
SORTS = tuple(SORT_LABELS)
EXPORT_METRICS = ("views", "reactions", *MOOD_KEYS)


@dataclass
class Overview:
    window: str
    views: int = 0
    readers: int | None = None
    reactions: int = 0
    moods: dict[str, int] = field(default_factory=dict)
    bots: int | None = None
    repeats: int | None = None
    labels: list[str] = field(default_factory=list)
    views_series: list[int] = field(default_factory=list)
    reactions_series: list[int] = field(default_factory=list)


def _local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone(current_app.config["ENGAGEMENT_TIMEZONE"])


def overview(client: Any, window: str) -> Overview:
    result = Overview(window=window)
    t = now()
    if window in REDIS_WINDOWS:
        current = math.floor(t / HOUR)
        hours = list(range(current - REDIS_WINDOWS[window] + 1, current + 1))
        per_hour = counters.hourly_stats(client, hours)
        for stats in per_hour:
            result.views += stats.get("views_counted", 0)
            result.reactions += sum(stats.get(f"r_{m}", 0) for m in MOOD_KEYS)
        result.moods = {m: sum(s.get(f"r_{m}", 0) for s in per_hour) for m in MOOD_KEYS}
        result.bots = sum(s.get("views_bot", 0) + s.get("reactions_bot", 0) for s in per_hour)
        result.repeats = sum(s.get("views_repeat", 0) for s in per_hour)
        if window == "30d":
            days = sorted({h * HOUR // DAY for h in hours})
            result.readers = counters.unique_readers(client, "d", days)
            by_day: dict[int, list[int]] = defaultdict(lambda: [0, 0])
            for hour, stats in zip(hours, per_hour, strict=True):
                slot = by_day[hour * HOUR // DAY]
                slot[0] += stats.get("views_counted", 0)
                slot[1] += sum(stats.get(f"r_{m}", 0) for m in MOOD_KEYS)
            result.labels = [_local(d * DAY).strftime("%m-%d") for d in days]
            result.views_series = [by_day[d][0] for d in days]
            result.reactions_series = [by_day[d][1] for d in days]
        else:
            result.readers = counters.unique_readers(client, "h", hours)
            fmt = "%H:00" if window == "24h" else "%m-%d %H时"
            result.labels = [_local(h * HOUR).strftime(fmt) for h in hours]
            result.views_series = [s.get("views_counted", 0) for s in per_hour]
            result.reactions_series = [sum(s.get(f"r_{m}", 0) for m in MOOD_KEYS) for s in per_hour]
        return result
    # 90 days: the SQL history (no unique readers: their HyperLogLogs last 31 days).
    today = datetime.fromtimestamp(t, UTC).date()
    first = today - timedelta(days=89)
    columns = [ArticleDaily.views, ArticleDaily.reactions] + [
        getattr(ArticleDaily, m) for m in MOOD_KEYS
    ]
    rows = db.session.execute(
        sa.select(ArticleDaily.day, *(sa.func.sum(c) for c in columns))
        .where(ArticleDaily.day >= first)
        .group_by(ArticleDaily.day)
    ).all()
    by_date = {row[0]: [int(v or 0) for v in row[1:]] for row in rows}
    dates = [first + timedelta(days=i) for i in range(90)]
    zero = [0] * (2 + len(MOOD_KEYS))
    result.labels = [d.strftime("%m-%d") for d in dates]
    result.views_series = [by_date.get(d, zero)[0] for d in dates]
    result.reactions_series = [by_date.get(d, zero)[1] for d in dates]
    result.views = sum(result.views_series)
    result.reactions = sum(result.reactions_series)
    result.moods = {
        m: sum(by_date.get(d, zero)[2 + i] for d in dates) for i, m in enumerate(MOOD_KEYS)
    }
    return result


def top_articles(window: str, sort: str, scope: str, limit: int = 50) -> list[dict[str, Any]]:
    """The table under the chart: a ranking from Redis, or from SQL for 90 days."""
    if window in REDIS_WINDOWS:
        board = leaderboards().board(Ranking(window, sort, scope))
        return [
            {"rank": i.rank, "slug": i.slug, "title": i.title, "score": i.score}
            for i in board.items[:limit]
        ]
    metric = sort if sort != "hot" else "views"
    column = getattr(ArticleDaily, metric)
    first = datetime.fromtimestamp(now(), UTC).date() - timedelta(days=89)
    query = (
        sa.select(Article.slug, Article.title, sa.func.sum(column).label("score"))
        .join(ArticleDaily, ArticleDaily.article_id == Article.id)
        .where(ArticleDaily.day >= first)
        .group_by(Article.id, Article.slug, Article.title)
        .having(sa.func.sum(column) > 0)
        .order_by(sa.desc("score"), Article.published_at.desc())
        .limit(limit)
    )
    if scope != "all":
        ids = [int(scope[1:])]
        ids += list(db.session.scalars(sa.select(Category.id).where(Category.parent_id == ids[0])))
        query = query.where(Article.category_id.in_(ids))
    return [
        {"rank": n, "slug": slug, "title": title, "score": int(score)}
        for n, (slug, title, score) in enumerate(db.session.execute(query), start=1)
    ]


def export_rows(client: Any, window: str, scope: str) -> list[dict[str, Any]]:
    """Per-article numbers of a window for CSV/JSON: every article with activity."""
    ranking_window = window if window in rankings.WINDOWS else "all"
    wanted = [Ranking(ranking_window, metric, scope) for metric in EXPORT_METRICS]
    # Like every ranking read, an export never builds a ranking itself: reading
    # marks them wanted, and a cold one is left to the refresher (bounded wait).
    cold = [r for r in wanted if not r.live and rankings.read(client, r, 1, now()) is None]
    for r in cold:
        leaderboards().refresher.request(r)
    per_metric: dict[str, dict[int, int]] = {}
    for r, metric in zip(wanted, EXPORT_METRICS, strict=True):
        per_metric[metric] = {
            a: int(rankings.display_score(r, raw)) for a, raw in rankings.read_all(client, r)
        }
    ids = set().union(*(m.keys() for m in per_metric.values()))
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
        for metric in EXPORT_METRICS:
            row[metric] = int(per_metric[metric].get(article_id, 0))
        rows.append(row)
    rows.sort(key=lambda r: (-r["views"], -r["reactions"], r["slug"]))
    return rows
