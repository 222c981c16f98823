"""What an article page says about itself: its canonical link, JSON-LD
``NewsArticle`` and Open Graph tags.

Written on the standard library's HTML parser: only ``<link>``, ``<meta>`` and
JSON-LD ``<script>`` elements matter, and a metadata library (extruct) would
bring lxml and an RDF stack for these few lines.
"""

from __future__ import annotations

import json
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "BlogPosting",
    "AnalysisNewsArticle",
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: str | None = None
        self.meta: dict[str, str] = {}
        self.ld: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "link" and "canonical" in a.get("rel", "").lower().split() and a.get("href"):
            self.canonical = self.canonical or a["href"].strip()
        elif tag == "meta":
            name = (a.get("property") or a.get("name") or "").strip().lower()
            if name and "content" in a:
                self.meta.setdefault(name, a["content"].strip())
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._in = "ld"
            self.ld.append("")
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "title"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "ld":
            self.ld[-1] += data
        elif self._in == "title":
            self.title += data


def _objects(node: Any) -> list[dict[str, Any]]:
    """Every JSON object in a JSON-LD value, ``@graph`` lists included."""
    if isinstance(node, list):
        return [o for item in node for o in _objects(item)]
    if isinstance(node, dict):
        return [node, *_objects(node.get("@graph", []))]
    return []


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    return (
        {kind}
        if isinstance(kind, str)
        else {k for k in kind if isinstance(k, str)}
        if isinstance(kind, list)
        else set()
    )


def _first_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and value:
        return _first_text(value[0])
    if isinstance(value, dict):
        return _first_text(value.get("name") or value.get("url") or value.get("@id"))
    return ""


def news_article(html: str) -> dict[str, Any]:
    """The page's metadata in the import format's terms (``title``, ``body``,
    ``summary``, ``category``, ``published_at``, ``author``, ``image_url``,
    ``url``); what the page does not say is missing. JSON-LD wins over Open Graph."""
    collector = _Collector()
    try:
        collector.feed(html)
        collector.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    ld: dict[str, Any] = {}
    for raw in collector.ld:
        try:
            found = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        for obj in _objects(found):
            if _types(obj) & ARTICLE_TYPES:
                ld = obj
                break
        if ld:
            break
    meta = collector.meta
    out: dict[str, Any] = {
        "url": collector.canonical
        or _first_text(ld.get("mainEntityOfPage"))
        or _first_text(ld.get("url"))
        or meta.get("og:url"),
        "title": _first_text(ld.get("headline")) or meta.get("og:title") or collector.title.strip(),
        "summary": _first_text(ld.get("description"))
        or meta.get("og:description")
        or meta.get("description"),
        "body": _first_text(ld.get("articleBody")),
        "category": _first_text(ld.get("articleSection")) or meta.get("article:section"),
        "published_at": _first_text(ld.get("datePublished")) or meta.get("article:published_time"),
        "author": _first_text(ld.get("author")) or meta.get("article:author") or meta.get("author"),
        "image_url": _first_text(ld.get("image")) or meta.get("og:image"),
        "tags": [k.strip() for k in _first_text(ld.get("keywords")).split(",") if k.strip()],
    }
    if out["published_at"]:
        try:
            datetime.fromisoformat(str(out["published_at"]).replace("Z", "+00:00"))
            out["published_at"] = str(out["published_at"]).replace("Z", "+00:00")
        except ValueError:
            out["published_at"] = None
    return {k: v for k, v in out.items() if v}
