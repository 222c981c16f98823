"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, request, url_for


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in the site's time zone, the way the seed page does."""
    if value is None:
        return ""
    return value.astimezone(current_app.config["ENGAGEMENT_TIMEZONE"]).strftime(fmt)


def iso_time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def duration(seconds: int | float) -> str:
    """Engaged time for people: 45秒, 12分30秒, 3小时5分."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    if minutes:
        return f"{minutes}分{secs}秒"
    return f"{secs}秒"


def page_url(page: int) -> str:
    """The current path with another ``page`` query value.

    Built from the path and the query as given rather than through ``url_for``,
    which would read names such as ``endpoint`` or ``_method`` in the query as
    its own arguments.
    """
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return quote(request.script_root + request.path) + "?" + urlencode([*args, ("page", str(page))])


def article_url(article: Any, external: bool = True) -> str:
    """Where readers find an article: a publisher's article at its own URL, ours
    here. ``article`` is anything with ``slug`` and ``url`` (a row, a ranking item)."""
    own = getattr(article, "url", None)
    return own or url_for("pages.article", slug=article.slug, _external=external)


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(iso_time, "iso_time")
    app.add_template_filter(duration, "duration")
    app.add_template_global(page_url, "page_url")
    app.add_template_global(article_url, "article_url")

    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site_name": current_app.config["ENGAGEMENT_SITE_NAME"]}
