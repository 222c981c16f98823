"""Write-behind: Redis is the hot store, SQL the record.

``flush`` moves pending deltas aside atomically (rename), writes them to SQL in
one transaction that also records the snapshot's id, then deletes the snapshot.
Increments that arrive meanwhile land in a fresh pending hash; a snapshot left
behind by a crash is picked up by the next flush, and the id row makes applying
it twice impossible, also with several flushers at once.

``restore`` gives a Redis that lost its data the durable past back: it adds the
SQL totals onto whatever was counted since the loss (flushes pause until then,
so nothing is counted twice) and puts readers' reactions back.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..background import PeriodicThread
from ..clock import now
from ..extensions import db, redis_store
from ..models import Article, ArticleDaily, ArticleStats, FlushLog, ReaderReaction
from ..related import coviews
from . import keys, snapshots
from .keys import COUNTER_FIELDS
from .refs import ref_for

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)
CHUNK = 500
RESTORE_LOCK_SECONDS = 600


class RestoreInProgress(RuntimeError):
    """Another process is restoring Redis; try the flush again shortly."""


@dataclass
class FlushReport:
    snapshots: int = 0
    applied: int = 0
    fields: int = 0
    restored: int = 0
    skipped_articles: set[int] = field(default_factory=set)


def _insert(model: Any) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT`` (SQLite and PostgreSQL)."""
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"write-behind supports SQLite and PostgreSQL, not {name}")


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _add_counts(model: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """Upsert rows, adding their counter columns onto existing ones."""
    for part in _chunks(rows):
        stmt = _insert(model).values(part)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={f: getattr(model, f) + getattr(stmt.excluded, f) for f in COUNTER_FIELDS},
        )
        db.session.execute(stmt)


def apply_snapshot(snapshot: snapshots.Snapshot, report: FlushReport) -> bool:
    """Write one snapshot to SQL exactly once; False if it was applied before."""
    try:
        db.session.add(FlushLog(id=snapshot.id, fields=len(snapshot.deltas)))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False

    ids = {a for a, _, _ in snapshot.deltas} | {a for a, _ in snapshot.readers}
    known: set[int] = set()
    if ids:
        known = set(db.session.scalars(sa.select(Article.id).where(Article.id.in_(ids))))
    report.skipped_articles |= ids - known

    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTER_FIELDS, 0))
    daily: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(COUNTER_FIELDS, 0)
    )
    for (article, day, metric), delta in snapshot.deltas.items():
        if article in known and metric in COUNTER_FIELDS:
            totals[article][metric] += delta
            daily[(article, day)][metric] += delta
    _add_counts(ArticleStats, ["article_id"], [{"article_id": a, **c} for a, c in totals.items()])
    _add_counts(
        ArticleDaily,
        ["article_id", "day"],
        [{"article_id": a, "day": EPOCH + timedelta(days=d), **c} for (a, d), c in daily.items()],
    )

    chosen = [
        {
            "article_id": a,
            "reader": r,
            "mood": choice[0],
            "reacted_at": datetime.fromtimestamp(choice[1], UTC),
        }
        for (a, r), choice in snapshot.readers.items()
        if a in known and choice is not None
    ]
    for part in _chunks(chosen):
        stmt = _insert(ReaderReaction).values(part)
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["article_id", "reader"],
                set_={"mood": stmt.excluded.mood, "reacted_at": stmt.excluded.reacted_at},
            )
        )
    removed = [(a, r) for (a, r), choice in snapshot.readers.items() if choice is None]
    for start in range(0, len(removed), CHUNK):
        pairs = removed[start : start + CHUNK]
        db.session.execute(
            sa.delete(ReaderReaction).where(
                sa.tuple_(ReaderReaction.article_id, ReaderReaction.reader).in_(pairs)
            )
        )
    db.session.commit()
    report.applied += 1
    report.fields += len(snapshot.deltas) + len(snapshot.readers)
    return True


def sql_has_history() -> bool:
    return (
        db.session.scalar(sa.select(ArticleStats.article_id).limit(1)) is not None
        or db.session.scalar(sa.select(ReaderReaction.article_id).limit(1)) is not None
    )


