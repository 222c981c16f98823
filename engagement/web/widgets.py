"""Rankings for other sites: an iframe page and an embed script."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
)

from ..extensions import RedisUnavailable
from ..moods import MOODS
from ..rankings.core import WINDOW_LABELS, http_max_age
from ..rankings.leaderboards import BadParameter, leaderboards, parse_query

bp = Blueprint("widgets", __name__, url_prefix="/widgets")

THEMES = ("light", "dark")
TARGETS = ("_blank", "_self", "_parent", "_top")
TITLES = {
    "views": "新闻排行",
    "reactions": "心情最多",
    "hot": "热门文章",
    "engaged": "最受关注",
} | {m.key: f"最多{m.label}" for m in MOODS}


def freshness(generated_at: float) -> str:
    """'刚刚更新' / 'N 秒前更新' / 'N 分钟前更新'."""
    age = max(0, int(time.time() - generated_at))
    if age < 5:
        return "刚刚更新"
    if age < 120:
        return f"{age} 秒前更新"
    return f"{age // 60} 分钟前更新"


# What a reader sees next to each item: a count with its unit, never the
# internal ``hot`` score.
UNITS = {"views": "阅读", "reactions": "表态", "engaged": "秒"} | {m.key: "人" for m in MOODS}
# A bad parameter, in the widget's own small frame and in Chinese.
PROBLEMS = {
    "theme": "主题（theme）",
    "target": "链接打开方式（target）",
    "window": "时间范围（window）",
    "metric": "排行类型（metric）",
    "limit": "条数（limit）",
    "category": "栏目（category）",
}


def _bad_parameter(name: str, theme: str) -> Response:
    html = render_template(
        "widget.html",
        title="新闻排行",
        error=f"排行参数有误：{PROBLEMS.get(name, name)}，请检查嵌入代码。",
        theme=theme if theme in THEMES else "light",
        target="_blank",
    )
    response = Response(html, status=400)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/rankings")
def rankings_page() -> Response:
    theme = request.args.get("theme", "light")
    for name, allowed in (("theme", THEMES), ("target", TARGETS)):
        if request.args.get(name, allowed[0]) not in allowed:
            return _bad_parameter(name, theme)
    target = request.args.get("target", "_blank")
    try:
        query = parse_query(request.args)
    except BadParameter as exc:
        return _bad_parameter(exc.code.removeprefix("invalid_").removeprefix("unknown_"), theme)
    try:
        board = leaderboards().board(query.ranking)
    except RedisUnavailable:
        board = None
    metric = query.ranking.metric
    html = render_template(
        "widget.html",
        title=TITLES[metric],
        window_label=WINDOW_LABELS[query.ranking.window],
        items=board.items[: query.limit] if board else None,
        unit=UNITS.get(metric),
        generated=datetime.fromtimestamp(board.generated_at, UTC) if board else None,
        freshness=freshness(board.generated_at) if board else None,
        theme=theme,
        target=target,
    )
    response = Response(html)
    response.headers["Cache-Control"] = f"public, max-age={http_max_age(current_app.config)}"
    return response


def _script(name: str) -> Response:
    static = current_app.static_folder
    assert static is not None
    response = send_from_directory(static, f"js/{name}", mimetype="text/javascript", max_age=3600)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/embed.js")
def embed_script() -> Response:
    """Rankings for any page."""
    return _script("embed.js")


@bp.get("/engage.js")
def engage_script() -> Response:
    """The one script tag for a publisher's own article pages (static/js/engage.js)."""
    return _script("engage.js")
