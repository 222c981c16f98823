"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, request, url_for


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in the site's time zone, the way the seed page does."""
    if value is None:
        return ""
    return value.astimezone(current_app.config["ENGAGEMENT_TIMEZONE"]).strftime(fmt)


def iso_time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def page_url(page: int) -> str:
    """The current URL with another ``page`` query value."""
    args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), "page": page}
    return url_for(request.endpoint or "pages.index", **args)


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(iso_time, "iso_time")
    app.add_template_global(page_url, "page_url")

    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site_name": current_app.config["ENGAGEMENT_SITE_NAME"]}