def flush(client: Any | None = None) -> FlushReport:
    """Move everything pending in Redis into SQL."""
    client = client or redis_store.client
    report = FlushReport()
    if not snapshots.has_epoch(client):
        if sql_has_history():
            log.warning("Redis has lost its data: restoring counters from SQL before flushing")
            report.restored = restore(client)
        else:
            snapshots.set_epoch(client, datetime.now(UTC).isoformat())
    if snapshots.take_snapshot(client, uuid.uuid4().hex) < 0:
        raise RestoreInProgress("Redis lost its data during the flush; run it again")
    viewed: set[int] = set()
    for flush_id in snapshots.open_snapshots(client):
        snapshot = snapshots.read_snapshot(client, flush_id)
        report.snapshots += 1
        apply_snapshot(snapshot, report)
        snapshots.drop_snapshot(client, flush_id)
        viewed.update(a for a, _, metric in snapshot.deltas if metric == "views")
    coviews.fold(client, viewed)
    return report


def restore(
    client: Any | None = None,
    days: int = 30,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild all-time counts, daily buckets and reactions from SQL; returns articles."""
    client = client or redis_store.client
    lock = client.lock(keys.restore_lock_key(), timeout=RESTORE_LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        raise RestoreInProgress("another process is restoring the counters")
    try:
        if snapshots.has_epoch(client):
            return 0
        moment = now()
        first_day = int(moment // keys.DAY) - days
        restored = 0
        ids = list(db.session.scalars(sa.select(ArticleStats.article_id).order_by("article_id")))
        with_stats = set(ids)
        ids += [
            a
            for a in db.session.scalars(sa.select(ReaderReaction.article_id).distinct())
            if a not in with_stats
        ]
        for start in range(0, len(ids), CHUNK):
            batch = ids[start : start + CHUNK]
            restored += _restore_batch(client, batch, first_day, moment)
            if progress:
                progress(len(batch))
            db.session.rollback()  # drop the loaded batch from the session
        snapshots.set_epoch(client, datetime.now(UTC).isoformat())
        return restored
    finally:
        lock.release()


def _restore_batch(client: Any, ids: list[int], first_day: int, moment: float) -> int:
    articles = {a.id: a for a in db.session.scalars(sa.select(Article).where(Article.id.in_(ids)))}
    stats = {
        s.article_id: s
        for s in db.session.scalars(sa.select(ArticleStats).where(ArticleStats.article_id.in_(ids)))
    }
    daily: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    start = EPOCH + timedelta(days=first_day)
    for history in db.session.scalars(
        sa.select(ArticleDaily).where(ArticleDaily.article_id.in_(ids), ArticleDaily.day >= start)
    ):
        day = (history.day - EPOCH).days
        for metric in COUNTER_FIELDS:
            value = getattr(history, metric)
            if value:
                daily[history.article_id].append((day, metric, value))
    chosen: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for reaction in db.session.scalars(
        sa.select(ReaderReaction).where(ReaderReaction.article_id.in_(ids))
    ):
        chosen[reaction.article_id].append(
            (reaction.reader, reaction.mood, reaction.reacted_at.timestamp())
        )
    for article_id, article in articles.items():
        row = stats.get(article_id)
        totals = {f: getattr(row, f) for f in COUNTER_FIELDS} if row else {}
        snapshots.restore_article(
            client, ref_for(article), totals, daily[article_id], chosen[article_id], moment
        )
    return len(articles)


class PeriodicFlusher(PeriodicThread):
    """Flushes every ``interval`` seconds in a daemon thread of each process.

    Started on a process's first request; several processes flushing at once is
    safe (see the module docstring). Jitter keeps the workers of one host from
    flushing in lockstep.
    """

    name = "engagement-flush"

    def __init__(self, app: Flask, interval: float) -> None:
        super().__init__(app, interval, jitter=0.2)

    def tick(self) -> None:
        flush()


def flusher(app: Flask) -> PeriodicFlusher | None:
    """The process's flusher (``create_app`` starts it with the first request), if any."""
    interval = app.config["ENGAGEMENT_FLUSH_INTERVAL"]
    if interval and not app.testing:
        return PeriodicFlusher(app, interval)
    return None
