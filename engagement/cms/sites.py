"""Registered sites: their origins (who may send reader events) and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..models import ApiToken, Feed, Site, utcnow
from . import urls

EXTENSION = "engagement.site-origins"
# How long a worker trusts its list of registered origins: a new site's pages
# may send events this long after it is added (at once in the worker that added it).
ORIGINS_TTL = 5.0
TOKEN_PREFIX = "eng_"


class SiteError(ValueError):
    """An operator's input for a site is unusable; the message says why."""


class OriginRegistry:
    """``ENGAGEMENT_ALLOWED_ORIGINS`` and the registered sites' origins, the
    latter read from SQL at most every ``ORIGINS_TTL``."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.registered: frozenset[str] = frozenset()
        self.read_at = -ORIGINS_TTL
        self.source: object = None
        self.union: frozenset[str] = frozenset()

    def current(self) -> frozenset[str]:
        configured = self.app.config["ENGAGEMENT_ALLOWED_ORIGINS"]
        if time.monotonic() - self.read_at >= ORIGINS_TTL:
            self.refresh()
        elif configured is self.source:
            return self.union
        with self.lock:
            self.source = configured
            self.union = frozenset(configured) | self.registered
            return self.union

    def refresh(self) -> None:
        with self.lock:
            if time.monotonic() - self.read_at < ORIGINS_TTL:
                return
            try:
                with self.app.app_context():
                    rows = db.session.scalars(sa.select(Site.origins)).all()
            except sa.exc.SQLAlchemyError:
                rows = None  # the database is down: keep what was known
            if rows is not None:
                self.registered = frozenset(o for row in rows for o in row or ())
            self.read_at = time.monotonic()

    def forget(self) -> None:
        self.read_at = -ORIGINS_TTL


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = OriginRegistry(app)


def registered_origins(app: Flask) -> frozenset[str]:
    """The configured and the registered origins."""
    registry: OriginRegistry | None = app.extensions.get(EXTENSION)
    if registry is None:
        return frozenset(app.config["ENGAGEMENT_ALLOWED_ORIGINS"])
    return registry.current()


def forget_origins(app: Flask) -> None:
    registry: OriginRegistry | None = app.extensions.get(EXTENSION)
    if registry is not None:
        registry.forget()


def by_name(name: str) -> Site | None:
    return db.session.scalar(sa.select(Site).where(Site.name == name))


def by_origin(url: str) -> Site | None:
    """The site one of whose origins ``url`` is on."""
    try:
        parts = urlsplit(urls.web_url(url))
    except urls.BadURL:
        return None
    wanted = f"{parts.scheme}://{parts.netloc}".lower()
    for site in db.session.scalars(sa.select(Site).order_by(Site.id)):
        if wanted in (site.origins or ()):
            return site
    return None


def save_site(
    name: str,
    origins: Iterable[str],
    feeds: Iterable[str] = (),
    url_pattern: str | None = None,
    default_category: str | None = None,
    site: Site | None = None,
    replace_feeds: bool = False,
) -> Site:
    """Create a site (or update ``site``) from an operator's input; the caller commits.

    Feeds are added; with ``replace_feeds`` (the admin form, which lists them
    all) a feed left out is removed. A kept feed keeps its history."""
    name = name.strip()
    if not name or len(name) > 120:
        raise SiteError("站点名称必须是 1–120 个字符")
    other = by_name(name)
    if other is not None and other is not site:
        raise SiteError(f"已有名为 {name} 的站点")
    try:
        cleaned = sorted({urls.origin(o) for o in origins if o.strip()})
        feed_urls = [urls.web_url(f, "feed URL") for f in feeds if f.strip()]
        pattern = urls.web_url(url_pattern, "the URL pattern") if url_pattern else None
    except urls.BadURL as exc:
        raise SiteError(str(exc)) from None
    if not cleaned:
        raise SiteError("至少需要一个来源（origin），例如 https://news.example.com")
    if pattern and "{slug}" not in pattern:
        raise SiteError("文章网址格式须包含 {slug}，例如 https://news.example.com/a/{slug}.html")
    if site is None:
        site = Site(name=name)
        db.session.add(site)
    site.name = name
    site.origins = cleaned
    site.url_pattern = pattern
    if default_category and default_category.strip():
        site.default_category = default_category.strip()[:120]
    elif not site.default_category:
        site.default_category = "新闻"
    if replace_feeds:
        for feed in [f for f in site.feeds if f.url not in feed_urls]:
            site.feeds.remove(feed)
    known = {f.url for f in site.feeds}
    for url in feed_urls:
        if url not in known:
            site.feeds.append(Feed(url=url, status="", failures=0))
            known.add(url)
    return site


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create_token(site: Site) -> str:
    """A new API token for ``site``: returned once, kept only as its SHA-256.

    A token is 32 random bytes, so a plain hash (no salt, no slow KDF) is enough:
    nobody can guess one to match a stolen digest."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(site=site, digest=_digest(token), hint=token[: len(TOKEN_PREFIX) + 4]))
    return token


def site_for_token(token: str) -> Site | None:
    """The site whose live token this is; notes when it was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if found is None:
        return None
    found.last_used_at = utcnow()
    return found.site


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
