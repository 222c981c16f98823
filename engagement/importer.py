"""The JSONL article import: validation, HTML sanitizing and upsert by slug.

Each line is checked on its own; a bad line is reported with its number and
reason while the good ones are kept, so one typo in a feed of thousands does not
block the rest.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nh3
import sqlalchemy as sa

from .cms import urls
from .extensions import db
from .models import Article, Category, Site
from .rankings.leaderboards import leaderboards
from .related import store as related

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$"  # also the OpenAPI document's
SLUG_RE = re.compile(SLUG_PATTERN)
_HTML_HINT = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>|&[a-zA-Z]+;|&#\d+;")

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "small",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "q",
    "cite",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "figure",
    "figcaption",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "span",
    "div",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
OPTIONAL_TEXT = ("source", "editor", "author", "summary", "image_url", "url")
KNOWN_FIELDS = {
    "slug",
    "title",
    "body",
    "category",
    "published_at",
    "tags",
    "breadcrumb",
    *OPTIONAL_TEXT,
}


class RecordError(ValueError):
    """One import record is unusable; the message says why."""


@dataclass
class ArticleRecord:
    slug: str
    title: str
    body_html: str
    category: str
    published_at: datetime
    breadcrumb: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source: str | None = None
    editor: str | None = None
    author: str | None = None
    summary: str = ""
    image_url: str | None = None
    url: str | None = None  # the article's own page on a publisher's site


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)


def sanitize_html(raw: str) -> str:
    """Keep formatting and safe links, drop scripts, handlers and odd URL schemes."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def text_to_html(text: str) -> str:
    """Plain text to paragraphs: blank lines separate them, single newlines break."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "\n".join(
        "<p>" + "<br>".join(html.escape(line.strip()) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


def body_to_html(body: str) -> str:
    if _HTML_HINT.search(body):
        return sanitize_html(body)
    return text_to_html(body)


def summarize(body_html: str, length: int = 120) -> str:
    """A plain-text summary for meta descriptions and lists."""
    text = re.sub(r"<[^>]+>", " ", body_html)
    text = re.sub(r"\s+", " ", html.unescape(text)).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def slugify(name: str) -> str:
    """A URL path segment for a category name; keeps CJK characters as they are."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = re.sub(r"[^\w]+", "-", text).strip("-")
    return text[:120] or "category"


def _text(data: dict[str, Any], name: str, *, required: bool, limit: int) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise RecordError(f"'{name}' must be a string")
    value = value.strip()
    if len(value) > limit:
        raise RecordError(f"'{name}' is longer than {limit} characters")
    return value


