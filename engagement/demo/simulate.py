"""Demo traffic: a simulated week of readers, so a fresh site has shape.

Popularity follows a long tail (a few articles get most views, newer ones
more), traffic follows the day (quiet at night, busy in the evening, site
time), some readers come back, one view in twelve ends in a reaction whose
mood leans the article's way, and one request in twenty is a crawler. The
events go through the same Lua scripts as real traffic, in time order,
pipelined, then the write-behind flushes them into the SQL history.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from ..clock import now
from ..extensions import db, redis_store
from ..models import Article
from ..moods import MOOD_KEYS
from ..store import counters
from ..store.attention import Ping, queue_ping
from ..store.counters import NO_ARRIVAL, Arrival, ArticleRef
from ..store.refs import ref_for
from .attention import Attention

# Share of a day's traffic in each local hour (evening peak, night trough).
HOURLY_SHAPE = [
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.5,
    3.5,
    3.8,
    3.6,
    3.4,
    3.6,
    3.3,
    3.1,
    3.0,
    3.1,
    3.4,
    3.8,
    4.3,
    4.6,
    4.2,
    3.2,
    2.0,
]
BATCH = 500


@dataclass(frozen=True)
class Event:
    at: float
    article: ArticleRef
    reader: str
    kind: str  # "view", "react", "ping" or "bot"
    mood: str | None = None
    arrival: Arrival = NO_ARRIVAL
    ping: Ping | None = None


def plan(refs: list[ArticleRef], views: int, days: int, seed: int, end: float) -> list[Event]:
    rng = random.Random(seed)
    newest = sorted(refs, key=lambda r: -r.published_ts)
    # Zipf-like popularity, with a bonus for recent articles.
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(newest))]
    rng.shuffle(weights)
    weights = [w * (1.5 if i < len(newest) // 4 else 1) for i, w in enumerate(weights)]
    leaning = {r.id: rng.choice(MOOD_KEYS) for r in refs}
    readers = [f"{rng.getrandbits(128):032x}" for _ in range(max(50, views // 6))]
    hours = days * 24
    start = end - hours * 3600
    zone = current_app.config["ENGAGEMENT_TIMEZONE"]
    hour_weights = [
        HOURLY_SHAPE[datetime.fromtimestamp(start + h * 3600, zone).hour] for h in range(hours)
    ]
    events = []
    attention = Attention(rng)
    for _ in range(views):
        hour = rng.choices(range(hours), hour_weights)[0]
        at = start + hour * 3600 + rng.random() * 3600
        article = rng.choices(newest, weights)[0]
        if rng.random() < 0.05:
            events.append(Event(at, article, "bot", "bot"))
            continue
        # Three views in ten come from a core of returning readers.
        if rng.random() < 0.3:
            reader = readers[min(len(readers) - 1, int(rng.paretovariate(1.3)) - 1)]
        else:
            reader = rng.choice(readers)
        events.append(Event(at, article, reader, "view"))
        if rng.random() < 1 / 12:
            mood = leaning[article.id] if rng.random() < 0.6 else rng.choice(MOOD_KEYS)
            events.append(Event(at + rng.random() * 120, article, reader, "react", mood))
    events.sort(key=lambda e: e.at)
    # Attention in time order: a tab's previous page view is the one before.
    attended: list[Event] = []
    for e in events:
        if e.kind != "view":
            attended.append(e)
            continue
        arrival = attention.arrival(e.reader, e.at, e.article.id)
        attended.append(replace(e, arrival=arrival))
        for p in attention.pings(arrival.page_view, e.at):
            if p.at < end:
                attended.append(Event(p.at, e.article, e.reader, "ping", ping=p.ping))
    attended.sort(key=lambda e: e.at)
    return attended


def simulate(views: int, days: int, seed: int, progress: Callable[[int], None]) -> dict[str, int]:
    articles = list(db.session.scalars(sa.select(Article)))
    if not articles:
        raise ValueError("there are no articles to read")
    refs = [ref_for(a) for a in articles]
    events = plan(refs, views, days, seed, now())
    client = redis_store.client
    window = current_app.config["ENGAGEMENT_VIEW_WINDOW"]
    tally = {"view": 0, "react": 0, "ping": 0, "bot": 0}
    for start in range(0, len(events), BATCH):
        pipe = client.pipeline(transaction=False)
        for e in events[start : start + BATCH]:
            tally[e.kind] += 1
            if e.kind == "view":
                counters.queue_view(
                    client, e.article, e.reader, e.at, window, pipe=pipe, arrival=e.arrival
                )
            elif e.kind == "ping" and e.ping is not None:
                queue_ping(client, e.article, e.reader, e.ping, e.at, pipe=pipe)
            elif e.kind == "react":
                counters.queue_reaction(client, e.article, e.reader, e.mood, e.at, pipe=pipe)
            else:
                counters.queue_dropped(pipe, "views_bot", e.at, e.article.scopes)
        pipe.execute()
        progress(min(BATCH, len(events) - start))
    return {"events": len(events), **tally}
