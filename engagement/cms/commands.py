"""Flask commands for sites with their own CMS: register, tokens, feeds, sitemaps."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..importer import bar_steps
from ..models import Site
from . import feeds, sitemaps, sites
from .articles import Saved


def _site(name: str) -> Site:
    site = sites.by_name(name)
    if site is None:
        raise click.ClickException(f"no site named {name!r} (add it with add-site)")
    return site


def _report(saved: Saved) -> None:
    for where, why in saved.errors:
        click.echo(f"  {where}: {why}", err=True)


@click.command("add-site")
@with_appcontext
@click.argument("name")
@click.option(
    "--origin", "origins", multiple=True, required=True, help="https://host[:port]; repeatable."
)
@click.option("--feed", "feed_urls", multiple=True, help="An RSS or Atom feed URL; repeatable.")
@click.option("--url-pattern", help="Article URLs, with {slug}: https://host/a/{slug}.html")
@click.option("--category", help="Category for items that name none (default 新闻).")
def add_site(
    name: str,
    origins: tuple[str, ...],
    feed_urls: tuple[str, ...],
    url_pattern: str | None,
    category: str | None,
) -> None:
    """Register a site (or update one: origins replaced, feeds added, the pattern
    and category kept unless given)."""
    site = sites.by_name(name)
    try:
        pattern = url_pattern if url_pattern is not None else site and site.url_pattern
        site = sites.save_site(name, origins, feed_urls, pattern, category, site=site)
        db.session.commit()
    except sites.SiteError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    sites.forget_origins(current_app)
    click.echo(f"site {site.name}: origins {', '.join(site.origins)}; {len(site.feeds)} feed(s)")


@click.command("create-token")
@with_appcontext
@click.argument("site_name")
def create_token(site_name: str) -> None:
    """Create an API token for SITE; it is shown once, alone on the last line."""
    site = _site(site_name)
    token = sites.create_token(site)
    db.session.commit()
    click.echo(f"API token for {site.name} (shown only now; keep it secret):")
    click.echo(token)


@click.command("poll-feeds")
@with_appcontext
@click.option("--site", "site_name", help="Only this site's feeds.")
def poll_feeds(site_name: str | None) -> None:
    """Poll every feed now (the app also polls them every ENGAGEMENT_FEED_INTERVAL)."""
    interval = current_app.config["ENGAGEMENT_FEED_INTERVAL"] or 300
    only = _site(site_name) if site_name else None
    failed = 0
    try:
        done = feeds.poll_due(interval, everything=True, site=only)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {exc}") from None
    for feed, saved in done:
        if saved is None:
            failed += 1
            click.echo(f"{feed.url}: {feed.error}", err=True)
            continue
        click.echo(f"{feed.url}: {feed.status}")
        _report(saved)
    if not done:
        click.echo("no feeds registered")
    if failed:
        raise click.exceptions.Exit(1)


@click.command("import-sitemap")
@with_appcontext
@click.argument("url")
@click.option("--site", "site_name", help="The site the pages belong to (default: by origin).")
def import_sitemap(url: str, site_name: str | None) -> None:
    """Backfill a site's articles from the pages a sitemap lists."""
    site = _site(site_name) if site_name else sites.by_origin(url)
    if site is None:
        raise click.ClickException("no registered site has this sitemap's origin; use --site")

    try:
        saved = sitemaps.backfill(
            url, site, lambda total: bar_steps(click.progressbar(length=total, label="pages"))
        )
    except sitemaps.SitemapError as exc:
        raise click.ClickException(str(exc)) from None
    _report(saved)
    click.echo(
        f"{saved.created} created, {saved.updated} updated, {saved.unchanged} unchanged, "
        f"{len(saved.errors)} rejected"
    )
    if saved.errors:
        raise click.exceptions.Exit(1)


def init_app(app: Flask) -> None:
    for command in (add_site, create_token, poll_feeds, import_sitemap):
        app.cli.add_command(command)
