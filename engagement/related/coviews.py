"""'Readers of this article also read', folded into the stored suggestions.

The view script counts, per pair of articles, the readers who read both within
a day (``counters.coview_key``). The write-behind flush folds the strongest
pairs of recently viewed articles into ``related_articles`` (source
``coview``), so serving stays one SQL query. An article needs ``MIN_READERS``
co-reads before they count, and their weight grows with the evidence up to
``FULL_AT``: a handful of readers is noise, hundreds are a signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .. import counters
from ..extensions import db
from ..models import Article, RelatedArticle

TOP = 10
MIN_READERS = 10
FULL_AT = 100
WEIGHT = 0.6  # a full-strength top co-view scores like a strong content match


def scores(pairs: list[tuple[int, int]]) -> list[tuple[int, float]]:
    total = sum(count for _, count in pairs)
    if total < MIN_READERS or not pairs:
        return []
    top = pairs[0][1]
    strength = min(1.0, total / FULL_AT)
    return [(other, WEIGHT * strength * count / top) for other, count in pairs]


def fold(client: Any, article_ids: Iterable[int]) -> int:
    """Replace the co-view suggestions of the given articles; returns rows written."""
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    known = set(db.session.scalars(sa.select(Article.id)))
    rows = []
    for article_id, pairs in counters.coviews(client, ids, TOP).items():
        if article_id not in known:
            continue
        for other, score in scores([(o, c) for o, c in pairs if o in known]):
            rows.append(
                {"article_id": article_id, "source": "coview", "related_id": other, "score": score}
            )
    db.session.execute(
        sa.delete(RelatedArticle).where(
            RelatedArticle.article_id.in_(ids), RelatedArticle.source == "coview"
        )
    )
    if rows:
        db.session.execute(sa.insert(RelatedArticle), rows)
    db.session.commit()
    return len(rows)