def _string_list(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"'{name}' must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def _storable(value: Any, name: str = "") -> None:
    """Refuse text that SQL cannot store: a NUL, or a lone surrogate (``"\\ud800"``)
    that JSON allows but UTF-8 cannot encode."""
    if isinstance(value, str):
        if "\x00" in value:
            raise RecordError(f"{name or 'a field'} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(f"{name or 'a field'} contains an unpaired surrogate") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item, repr(key))
    elif isinstance(value, list):
        for item in value:
            _storable(item, name)


def parse_record(data: Any) -> ArticleRecord:
    """Validate one decoded JSON object against the import format."""
    if not isinstance(data, dict):
        raise RecordError("a line must be a JSON object")
    _storable(data)
    slug = _text(data, "slug", required=True, limit=200)
    assert slug is not None
    if not SLUG_RE.match(slug):
        raise RecordError(f"'slug' {slug!r} is not URL-safe (letters, digits, . _ ~ -)")
    title = _text(data, "title", required=True, limit=500)
    body = _text(data, "body", required=True, limit=1_000_000)
    category = _text(data, "category", required=True, limit=120)
    raw_time = _text(data, "published_at", required=True, limit=64)
    assert title and body and category and raw_time
    try:
        published_at = datetime.fromisoformat(raw_time)
    except ValueError:
        raise RecordError(f"'published_at' {raw_time!r} is not ISO 8601") from None
    if published_at.tzinfo is None:
        raise RecordError("'published_at' needs a UTC offset, e.g. 2026-11-28T10:00:00+08:00")
    image_url = _text(data, "image_url", required=False, limit=1000)
    # A site path is "/x", never "//host/x" or "/\\host/x", which browsers
    # read as another host.
    if image_url and not re.match(r"^(https?://|/(?![/\\]))", image_url):
        raise RecordError("'image_url' must be an http(s) URL or a site path")
    body_html = body_to_html(body)
    if not body_html:
        raise RecordError("'body' has no content left after sanitizing")
    summary = _text(data, "summary", required=False, limit=2000)
    url = _text(data, "url", required=False, limit=urls.MAX_URL)
    if url is not None:
        try:
            url = urls.web_url(url, "'url'")
        except urls.BadURL as exc:
            raise RecordError(str(exc)) from None
    return ArticleRecord(
        slug=slug,
        title=title,
        body_html=body_html,
        category=category,
        published_at=published_at,
        breadcrumb=_string_list(data, "breadcrumb"),
        tags=_string_list(data, "tags"),
        source=_text(data, "source", required=False, limit=200),
        editor=_text(data, "editor", required=False, limit=200),
        author=_text(data, "author", required=False, limit=200),
        summary=summary or summarize(body_html),
        image_url=image_url,
        url=url,
    )


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, ArticleRecord | RecordError]]:
    """Yield ``(line_number, record or error)`` for each non-blank line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RecordError(f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield number, RecordError("invalid JSON: nested too deeply")
            continue
        try:
            yield number, parse_record(data)
        except RecordError as exc:
            yield number, exc


class Importer:
    """Upserts records, caching categories and known slugs for speed.

    With a ``site``, the articles are that site's: linked to their own URLs (the
    record's, else the site's pattern with the slug)."""

    def __init__(self, site: Site | None = None) -> None:
        self.site = site
        self.categories: dict[str, Category] = {
            c.name: c for c in db.session.scalars(sa.select(Category))
        }

    def category(self, name: str, parents: list[str]) -> Category:
        parent: Category | None = None
        for section in parents:
            parent = self._get_or_create(section, parent=parent, reparent=False)
        return self._get_or_create(name, parent=parent, reparent=bool(parents))

    def _get_or_create(self, name: str, parent: Category | None, reparent: bool) -> Category:
        found = self.categories.get(name)
        if found is None:
            found = Category(name=name, slug=self._free_slug(slugify(name)), parent=parent)
            db.session.add(found)
            self.categories[name] = found
        elif reparent and parent is not None and found.parent is not parent and found is not parent:
            found.parent = parent
        return found

    def _free_slug(self, base: str) -> str:
        taken = {c.slug for c in self.categories.values()}
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def upsert(self, records: list[ArticleRecord], report: ImportReport) -> None:
        """Write one batch; the caller commits."""
        slugs = [r.slug for r in records]
        existing = {
            a.slug: a for a in db.session.scalars(sa.select(Article).where(Article.slug.in_(slugs)))
        }
        for record in records:
            report.slugs.append(record.slug)
            article = existing.get(record.slug)
            if article is None:
                article = Article(slug=record.slug)
                db.session.add(article)
                existing[record.slug] = article
                report.created += 1
            else:
                report.updated += 1
            article.title = record.title
            article.body_html = record.body_html
            article.summary = record.summary
            article.category = self.category(record.category, record.breadcrumb)
            article.tags = record.tags
            article.source = record.source
            article.editor = record.editor
            article.author = record.author
            article.image_url = record.image_url
            article.published_at = record.published_at
            url = record.url
            if self.site is not None:
                article.site = self.site
                if url is None and self.site.url_pattern:
                    url = urls.url_for_slug(self.site.url_pattern, record.slug)
            if url is not None:  # a record without one keeps the article's
                article.url = url
                article.url_key = urls.key(url)


# Given the number of steps, a context whose value is called with each step's size.
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


def silent(total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


@contextmanager
def bar_steps(bar: Any) -> Iterator[Callable[[int], None]]:
    """A progress bar (click's) as the context a :data:`Progress` gives."""
    with bar:
        yield bar.update


def settle(slugs: list[str], progress: Progress = silent) -> None:
    """After articles were written: their related suggestions and their
    neighbours', and this worker's cached rankings and pages (the app's other
    workers follow within half of ENGAGEMENT_RANKING_MAX_AGE)."""
    if not slugs:
        return
    changed = db.session.scalars(sa.select(Article.id).where(Article.slug.in_(slugs)))
    model, targets = related.prepare(list(changed))
    with progress(len(targets)) as step:
        related.store(model, targets, step)
    leaderboards().forget()
