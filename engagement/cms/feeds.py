"""RSS and Atom feeds of registered sites, polled in the background and by
``flask poll-feeds``. feedparser reads the feeds (every RSS and Atom dialect,
broken ones included); ``fetch`` gets them with conditional GET."""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import sqlalchemy as sa
from flask import Flask

from ..background import PeriodicThread
from ..extensions import db
from ..models import Feed, Site, utcnow
from . import urls
from .articles import UNDATED, Saved, save
from .fetch import FetchError, fetch

log = logging.getLogger(__name__)

# A broken feed is tried again after interval × 2^failures, at most this long.
MAX_BACKOFF = timedelta(hours=6)
# A poll holds its feed this long, so another process does not poll it too.
LEASE = timedelta(minutes=5)
MAX_ITEMS = 500
ERRORS_SHOWN = 5


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _time(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed"):
        parsed = entry.get(name)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def _image(entry: Any) -> str | None:
    candidates = [
        m.get("url") for m in entry.get("media_content", []) + entry.get("media_thumbnail", [])
    ]
    candidates += [
        e.get("href")
        for e in entry.get("enclosures", [])
        if _text(e.get("type")).startswith("image/")
    ]
    for url in candidates:
        try:
            return urls.web_url(url or "")
        except urls.BadURL:
            continue
    return None


def item(entry: Any, site: Site, source: str, polled: datetime) -> dict[str, Any]:
    """One feed entry in the import format (``importer.parse_record`` checks it)."""
    link = _text(entry.get("link"))
    if not link:
        raise ValueError("the item has no link")
    content = entry.get("content") or []
    body = _text(content[0].get("value")) if content else ""
    summary = _text(entry.get("summary"))
    terms = [_text(t.get("term")) for t in entry.get("tags", [])]
    terms = [t for t in terms if t]
    published = _time(entry)
    return {
        "slug": urls.slug_for(link, site.url_pattern, site.name),
        "url": link,
        "title": _text(entry.get("title")),
        "body": body or summary or _text(entry.get("title")),
        "category": terms[0] if terms else site.default_category,
        "tags": terms[1:],
        "published_at": (published or polled).isoformat(),
        UNDATED: published is None,
        "author": _text(entry.get("author"))[:200] or None,
        "source": source[:200] or None,
        "image_url": _image(entry),
    }


def _items(parsed: Any, site: Site, polled: datetime) -> list[tuple[str, Any]]:
    source = _text(parsed.feed.get("title")) or site.name
    found: list[tuple[str, Any]] = []
    for number, entry in enumerate(parsed.entries[:MAX_ITEMS], start=1):
        where = f"条目 {number}"
        try:
            found.append((where, item(entry, site, source, polled)))
        except (ValueError, TypeError, AttributeError) as exc:
            found.append((where, exc))  # parse_record reports a non-object
    return found


def _describe(saved: Saved) -> str | None:
    if not saved.errors:
        return None
    shown = [f"{where}：{why}" for where, why in saved.errors[:ERRORS_SHOWN]]
    more = len(saved.errors) - len(shown)
    return "；".join(shown) + (f"；另有 {more} 条" if more > 0 else "")


def _failed(feed: Feed, interval: int, reason: str, now: datetime) -> None:
    feed.failures += 1
    feed.error = reason
    feed.status = f"失败（第 {feed.failures} 次）"
    wait = min(timedelta(seconds=interval * 2 ** min(feed.failures, 16)), MAX_BACKOFF)
    feed.next_poll_at = now + wait


def poll(feed: Feed, interval: int) -> Saved | None:
    """Fetch and import one feed; its row says how it went. None when it failed."""
    now = utcnow()
    feed.polled_at = now
    try:
        got = fetch(feed.url, feed.etag, feed.last_modified)
    except FetchError as exc:
        _failed(feed, interval, str(exc), now)
        db.session.commit()
        return None
    if got.status == 304:
        feed.failures, feed.error, feed.ok_at = 0, None, now
        feed.status = "未更新（304）"
        feed.next_poll_at = now + timedelta(seconds=interval)
        db.session.commit()
        return Saved()
    headers = {"content-type": got.content_type, "content-location": got.url}
    parsed = feedparser.parse(got.content, response_headers=headers)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: "")() or str(
            parsed.get("bozo_exception") or "没有条目"
        )
        _failed(feed, interval, f"不是可读的 RSS/Atom：{reason[:300]}", now)
        db.session.commit()
        return None
    saved = save(feed.site, _items(parsed, feed.site, now))
    feed.etag, feed.last_modified = got.etag, got.last_modified
    feed.failures, feed.ok_at = 0, now
    feed.status = saved.summary()
    feed.error = _describe(saved)
    feed.next_poll_at = now + timedelta(seconds=interval)
    db.session.commit()
    return saved


def claim(feed_id: int, seen: datetime, lease: timedelta = LEASE) -> bool:
    """Take a due feed for this process: only one process wins the update."""
    result = db.session.execute(
        sa.update(Feed)
        .where(Feed.id == feed_id, Feed.next_poll_at == seen)
        .values(next_poll_at=utcnow() + lease)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def poll_due(
    interval: int, everything: bool = False, site: Site | None = None
) -> list[tuple[Feed, Saved | None]]:
    """Poll the feeds that are due (``everything``: all of them, now; ``site``: its own)."""
    query = sa.select(Feed.id, Feed.next_poll_at).order_by(Feed.next_poll_at)
    if site is not None:
        query = query.where(Feed.site_id == site.id)
    if not everything:
        query = query.where(Feed.next_poll_at <= utcnow())
    done = []
    for feed_id, seen in db.session.execute(query).all():
        if not everything and not claim(feed_id, seen):
            continue
        feed = db.session.get(Feed, feed_id)
        if feed is not None:
            done.append((feed, poll(feed, interval)))
    return done


class FeedPoller(PeriodicThread):
    """Polls due feeds every few seconds; processes share the work through ``claim``."""

    name = "engagement-feeds"

    def __init__(self, app: Flask, interval: int) -> None:
        super().__init__(app, min(10, interval))
        self.interval = interval

    def tick(self) -> None:
        poll_due(self.interval)


def poller(app: Flask) -> FeedPoller | None:
    interval = app.config["ENGAGEMENT_FEED_INTERVAL"]
    if interval and not app.testing:
        return FeedPoller(app, interval)
    return None
