"""The API a publisher's CMS writes to: ``PUT``/``DELETE /api/v1/articles/<slug>``
with a site's token, and ``GET /api/v1/lookup`` that the script tag uses to find
the article a page shows. Routes of the API blueprint, so its one error handler
answers for them."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from ..cms import sites, urls
from ..cms.articles import delete, save
from ..extensions import db
from ..importer import SLUG_RE
from ..models import Article, Site
from ..store import refs
from .api import bp, public_json
from .errors import ApiError
from .templating import article_url

MAX_BODY = 2 * 1024 * 1024


def _site() -> Site:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(
            401, "missing_token", "Send the site's API token: Authorization: Bearer <token>."
        )
    site = sites.site_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if site is None:
        raise ApiError(401, "invalid_token", "The API token is wrong or revoked.")
    return site


def _slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise ApiError(
            400, "invalid_slug", f"The slug {slug!r} is not URL-safe (letters, digits, . _ ~ -)."
        )
    return slug


def _body(slug: str) -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, "payload_too_large", "An article must be at most 2 MiB of JSON.")
    if not request.is_json:
        raise ApiError(400, "invalid_body", "Send JSON with Content-Type: application/json.")
    data = request.stream.read(MAX_BODY + 1)  # chunked bodies have no length to check
    if len(data) > MAX_BODY:
        raise ApiError(413, "payload_too_large", "An article must be at most 2 MiB of JSON.")
    try:
        payload = json.loads(data or b"null")
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object in the import format.")
    if payload.setdefault("slug", slug) != slug:
        raise ApiError(400, "invalid_article", "The body's 'slug' differs from the URL's.")
    return payload


def _owned(slug: str, site: Site) -> Article | None:
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is not None and article.site_id != site.id:
        raise ApiError(409, "slug_taken", f"The slug {slug!r} is an article of another site.")
    return article


def _describe(article: Article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "url": article_url(article),
        "category": article.category.name,
        "published_at": article.published_at.isoformat(),
    }


@bp.put("/articles/<slug>")
def put_article(slug: str) -> tuple[Response, int]:
    site = _site()
    slug = _slug(slug)
    payload = _body(slug)
    existed = _owned(slug, site) is not None
    saved = save(site, [("body", payload)])
    if saved.errors:
        db.session.commit()  # the token's last use
        raise ApiError(400, "invalid_article", saved.errors[0][1])
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    assert article is not None
    db.session.commit()
    response = jsonify({**_describe(article), "created": not existed})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Location"] = article_url(article)
    return response, 200 if existed else 201


@bp.delete("/articles/<slug>")
def delete_article(slug: str) -> tuple[str, int]:
    site = _site()
    article = _owned(_slug(slug), site)
    if article is None:
        db.session.commit()
        raise ApiError(404, "article_not_found", f"No article with slug {slug!r}.")
    delete(article)
    refs.forget(slug)
    return "", 204


def _by_url(raw: str) -> Article | None:
    try:
        wanted = urls.key(urls.web_url(raw, "'url'"))
    except urls.BadURL as exc:
        raise ApiError(400, "invalid_url", str(exc)) from None
    found = db.session.scalar(
        sa.select(Article).where(Article.url_key == wanted).order_by(Article.id).limit(1)
    )
    if found is not None:
        return found
    for site in db.session.scalars(sa.select(Site).where(Site.url_pattern.is_not(None))):
        slug = urls.slug_from(raw, site.url_pattern)
        if slug:
            found = db.session.scalar(
                sa.select(Article).where(Article.slug == slug, Article.site_id == site.id)
            )
            if found is not None:
                return found
    return None


@bp.get("/lookup")
def lookup() -> Response:
    """The article a page shows: by ``slug`` (its ``data-`` attribute), else by
    ``url`` (its canonical link, then its JSON-LD or Open Graph URL; up to four,
    tried in order), matched as given or through a site's URL pattern."""
    slug = request.args.get("slug", "")
    candidates = request.args.getlist("url")[:4]
    if not slug and not candidates:
        raise ApiError(400, "invalid_url", "Give 'slug' or 'url'.")
    article = None
    if slug:
        article = db.session.scalar(sa.select(Article).where(Article.slug == _slug(slug)))
    for raw in candidates if article is None else ():
        article = _by_url(raw)
        if article is not None:
            break
    if article is None:
        raise ApiError(404, "article_not_found", "No article has this slug or URL.")
    payload = {"slug": article.slug, "title": article.title, "url": article_url(article)}
    response = public_json(payload, f"{article.id}-{article.updated_at.timestamp():.0f}", 0)
    # Revalidated every time (a cheap 304): engage.js learns from this answer
    # whether our API can be reached at all, so a cached copy must not stand in.
    response.headers["Cache-Control"] = "public, no-cache"
    return response
