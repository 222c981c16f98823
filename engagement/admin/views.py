"""Dashboard, per-article page, editorial controls, audit list and exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from ..clock import now
from ..extensions import RedisUnavailable, db, redis_store
from ..models import (
    Article,
    ArticleDaily,
    ArticleStats,
    AuditEntry,
    Category,
    RankingPin,
    ReaderReaction,
)
from ..moods import MOODS
from ..params import in_range
from ..rankings.core import WINDOW_LABELS, Ranking
from ..rankings.leaderboards import choice_or_400, leaderboards
from ..related import store as related
from ..store import bursts, counters, keys
from ..store.refs import ref_for
from . import attention
from .auth import current_operator
from .blueprint import bp
from .charts import line_chart
from .labels import ranking_label
from .stats import (
    SORT_LABELS,
    SORTS,
    WINDOWS,
    excluded_articles,
    export_rows,
    overview,
    request_scope,
    suspect_articles,
    top_articles,
)

EXPORT_WINDOWS = ("24h", "7d", "30d", "all")
RANK_WINDOWS = {w: WINDOW_LABELS[w] for w in EXPORT_WINDOWS}
PIN_RANKINGS = [f"{w}:{m}:all" for w in ("24h", "7d", "30d") for m in ("views", "hot")]


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    window = choice_or_400("window", "24h", WINDOWS)
    sort = choice_or_400("sort", "views", SORTS)
    scope, category = request_scope()
    try:
        with redis_store.guard() as client:
            numbers = overview(client, window, scope)
            table = top_articles(client, window, sort, scope)
            extra = attention.dashboard_context(client, numbers, category, scope)
            suspects = suspect_articles(client, window, scope)
        redis_down = False
    except RedisUnavailable:
        numbers, table, redis_down, extra, suspects = None, [], True, {}, []
    categories = list(
        db.session.scalars(sa.select(Category).order_by(Category.position, Category.id))
    )
    category_name = next((c.name for c in categories if c.slug == category), None)
    where = f"「{category_name}」栏目" if category_name else "全站"
    chart = (
        line_chart(
            f"{where}{WINDOWS[window]}的阅读与表态",
            numbers.labels,
            [("阅读", numbers.views_series), ("表态", numbers.reactions_series)],
            "trend",
        )
        if numbers
        else None
    )
    return render_template(
        "admin/dashboard.html",
        operator=current_operator(),
        window=window,
        windows=WINDOWS,
        sort=sort,
        sorts=SORT_LABELS,
        category=category,
        category_name=category_name,
        where=where,
        categories=categories,
        numbers=numbers,
        chart=chart,
        table=table,
        excluded=excluded_articles(scope),
        suspects=suspects,
        moods=MOODS,
        redis_down=redis_down,
        **extra,
    )


@bp.get("/overview.json")
def overview_json() -> ResponseReturnValue:
    """The dashboard's numbers for scripts and other tools."""
    window = choice_or_400("window", "24h", WINDOWS)
    scope, category = request_scope()
    try:
        with redis_store.guard() as client:
            numbers = overview(client, window, scope)
    except RedisUnavailable:
        abort(503, description="Redis 暂时不可用。")
    payload = {
        "window": window,
        "category": category,
        "views": numbers.views,
        "readers": numbers.readers,
        "reactions": numbers.reactions,
        **{m.key: numbers.moods.get(m.key, 0) for m in MOODS},
        "bots": numbers.bots,
        "repeats": numbers.repeats,
        "suspects": numbers.suspects,
        "discounted": numbers.discounted,
        "pinged": numbers.pinged,
        "suspect_pings": numbers.suspect_pings,
        "series": {
            "labels": numbers.labels,
            "views": numbers.views_series,
            "reactions": numbers.reactions_series,
        },
    }
    return Response(json.dumps(payload, ensure_ascii=False), mimetype="application/json")


def _article(slug: str) -> Article:
    return db.first_or_404(sa.select(Article).where(Article.slug == slug))


