"""Writing a site's articles, whichever way they came (feed, API, sitemap).

Every way uses the JSONL import's validation and sanitizing (``importer``), and
reports each bad item by where it was found, keeping the good ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..importer import ArticleRecord, Importer, ImportReport, RecordError, parse_record, settle
from ..models import (
    Article,
    ArticleDaily,
    ArticleStats,
    ArticleTerms,
    AuditEntry,
    FeaturedLink,
    RankingPin,
    ReaderReaction,
    RelatedArticle,
    Site,
)
from ..rankings.leaderboards import leaderboards

# An item's key saying its ``published_at`` is a guess (when it was first seen):
# an article that exists keeps its date.
UNDATED = "_undated"


@dataclass
class Saved:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    slugs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}，"
            f"出错 {len(self.errors)}"
        )


def _same(article: Article, record: ArticleRecord) -> bool:
    """Whether writing ``record`` would change nothing readers see."""
    return (
        article.title == record.title
        and article.body_html == record.body_html
        and article.category.name == record.category
        and article.published_at == record.published_at
        and (record.url is None or article.url == record.url)
    )


def save(site: Site, items: Iterable[tuple[str, Any]]) -> Saved:
    """Validate and write ``(where, import-format object)`` pairs as ``site``'s
    articles, then settle related suggestions and caches. A slug that names
    another site's article, or one of this site's own pages, is refused."""
    saved = Saved()
    records: dict[str, tuple[str, ArticleRecord]] = {}
    undated: set[str] = set()
    for where, data in items:
        if isinstance(data, Exception):  # the item could not even be read
            saved.errors.append((where, str(data)))
            continue
        guessed = isinstance(data, dict) and data.pop(UNDATED, False) is True
        try:
            record = parse_record(data)
        except RecordError as exc:
            saved.errors.append((where, str(exc)))
            continue
        records[record.slug] = (where, record)  # the last of a repeated slug wins
        if guessed:
            undated.add(record.slug)
    existing = {
        a.slug: a
        for a in db.session.scalars(sa.select(Article).where(Article.slug.in_(list(records))))
    }
    batch: list[ArticleRecord] = []
    for slug, (where, record) in records.items():
        article = existing.get(slug)
        if article is not None and slug in undated:  # keeps the date it was first seen
            record.published_at = article.published_at
        if article is not None and article.site_id != site.id:
            saved.errors.append((where, f"slug {slug!r} belongs to an article of another site"))
        elif article is not None and _same(article, record):
            saved.unchanged += 1
        else:
            batch.append(record)
    if batch:
        report = ImportReport()
        Importer(site).upsert(batch, report)
        db.session.commit()
        saved.created, saved.updated, saved.slugs = report.created, report.updated, report.slugs
        settle(report.slugs)
    return saved


def delete(article: Article) -> None:
    """Remove a site's article and everything stored about it, and commit.

    The rows that point at it are deleted (or unlinked) here rather than left to
    ``ON DELETE`` rules, which SQLite does not enforce unless asked; a 特别关注
    link keeps its title and points at the article's own URL instead."""
    aid = article.id
    for model in (ArticleStats, ArticleDaily, ReaderReaction, ArticleTerms, RankingPin):
        db.session.execute(sa.delete(model).where(model.article_id == aid))
    db.session.execute(
        sa.delete(RelatedArticle).where(
            sa.or_(RelatedArticle.article_id == aid, RelatedArticle.related_id == aid)
        )
    )
    links = sa.update(FeaturedLink).where(FeaturedLink.article_id == aid)
    if article.url:
        db.session.execute(links.values(article_id=None, url=article.url))
    else:
        db.session.execute(sa.delete(FeaturedLink).where(FeaturedLink.article_id == aid))
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.article_id == aid).values(article_id=None)
    )
    db.session.delete(article)
    db.session.commit()
    leaderboards().forget()
