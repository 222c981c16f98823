"""Attention for operators: readers now (live), engaged time, sources, depth,
read-through, recirculation and our blocks' viewable impressions and clicks.

The site and category numbers are fields of the hourly traffic hashes that the
view and ping scripts write (``st:…:h:<n>``); an article's come from its
ranking buckets and its daily attention hashes. Definitions: README, 注意力.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, request

from ..clock import now
from ..extensions import RedisUnavailable, db, redis_store
from ..models import Article
from ..params import whole_number
from ..rankings.leaderboards import choice_or_400
from ..store import attention, counters
from ..store.keys import ATTENTION_METRICS, BLOCKS, HOUR, MINUTE
from .blueprint import bp
from .charts import line_chart
from .stats import REDIS_WINDOWS, Attention, category_ids, ratio, request_scope

SOURCE_LABELS = {
    "search": "搜索",
    "social": "社交",
    "aggregator": "新闻客户端/聚合",
    "internal": "站内",
    "external": "外部链接",
    "direct": "直接",
}
BLOCK_LABELS = {
    "related": "相关文章",
    "rankings": "新闻排行",
    "featured": "特别关注",
    "gallery": "魅力新疆",
    "hot": "24小时热点",
    "widget": "嵌入挂件",
}


def summarize(per_hour: list[dict[str, int]]) -> Attention:
    """Attention of a window from its hourly traffic hashes."""
    total: dict[str, int] = defaultdict(int, summed(per_hour))
    hosts = sorted(
        ((k[5:], v) for k, v in total.items() if k.startswith("host:") and v > 0),
        key=lambda item: (-item[1], item[0]),
    )
    return Attention.from_totals(
        total,
        total["views_counted"],
        hosts=hosts[:10],
        visitors={"new": total["visit_new"], "returning": total["visit_returning"]},
    )


def block_table(numbers: dict[str, int]) -> list[dict[str, Any]]:
    """``b:<block>[:<slot>]:i|c`` fields as blocks.json's rows (every block, slots by position)."""
    rows = []
    for block in BLOCKS:
        slots: dict[int, dict[str, int]] = defaultdict(lambda: {"impressions": 0, "clicks": 0})
        prefix = f"b:{block}:"
        for k, v in numbers.items():
            if not k.startswith(prefix):
                continue
            rest, _, kind = k[len(prefix) :].rpartition(":")
            if rest.isdigit():
                slots[int(rest)]["impressions" if kind == "i" else "clicks"] += v
        impressions = numbers.get(f"{prefix}i", 0)
        clicks = numbers.get(f"{prefix}c", 0)
        rows.append(
            {
                "block": block,
                "label": BLOCK_LABELS[block],
                "impressions": impressions,
                "clicks": clicks,
                "ctr": ratio(clicks, impressions),
                "slots": [
                    {
                        "position": p,
                        **slots[p],
                        "ctr": ratio(slots[p]["clicks"], slots[p]["impressions"]),
                    }
                    for p in sorted(slots)
                ],
            }
        )
    return rows


def summed(per_hour: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for hour in per_hour:
        for k, v in hour.items():
            total[k] += v
    return dict(total)


def window_hours(window: str) -> list[int]:
    current = math.floor(now() / HOUR)
    return list(range(current - REDIS_WINDOWS.get(window, 24 * 30) + 1, current + 1))


def realtime(client: Any, category: str | None, scope: str) -> dict[str, Any]:
    """Readers now of the site or a category, articles by readers now."""
    moment = now()
    present = attention.readers_now(client, moment)
    ids = list(present)
    if scope != "all" and ids:
        allowed = set(category_ids(scope))
        narrowed = sa.select(Article.id).where(
            Article.id.in_(ids), Article.category_id.in_(allowed)
        )
        ids = list(db.session.scalars(narrowed))
    query = sa.select(Article.id, Article.slug, Article.title).where(Article.id.in_(ids))
    found = list(db.session.execute(query)) if ids else []
    rows: list[dict[str, Any]] = [
        {
            "slug": slug,
            "title": title,
            "readers_now": present[a].readers,
            "engaged_now": present[a].engaged,
        }
        for a, slug, title in found
    ]
    rows.sort(key=lambda r: (-r["readers_now"], -r["engaged_now"], r["slug"]))
    return {
        "generated_at": moment,
        "category": category,
        "readers_now": sum(r["readers_now"] for r in rows),
        "engaged_now": sum(r["engaged_now"] for r in rows),
        "articles": rows,
        "minutes": attention.minute_readers(client, scope, moment),
    }


@bp.get("/realtime.json")
def realtime_json() -> Response:
    scope, category = request_scope()
    limit = whole_number(request.args.get("limit", "50"))
    try:
        with redis_store.guard() as client:
            payload = realtime(client, category, scope)
    except RedisUnavailable:
        abort(503, description="Redis 暂时不可用。")
    payload["articles"] = payload["articles"][: min(limit or 50, 500)]
    response = Response(json.dumps(payload, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/blocks.json")
def blocks_json() -> Response:
    window = choice_or_400("window", "24h", tuple(REDIS_WINDOWS))
    scope, category = request_scope()
    try:
        with redis_store.guard() as client:
            numbers = summed(counters.hourly_stats(client, window_hours(window), scope))
    except RedisUnavailable:
        abort(503, description="Redis 暂时不可用。")
    payload = {"window": window, "category": category, "blocks": block_table(numbers)}
    return Response(json.dumps(payload, ensure_ascii=False), mimetype="application/json")


def minute_labels(count: int = 30) -> list[str]:
    current = math.floor(now() / MINUTE)
    zone = current_app.config["ENGAGEMENT_TIMEZONE"]
    return [
        datetime.fromtimestamp(m * MINUTE, UTC).astimezone(zone).strftime("%H:%M")
        for m in range(current - count + 1, current + 1)
    ]


def dashboard_context(
    client: Any, numbers: Any, category: str | None, scope: str
) -> dict[str, Any]:
    """What the dashboard shows of attention, from the numbers it already read."""
    att = summarize(numbers.per_hour)
    engaged = numbers.engaged_series
    labels = numbers.labels[len(numbers.labels) - len(engaged) :]
    return {
        "engaged_labels": labels,
        "live": realtime(client, category, scope),
        "att": att,
        "blocks": block_table(summed(numbers.per_hour)),
        "source_labels": SOURCE_LABELS,
        "engaged_chart": line_chart("专注时长（秒）", labels, [("专注", engaged)], "engaged"),
    }


def article_context(client: Any, article_id: int, views: int, days: int = 30) -> dict[str, Any]:
    """An article's attention: all-time numbers; the last ``days`` days' depth
    histogram and blocks by slot; its readers minute by minute, last 30 minutes."""
    totals = attention.article_totals(client, article_id, ("engaged", *ATTENTION_METRICS))
    att = Attention.from_totals(totals, views)
    numbers = attention.article_days(client, article_id, attention.recent_days(now(), days))
    minutes = attention.minute_readers(client, f"a{article_id}", now())
    labels = minute_labels(len(minutes))
    return {
        "att": att,
        "blocks": block_table(numbers),
        "histogram": [max(0, numbers.get(f"dep:{tenth}", 0)) for tenth in range(11)],
        "source_labels": SOURCE_LABELS,
        "minutes": minutes,
        "minute_labels": labels,
        "minutes_chart": line_chart("近30分钟每分钟在读", labels, [("在读", minutes)], "minutes"),
    }
