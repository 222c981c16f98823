"""Rankings for other sites: an iframe page and an embed script."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)

from .extensions import RedisUnavailable
from .leaderboards import BadParameter, choice_or_400, leaderboards, parse_query
from .moods import MOODS

bp = Blueprint("widgets", __name__, url_prefix="/widgets")

THEMES = ("light", "dark")
TARGETS = ("_blank", "_self", "_parent", "_top")
TITLES = {"views": "新闻排行", "reactions": "心情最多", "hot": "热门文章"} | {
    m.key: f"最多{m.label}" for m in MOODS
}
WINDOW_LABELS = {"1h": "1小时", "24h": "24小时", "7d": "7天", "30d": "30天", "all": "全部"}


def freshness(generated_at: float) -> str:
    """'刚刚更新' / 'N 秒前更新' / 'N 分钟前更新'."""
    age = max(0, int(time.time() - generated_at))
    if age < 5:
        return "刚刚更新"
    if age < 120:
        return f"{age} 秒前更新"
    return f"{age // 60} 分钟前更新"


@bp.get("/rankings")
def rankings_page() -> Response:
    theme = choice_or_400("theme", "light", THEMES)
    target = choice_or_400("target", "_blank", TARGETS)
    try:
        query = parse_query(request.args)
    except BadParameter as exc:
        abort(400, description=exc.message)
    try:
        board = leaderboards().board(query.ranking)
    except RedisUnavailable:
        board = None
    html = render_template(
        "widget.html",
        title=TITLES[query.ranking.metric],
        window_label=WINDOW_LABELS[query.ranking.window],
        items=board.items[: query.limit] if board else None,
        generated=datetime.fromtimestamp(board.generated_at, UTC) if board else None,
        freshness=freshness(board.generated_at) if board else None,
        theme=theme,
        target=target,
    )
    response = Response(html)
    max_age = max(1, int(current_app.config["ENGAGEMENT_RANKING_MAX_AGE"]) // 2)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/embed.js")
def embed_script() -> Response:
    static = current_app.static_folder
    assert static is not None
    response = send_from_directory(static, "js/embed.js", mimetype="text/javascript", max_age=3600)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