@bp.get("/articles/<slug>")
def article(slug: str) -> ResponseReturnValue:
    item = _article(slug)
    current = int(now() // keys.HOUR)
    hours = list(range(current - 24 * 7 + 1, current + 1))
    try:
        with redis_store.guard() as client:
            totals = counters.article_counts(client, item.id)
            series = counters.article_series(client, item.id, ("views", "reactions"), "h1", hours)
            boards = leaderboards()
            ranks: dict[str, int | None] = {}
            # An excluded article has no rank to show, whatever its counts.
            for window in () if item.ranking_excluded else RANK_WINDOWS:
                r = Ranking(window, "views")
                listed = [i.rank for i in boards.board(r).items if i.article_id == item.id]
                ranks[window] = listed[0] if listed else boards.rank_for(r, item.id)
            extra = attention.article_context(client, item.id, totals["views"])
            suspect_bursts = bursts.bursts(client, item.id, now())
    except RedisUnavailable:
        totals, series, ranks, extra, suspect_bursts = None, None, {}, {}, []
    labels = [hour_label(h) for h in hours]
    chart = (
        line_chart(
            f"《{item.title}》近7天每小时",
            labels,
            [("阅读", series["views"]), ("表态", series["reactions"])],
            "article-trend",
        )
        if series
        else None
    )
    pins = db.session.scalars(sa.select(RankingPin).where(RankingPin.article_id == item.id)).all()
    return render_template(
        "admin/article.html",
        operator=current_operator(),
        article=item,
        totals=totals,
        chart=chart,
        labels=labels,
        series=series,
        ranks=ranks,
        related=related.suggestions(item, 5),
        pins=pins,
        pin_rankings=[(key, ranking_label(key)) for key in PIN_RANKINGS],
        rank_windows=RANK_WINDOWS,
        moods=MOODS,
        bursts=suspect_bursts,
        **extra,
    )


def hour_label(hour: int) -> str:
    moment = datetime.fromtimestamp(hour * keys.HOUR, UTC)
    return moment.astimezone(current_app.config["ENGAGEMENT_TIMEZONE"]).strftime("%m-%d %H时")


bp.add_app_template_filter(hour_label, "hour_label")


def record_action(action: str, article: Article | None, detail: str = "") -> None:
    """Record an operator's change; rankings are read afresh after it."""
    db.session.add(
        AuditEntry(
            operator=current_operator() or "?",
            action=action,
            article_id=article.id if article else None,
            detail=detail,
        )
    )
    db.session.commit()
    leaderboards().forget()


@bp.post("/articles/<slug>/exclude")
def exclude(slug: str) -> ResponseReturnValue:
    item = _article(slug)
    item.ranking_excluded = request.form.get("excluded") == "1"
    record_action("exclude" if item.ranking_excluded else "include", item)
    flash("已从排行中排除。" if item.ranking_excluded else "已恢复参与排行。")
    return redirect(url_for("admin.article", slug=slug))


@bp.post("/articles/<slug>/pin")
def pin(slug: str) -> ResponseReturnValue:
    item = _article(slug)
    ranking = request.form.get("ranking", "")
    position = in_range(request.form.get("position", "1"), 1, 10)
    if ranking not in PIN_RANKINGS or position is None:
        abort(400, description="置顶的排行或位置无效。")
    existing = db.session.scalar(
        sa.select(RankingPin).where(RankingPin.ranking == ranking, RankingPin.article_id == item.id)
    )
    if existing is None:
        db.session.add(RankingPin(ranking=ranking, article_id=item.id, position=position))
    else:
        existing.position = position
    record_action("pin", item, f"{ranking} #{position}")
    flash(f"已置顶到{ranking_label(ranking)}第 {position} 位。")
    return redirect(url_for("admin.article", slug=slug))


@bp.post("/articles/<slug>/unpin/<int:pin_id>")
def unpin(slug: str, pin_id: int) -> ResponseReturnValue:
    item = _article(slug)
    found = db.get_or_404(RankingPin, pin_id)
    if found.article_id != item.id:
        abort(404)
    detail = found.ranking
    db.session.delete(found)
    record_action("unpin", item, detail)
    flash("已取消置顶。")
    return redirect(url_for("admin.article", slug=slug))


@bp.post("/articles/<slug>/bursts/<int:hour>/<rule>/discount")
def discount(slug: str, hour: int, rule: str) -> ResponseReturnValue:
    """Take back views a suspect burst counted (finer than 清零): from the
    article's count, its rankings and its SQL history of that hour."""
    item = _article(slug)
    try:
        with redis_store.guard() as client:
            burst = bursts.find(client, item.id, hour, rule, now())
            if burst is None:
                abort(404)
            views = in_range(request.form.get("views", ""), 1, max(1, burst.discountable))
            if views is None or not burst.discountable:
                abort(400, description=f"扣除数应在 1 到 {burst.discountable} 之间。")
            taken = bursts.discount(client, ref_for(item), burst, views, now())
    except RedisUnavailable:
        abort(503, description="Redis 暂时不可用，无法扣除。")
    when = hour_label(hour)
    record_action(
        "discount", item, json.dumps({"hour": hour, "at": when, "rule": rule, "views": taken})
    )
    flash(f"已扣除 {when} 起一小时内的 {taken} 次阅读。")
    return redirect(url_for("admin.article", slug=slug))


@bp.get("/articles/<slug>/reset")
def confirm_reset(slug: str) -> ResponseReturnValue:
    """清零 cannot be undone: a page that asks first, and works without JavaScript."""
    item = _article(slug)
    return render_template("admin/confirm_reset.html", operator=current_operator(), article=item)


@bp.post("/articles/<slug>/reset")
def reset(slug: str) -> ResponseReturnValue:
    item = _article(slug)
    if request.form.get("confirm") != "1":
        return redirect(url_for("admin.confirm_reset", slug=slug), 303)
    try:
        with redis_store.guard() as client:
            before = counters.article_counts(client, item.id)
            counters.reset_article(client, ref_for(item), now())
    except RedisUnavailable:
        abort(503, description="Redis 暂时不可用，无法清零。")
    for model in (ArticleStats, ArticleDaily, ReaderReaction):
        db.session.execute(sa.delete(model).where(model.article_id == item.id))
    record_action("reset", item, json.dumps(before, ensure_ascii=False))
    flash("计数已清零。")
    return redirect(url_for("admin.article", slug=slug))


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    page = in_range(request.args.get("page", "1"), 1, 999_999)
    if page is None:
        abort(400, description="页码无效。")
    entries = db.paginate(
        sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
        page=page,
        per_page=50,
        error_out=False,
    )
    return render_template("admin/audit.html", operator=current_operator(), entries=entries)


def _export() -> tuple[str, list[dict[str, object]]]:
    window = choice_or_400("window", "24h", EXPORT_WINDOWS)
    scope, _ = request_scope()
    try:
        with redis_store.guard() as client:
            return window, export_rows(client, window, scope)
    except RedisUnavailable:
        abort(503, description="Redis 暂时不可用。")


# A cell starting with one of these is a formula to Excel, WPS and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe
    (OWASP's advice for CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _flat(row: dict[str, object]) -> dict[str, object]:
    """A CSV row: the sources object as ``source_<class>`` columns, no value as ''."""
    out = {k: ("" if v is None else v) for k, v in row.items() if k != "sources"}
    for kind, n in dict(row.get("sources") or {}).items():  # type: ignore[call-overload]
        out[f"source_{kind}"] = n
    return out


@bp.get("/stats.csv")
def stats_csv() -> Response:
    window, rows = _export()
    out = io.StringIO()
    # A byte-order mark so that spreadsheet programs read the file as UTF-8.
    out.write("\ufeff")
    flat = [_flat(row) for row in rows]
    writer = csv.DictWriter(out, fieldnames=list(flat[0]) if flat else ["slug"])
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in flat)
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="engagement-{window}.csv"'
    return response


@bp.get("/stats.json")
def stats_json() -> Response:
    window, rows = _export()
    return Response(
        json.dumps({"window": window, "articles": rows}, ensure_ascii=False),
        mimetype="application/json",
    )
