"""'Readers of this article also read', folded into the stored suggestions.

The view script counts, per pair of articles, the readers who read both within
a day (``keys.coview_key``), and how many such co-reads each article takes
part in (``keys.coview_degrees_key``). Raw co-read counts favour whatever
is popular: every article is co-read with the front page's top story. So a
pair counts by its lift, how many more readers read both than the two
articles' own popularity predicts (co-reads of a × co-reads of b / all
co-reads), with a pseudo-count that keeps a handful of readers from looking
like a strong signal. A pair also needs ``MIN_READERS`` co-readers before it
counts at all. Content similarity stays in the lead until co-reads are
significant: only a lift of ``FULL_LIFT`` reaches ``WEIGHT``.

The write-behind flush folds the pairs of recently viewed articles into
``related_articles`` (source ``coview``), so serving stays one SQL query.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Article, RelatedArticle
from ..store import counters, keys

CANDIDATES = keys.LIFETIMES["COVIEW_KEEP"]  # every pair the view script keeps per article
TOP = 10
MIN_READERS = 10
PRIOR = 5.0  # co-reads added to the expectation: shrinks lifts of thin evidence
FULL_LIFT = 8.0
# A pair read together FULL_LIFT times more than expected scores like a strong content match.
WEIGHT = 0.6


def lift(together: int, degree_a: int, degree_b: int, total: int) -> float:
    """How many times more often a and b were read together than their
    popularity alone predicts, shrunk towards 0 for small counts."""
    if total <= 0 or degree_a <= 0 or degree_b <= 0:
        return 0.0
    expected = degree_a * degree_b / total
    return together / (expected + PRIOR)


def score(lift_value: float) -> float:
    """0 at a lift of 1 or less, ``WEIGHT`` at ``FULL_LIFT`` and above."""
    if lift_value <= 1.0:
        return 0.0
    return WEIGHT * min(1.0, math.log(lift_value) / math.log(FULL_LIFT))


def scores(
    pairs: list[tuple[int, int]], degree: int, degrees: dict[int, int], total: int
) -> list[tuple[int, float]]:
    """The pairs of one article worth suggesting, best first, at most ``TOP``."""
    out = []
    for other, together in pairs:
        if together < MIN_READERS:
            continue
        value = score(lift(together, degree, degrees.get(other, 0), total))
        if value > 0:
            out.append((other, value))
    out.sort(key=lambda pair: (-pair[1], pair[0]))
    return out[:TOP]


def fold(client: Any, article_ids: Iterable[int]) -> int:
    """Replace the co-view suggestions of the given articles; returns rows written."""
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    known = set(db.session.scalars(sa.select(Article.id)))
    pairs = counters.coviews(client, ids, CANDIDATES)
    involved = set(ids).union(*({o for o, _ in p} for p in pairs.values()))
    degrees, total = counters.coview_degrees(client, involved)
    rows = []
    for article_id, found in pairs.items():
        if article_id not in known:
            continue
        mine = [(o, c) for o, c in found if o in known]
        for other, value in scores(mine, degrees.get(article_id, 0), degrees, total):
            rows.append(
                {"article_id": article_id, "source": "coview", "related_id": other, "score": value}
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
