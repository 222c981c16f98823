"""Sites with their own CMS, in the operators' area: register one, its feeds'
health, its API tokens (created here, shown once, revocable)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..cms import feeds, sites
from ..extensions import db
from ..models import ApiToken, Article, Site
from .blueprint import bp
from .views import record_action


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


def _page(status: int = 200, **extra: object) -> ResponseReturnValue:
    listed = db.session.scalars(sa.select(Site).order_by(Site.name)).all()
    counts = dict(
        db.session.execute(
            sa.select(Article.site_id, sa.func.count(Article.id)).group_by(Article.site_id)
        ).all()
    )
    snippet_origin = request.host_url.rstrip("/")
    html = render_template(
        "admin/sites.html",
        sites=listed,
        counts=counts,
        snippet_origin=snippet_origin,
        **extra,
    )
    return html, status


@bp.get("/sites")
def sites_page() -> ResponseReturnValue:
    return _page()


@bp.post("/sites")
def add_site() -> ResponseReturnValue:
    site_id = request.form.get("site_id", "")
    site = db.session.get(Site, int(site_id)) if site_id.isdigit() else None
    if site_id and site is None:
        abort(404)
    try:
        saved = sites.save_site(
            request.form.get("name", ""),
            _lines("origins"),
            _lines("feeds"),
            request.form.get("url_pattern", "").strip() or None,
            request.form.get("default_category"),
            site=site,
            replace_feeds=site is not None,
        )
        db.session.flush()
    except sites.SiteError as exc:
        db.session.rollback()
        return _page(400, problem=str(exc), form=request.form)
    record_action("edit_site" if site else "add_site", None, saved.name)
    sites.forget_origins(current_app)
    flash(f"站点「{saved.name}」已保存。")
    return redirect(url_for("admin.sites_page", _anchor=f"site-{saved.id}"))


@bp.post("/sites/<int:site_id>/tokens")
def create_token(site_id: int) -> ResponseReturnValue:
    site = db.get_or_404(Site, site_id)
    token = sites.create_token(site)
    record_action("create_token", None, site.name)
    # Shown on this answer only (no redirect, never cached): it is not kept.
    return _page(201, new_token=token, token_site=site)


@bp.post("/sites/<int:site_id>/tokens/<int:token_id>/revoke")
def revoke_token(site_id: int, token_id: int) -> ResponseReturnValue:
    found = db.get_or_404(ApiToken, token_id)
    if found.site_id != site_id:
        abort(404)
    sites.revoke_token(found)
    record_action("revoke_token", None, f"{found.site.name} {found.hint}…")
    flash(f"令牌 {found.hint}… 已吊销。")
    return redirect(url_for("admin.sites_page", _anchor=f"site-{site_id}"))


@bp.post("/sites/<int:site_id>/poll")
def poll_site(site_id: int) -> ResponseReturnValue:
    site = db.get_or_404(Site, site_id)
    interval = current_app.config["ENGAGEMENT_FEED_INTERVAL"] or 300
    done = feeds.poll_due(interval, everything=True, site=site)
    record_action("poll_feeds", None, site.name)
    failed = sum(1 for _, saved in done if saved is None)
    flash(f"已抓取 {len(done)} 个订阅源" + (f"，{failed} 个失败。" if failed else "。"))
    return redirect(url_for("admin.sites_page", _anchor=f"site-{site_id}"))
