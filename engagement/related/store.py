"""Computing suggestions into SQL and serving them back in one query."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Article, ArticleTerms, RelatedArticle
from .model import Doc, Model
from .text import article_terms

STORED = 20
MODEL_FILE = "related-model.npz"
WRITE_BATCH = 2048  # suggestions computed and written per transaction
# Above this share of changed articles a full rebuild is as cheap as an update.
FULL_REBUILD_SHARE = 0.3


def index_articles(ids: Iterable[int]) -> None:
    """Segment the given articles and store their term counts."""
    wanted = list(ids)
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        existing = {
            t.article_id: t
            for t in db.session.scalars(
                sa.select(ArticleTerms).where(ArticleTerms.article_id.in_(batch))
            )
        }
        for article in db.session.scalars(sa.select(Article).where(Article.id.in_(batch))):
            counts = article_terms(article.title, article.body_html)
            row = existing.get(article.id)
            if row is None:
                db.session.add(ArticleTerms(article_id=article.id, terms=counts))
            else:
                row.terms = counts
    db.session.commit()


def _docs(ids: Collection[int] | None = None) -> list[Doc]:
    query = sa.select(
        ArticleTerms.article_id,
        ArticleTerms.terms,
        Article.category_id,
        Article.tags,
        Article.published_at,
    ).join(Article, Article.id == ArticleTerms.article_id)
    if ids is not None:
        query = query.where(ArticleTerms.article_id.in_(list(ids)))
    return [
        Doc(
            id=row.article_id,
            counts=row.terms,
            category_id=row.category_id,
            tags=tuple(row.tags or ()),
            published_ts=row.published_at.timestamp(),
        )
        for row in db.session.execute(query)
    ]


def model_path() -> Path:
    """Where the model is kept between processes (the instance folder)."""
    return Path(current_app.instance_path) / MODEL_FILE


def load_model() -> Model:
    """The model of every indexed article, from SQL (and saved for the next process)."""
    model = Model(_docs())
    model.save(model_path())
    return model


def _saved_model(changed: Collection[int]) -> Model | None:
    """The saved model, when it holds every indexed article but ``changed``:
    reading it costs a fraction of a second where SQL costs many at 100,000."""
    path = model_path()
    if not path.exists():
        return None
    try:
        model = Model.load(path)
    except (OSError, ValueError, KeyError):
        return None
    count, total = db.session.execute(
        sa.select(sa.func.count(ArticleTerms.article_id), sa.func.sum(ArticleTerms.article_id))
    ).one()
    expected = set(model.docs) | set(changed)
    return model if (count, total or 0) == (len(expected), sum(expected)) else None


def store(
    model: Model, targets: Iterable[int], progress: Callable[[int], None] | None = None
) -> int:
    """Recompute and replace the content suggestions of ``targets``."""
    wanted = [a for a in targets if a in model.docs]
    if len(wanted) > len(model.docs) // 4:
        model.expanded()  # each article's expanded vector is needed many times
    for start in range(0, len(wanted), WRITE_BATCH):
        batch = wanted[start : start + WRITE_BATCH]
        found = model.all_neighbours(batch, STORED)
        db.session.execute(
            sa.delete(RelatedArticle).where(
                RelatedArticle.article_id.in_(batch), RelatedArticle.source == "content"
            )
        )
        rows = [
            {"article_id": a, "source": "content", "related_id": other, "score": score}
            for a in batch
            for other, score in found.get(a, ())
        ]
        if rows:
            db.session.execute(sa.insert(RelatedArticle), rows)
        db.session.commit()
        if progress:
            progress(len(batch))
    return len(wanted)


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Index every article that has no terms yet and recompute all suggestions."""
    unindexed = db.session.scalars(
        sa.select(Article.id).outerjoin(ArticleTerms).where(ArticleTerms.article_id.is_(None))
    ).all()
    index_articles(unindexed)
    model = load_model()
    return store(model, sorted(model.docs), progress)


def prepare(changed: Iterable[int]) -> tuple[Model, list[int]]:
    """After an import: index the changed articles; the model with them, and the
    articles whose suggestions they may change (themselves and their neighbours;
    everything when a large share of the archive changed)."""
    changed = set(changed)
    index_articles(changed)
    model = _saved_model(changed)
    if model is None or len(changed) >= FULL_REBUILD_SHARE * len(model.docs):
        model = load_model()
    else:
        model.put(_docs(changed))
        model.save(model_path())
    if len(changed) >= FULL_REBUILD_SHARE * len(model.docs):
        return model, sorted(model.docs)
    targets = set(changed)
    for found in model.all_neighbours(changed, STORED).values():
        targets.update(other for other, _ in found)
    return model, sorted(targets)


def update(changed: Iterable[int]) -> int:
    """Refresh the suggestions an import may have changed (see :func:`prepare`)."""
    changed = set(changed)
    if not changed:
        return 0
    model, targets = prepare(changed)
    return store(model, targets)


def suggestions(article: Article, limit: int) -> list[tuple[Article, float]]:
    """Best first; never the article itself; topped up so it is never empty while
    any other article exists (same category first, then the latest)."""
    rows = db.session.execute(
        sa.select(RelatedArticle.related_id, sa.func.max(RelatedArticle.score).label("score"))
        .where(RelatedArticle.article_id == article.id, RelatedArticle.related_id != article.id)
        .group_by(RelatedArticle.related_id)
        .order_by(sa.desc("score"), RelatedArticle.related_id)
        .limit(limit)
    ).all()
    by_id = {
        a.id: a
        for a in db.session.scalars(sa.select(Article).where(Article.id.in_([r[0] for r in rows])))
    }
    out = [(by_id[r[0]], float(r[1])) for r in rows if r[0] in by_id]
    if len(out) < limit:
        seen = {article.id, *(a.id for a, _ in out)}
        for same_category in (True, False):
            query = sa.select(Article).where(Article.id.not_in(seen))
            if same_category:
                query = query.where(Article.category_id == article.category_id)
            query = query.order_by(Article.published_at.desc(), Article.id.desc())
            for extra in db.session.scalars(query.limit(limit - len(out))):
                out.append((extra, 0.0))
                seen.add(extra.id)
            if len(out) >= limit:
                break
    return out[:limit]
