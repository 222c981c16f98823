"""A one-off backfill from a sitemap: every listed page's own metadata becomes an
article of the site. Sitemap XML is read with defusedxml (no entity expansion
from a file we do not control)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ..importer import Progress, silent
from ..models import Site, utcnow
from . import urls
from .articles import UNDATED, Saved, save
from .fetch import MAX_REDIRECTS, TIMEOUT, FetchError, fetch
from .metadata import news_article

MAX_SITEMAPS = 50
MAX_PAGES = 50_000
MAX_PAGE_BYTES = 2 * 1024 * 1024
BATCH = 50
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.I)


class SitemapError(Exception):
    """The sitemap itself is unusable; the message says why."""


@dataclass(frozen=True)
class Entry:
    url: str
    lastmod: str | None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _parse(content: bytes) -> tuple[str, list[Entry]]:
    """``("index" | "urlset", entries)``."""
    try:
        root = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise SitemapError(f"不是可读的站点地图：{exc}") from None
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise SitemapError(f"不是站点地图（根元素是 {kind}）")
    entries = []
    for node in root:
        fields = {_local(child.tag): (child.text or "").strip() for child in node.iter()}
        if fields.get("loc"):
            lastmod = fields.get("publication_date") or fields.get("lastmod") or None
            entries.append(Entry(fields["loc"], lastmod))
    return ("index" if kind == "sitemapindex" else "urlset"), entries


def pages(url: str, client: httpx.Client) -> list[Entry]:
    """The pages a sitemap (or a sitemap index, one level down) lists."""
    try:
        got = fetch(url, client=client)
    except FetchError as exc:
        raise SitemapError(f"{url}：{exc}") from None
    kind, entries = _parse(got.content)
    if kind == "urlset":
        return entries[:MAX_PAGES]
    found: list[Entry] = []
    for child in entries[:MAX_SITEMAPS]:
        try:
            inner = fetch(child.url, client=client)
            inner_kind, listed = _parse(inner.content)
        except (FetchError, SitemapError):
            continue  # one broken part does not stop the rest; its pages are missing
        if inner_kind == "urlset":
            found.extend(listed)
        if len(found) >= MAX_PAGES:
            break
    return found[:MAX_PAGES]


def _decode(content: bytes, content_type: str) -> str:
    charset = None
    if "charset=" in content_type.lower():
        charset = content_type.lower().rpartition("charset=")[2].split(";")[0].strip(" \"'")
    if not charset:
        found = _CHARSET.search(content[:4096])
        charset = found[1].decode() if found else "utf-8"
    try:
        return content.decode(charset, "replace")
    except LookupError:
        return content.decode("utf-8", "replace")


def record(entry: Entry, html: str, site: Site) -> dict[str, Any]:
    """A page's metadata in the import format; the sitemap's date when the page has none."""
    meta = news_article(html)
    link = urljoin(entry.url, str(meta.get("url") or entry.url))  # a relative canonical too
    try:
        link = urls.web_url(link)
    except urls.BadURL:
        link = entry.url
    guessed = not (meta.get("published_at") or entry.lastmod)
    published = meta.get("published_at") or entry.lastmod or utcnow().isoformat()
    if isinstance(published, str) and len(published) == 10:  # a date alone
        published += "T00:00:00+00:00"
    try:
        if datetime.fromisoformat(str(published).replace("Z", "+00:00")).tzinfo is None:
            published = f"{published}+00:00"
    except ValueError:
        pass  # parse_record reports it
    return {
        "slug": urls.slug_for(link, site.url_pattern, site.name),
        "url": link,
        "title": meta.get("title"),
        "body": meta.get("body") or meta.get("summary") or meta.get("title"),
        "summary": meta.get("summary"),
        "category": meta.get("category") or site.default_category,
        "tags": meta.get("tags", []),
        "published_at": str(published).replace("Z", "+00:00"),
        UNDATED: guessed,
        "author": (meta.get("author") or "")[:200] or None,
        "source": site.name,
        "image_url": meta.get("image_url"),
    }


def _read(entries: list[Entry], site: Site, client: httpx.Client) -> Iterator[tuple[str, Any]]:
    for entry in entries:
        try:
            got = fetch(entry.url, max_bytes=MAX_PAGE_BYTES, client=client)
            yield entry.url, record(entry, _decode(got.content, got.content_type), site)
        except FetchError as exc:
            yield entry.url, exc


def backfill(url: str, site: Site, progress: Progress = silent) -> Saved:
    """Import every page ``url`` lists as ``site``'s articles, ``BATCH`` at a time."""
    total = Saved()
    with httpx.Client(
        timeout=TIMEOUT, follow_redirects=True, max_redirects=MAX_REDIRECTS
    ) as client:
        entries = pages(url, client)
        with progress(len(entries)) as step:
            for start in range(0, len(entries), BATCH):
                part = entries[start : start + BATCH]
                saved = save(site, _read(part, site, client))
                total.created += saved.created
                total.updated += saved.updated
                total.unchanged += saved.unchanged
                total.errors.extend(saved.errors)
                total.slugs.extend(saved.slugs)
                step(len(part))
    return total
