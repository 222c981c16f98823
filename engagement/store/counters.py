"""What the engagement core does in Redis: count views and reactions, read
counts and traffic numbers, reset an article.

Key names are in ``keys.py`` and the Lua in ``lua/`` (run through
``scripts.py``). On one server a view or a reaction change is one script, so it
is atomic and costs one round trip. The reaction limit
(``ENGAGEMENT_RATELIMIT_REACTIONS``, a Flask-Limiter string) is counted by the
reaction script itself, with Flask-Limiter's fixed-window rule: as a separate
Flask-Limiter check it cost a second round trip and about 200 µs of Python per
reaction. On a cluster the limit keys live in the client's own slot, so there
it is a small script of its own before the reaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..moods import MOOD_KEYS
from .keys import (
    ATTENTION_METRICS,
    COUNTER_FIELDS,
    HOUR,
    LIFETIMES,
    METRICS,
    PREFIX,
    bucket_key,
    counts_key,
    coview_degrees_key,
    coview_key,
    pub_key,
    readers_key,
    seen_key,
    site_uniques_key,
    stats_key,
)
from .limits import RateLimit, RateLimited, check_limits
from .scripts import scripts


@dataclass(frozen=True)
class Arrival:
    """A view's attention part: the page view it opens (its id, made by the ingest
    path), its traffic source and referring host, and this tab's previous page
    view with the block and slot clicked there. Empty strings where unknown."""

    page_view: str = ""
    source: str = ""
    host: str = ""
    prev: str = ""
    via: str = ""
    visitor: str = ""

    def args(self) -> list[str]:
        return [self.page_view, self.source, self.host, self.prev, self.via, self.visitor]


NO_ARRIVAL = Arrival()

PUB_EPOCH = 946684800  # 2000-01-01T00:00:00Z
PUB_SCALE = 2**27  # minutes: about 255 years fit below 1.0


def pub_fraction(published_ts: float) -> float:
    """Publication time as a fraction in [0, 1), minute resolution.

    Added once to an article's all-time scores and, at ranking refresh, to
    windowed ones: equal counts then order the newest article first, and
    ``floor(score)`` is still the count (exact below 2**26).
    """
    minutes = max(0.0, (published_ts - PUB_EPOCH) // 60)
    return min(minutes / PUB_SCALE, 1 - 2**-27)


@dataclass(frozen=True)
class ArticleRef:
    """What a counter call needs to know about an article."""

    id: int
    slug: str
    scopes: tuple[str, ...]  # "all" and "c<id>" for its category and every parent
    published_ts: float

    @property
    def pub_fraction(self) -> float:
        return pub_fraction(self.published_ts)


def coviews(client: Any, article_ids: Sequence[int], n: int) -> dict[int, list[tuple[int, int]]]:
    """Each article's ``n`` most co-read articles with their counts (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for article_id in article_ids:
        pipe.zrange(coview_key(article_id), 0, n - 1, desc=True, withscores=True)
    return {
        article_id: [(int(other), int(count)) for other, count in reply]
        for article_id, reply in zip(article_ids, pipe.execute(), strict=True)
    }


def coview_degrees(client: Any, article_ids: Iterable[int]) -> tuple[dict[int, int], int]:
    """Co-reads each article takes part in, and the site's total (one round trip)."""
    ids = sorted(set(article_ids))
    values = client.hmget(coview_degrees_key(), ["_all", *ids])
    degrees = {a: int(v or 0) for a, v in zip(ids, values[1:], strict=True)}
    return degrees, int(values[0] or 0)


# --- operations ---------------------------------------------------------------


@dataclass(frozen=True)
class ViewResult:
    counted: bool
    views: int
    suspect: bool = False  # held back by a suspect bound (the reader's pace, its address)


@dataclass(frozen=True)
class ReactionState:
    counts: dict[str, int]
    mine: str | None
    changed: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def queue_view(
    client: Any,
    ref: ArticleRef,
    reader: str,
    now: float,
    window: int,
    pipe: Any = None,
    arrival: Arrival = NO_ARRIVAL,
    limits: Sequence[RateLimit] = (),
) -> Any:
    """Run (or, given a pipeline, queue) the view script; returns its raw reply.

    ``arrival`` opens the page view its pings will name, with where it came from.
    With ``limits`` (the reader's pace, a cookie-less reader's address) the view
    first counts against them, in the same script on one server; over one, the
    reply is ``[0, views, 1]`` and the view is counted as ``views_suspect`` only.
    """
    head = [PREFIX, ref.id, reader, now, window, ",".join(ref.scopes), ref.pub_fraction]
    tail = arrival.args()
    view = scripts(client).view
    if view.cluster:
        return _view_apart(client, ref, reader, [*head, "", *tail], limits)
    limit_keys, spec, refused = check_limits(
        client, view.cluster, limits, "views_suspect", now, ref
    )
    if refused:
        return [0, int(client.hget(counts_key(ref.id), "views") or 0), 1]
    return view.run(
        counts_key(ref.id),
        [*head, "", *tail, spec],
        lambda reply: [*head, reply[0], *tail, ""],
        pipe=pipe,
        extra_keys=limit_keys,
    )


def _view_apart(
    client: Any, ref: ArticleRef, reader: str, args: list[Any], limits: Sequence[RateLimit]
) -> Any:
    """A cluster's view: the article half and the rankings half at once (the
    bounds are the rankings half's, their keys carry its tag). When a bound
    holds the view back, what the article half counted is taken back."""
    bounds = [limit for limit in limits if limit is not None and limit.windows]
    spec = ",".join(limit.spec for limit in bounds)
    article, rank = scripts(client).view.run_apart(
        client,
        counts_key(ref.id),
        [*args, spec],
        [pub_key(), *(key for limit in bounds for key in limit.keys)],
        [*args, spec],
    )
    if not int(rank[1]):
        return article
    views = int(article[1])
    if int(article[0]):
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(counts_key(ref.id), "views", -1)
        pipe.delete(seen_key(ref.id, reader))
        views = int(pipe.execute()[0])
    return [0, views, 1]


def queue_reaction(
    client: Any,
    ref: ArticleRef,
    reader: str,
    mood: str | None,
    now: float,
    toggle: bool = False,
    pipe: Any = None,
    limit: RateLimit | None = None,
    article_limit: RateLimit | None = None,
) -> Any:
    """Run (or, given a pipeline, queue) the reaction script; returns its raw reply.

    With ``limit`` (and ``article_limit``, the client's bound on this article)
    the change counts against them first, in the same script on one server; a
    full window makes the reply ``[-1, seconds to wait, suspect]``.
    """
    args = [
        PREFIX,
        ref.id,
        reader,
        now,
        ",".join(ref.scopes),
        mood or "",
        "1" if toggle else "0",
        ref.pub_fraction,
    ]
    react = scripts(client).react
    limit_keys, spec, refused = check_limits(
        client, react.cluster, (limit, article_limit), "reactions_suspect", now, ref
    )
    if refused:
        return [-1, refused[0], int(refused[1])]

    def rank_args(reply: list[Any]) -> list[Any] | None:
        changed, mine, old, old_ts = reply[:4]
        return [*args, changed, mine or "", old or "", old_ts or ""] if changed else None

    return react.run(
        counts_key(ref.id),
        [*args, spec, *MOOD_KEYS],
        rank_args,
        pipe=pipe,
        extra_keys=limit_keys,
    )


def record_view(
    client: Any,
    ref: ArticleRef,
    reader: str,
    now: float,
    window: int,
    arrival: Arrival = NO_ARRIVAL,
    limits: Sequence[RateLimit] = (),
) -> ViewResult:
    """Count one view unless this reader was counted within ``window`` seconds
    (or one of ``limits`` holds it back as suspect)."""
    reply = queue_view(client, ref, reader, now, window, arrival=arrival, limits=limits)
    suspect = len(reply) > 2 and bool(int(reply[2]))
    return ViewResult(counted=bool(reply[0]), views=int(reply[1]), suspect=suspect)


def set_reaction(
    client: Any,
    ref: ArticleRef,
    reader: str,
    mood: str | None,
    now: float,
    toggle: bool = False,
    limit: RateLimit | None = None,
    article_limit: RateLimit | None = None,
) -> ReactionState:
    """Set (or with ``mood=None`` remove) the reader's one reaction; atomic.

    Raises :class:`RateLimited` (and changes nothing) when a limit is full.
    """
    reply = queue_reaction(
        client, ref, reader, mood, now, toggle, limit=limit, article_limit=article_limit
    )
    if reply[0] == -1:
        raise RateLimited(int(reply[1]), suspect=len(reply) > 2 and bool(int(reply[2])))
    changed, mine, _old, _old_ts, *counts = reply
    return ReactionState(
        counts=dict(zip(MOOD_KEYS, (int(c) for c in counts), strict=True)),
        mine=mine or None,
        changed=bool(changed),
    )


def reaction_state(client: Any, article_id: int, reader: str | None) -> ReactionState:
    """Counts and the reader's own mood, in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.hmget(counts_key(article_id), list(MOOD_KEYS))
    if reader:
        pipe.hget(readers_key(article_id), reader)
    replies = pipe.execute()
    counts = {k: int(v or 0) for k, v in zip(MOOD_KEYS, replies[0], strict=True)}
    mine = replies[1].split("|")[0] if reader and replies[1] else None
    return ReactionState(counts=counts, mine=mine)


def article_counts(client: Any, article_id: int) -> dict[str, int]:
    values = client.hmget(counts_key(article_id), list(COUNTER_FIELDS))
    return {k: int(v or 0) for k, v in zip(COUNTER_FIELDS, values, strict=True)}


def queue_dropped(pipe: Any, kind: str, now: float, scopes: Sequence[str] = ("all",)) -> None:
    """Queue the counting of one dropped request on a pipeline, for the site and
    each of the article's categories."""
    hour = math.floor(now / HOUR)
    pipe.hincrby(stats_key(), kind, 1)
    for scope in scopes:
        pipe.hincrby(stats_key(hour, scope), kind, 1)
        pipe.expireat(stats_key(hour, scope), (hour + LIFETIMES["STATS_HOURS"]) * HOUR)


def record_dropped(client: Any, kind: str, now: float, ref: ArticleRef) -> int:
    """Count traffic we refused to count (``views_bot``, ``reactions_bot``).

    Returns the article's all-time views, read in the same round trip.
    """
    pipe = client.pipeline(transaction=False)
    queue_dropped(pipe, kind, now, ref.scopes)
    pipe.hget(counts_key(ref.id), "views")
    return int(pipe.execute()[-1] or 0)


def reset_article(client: Any, ref: ArticleRef, now: float) -> None:
    """Zero an article's counts everywhere in Redis (see the reset script)."""
    args = [PREFIX, ref.id, ",".join(ref.scopes), now, *METRICS, *ATTENTION_METRICS]
    scripts(client).reset.run(counts_key(ref.id), args, lambda _: args)


def hourly_stats(client: Any, hours: Sequence[int], scope: str = "all") -> list[dict[str, int]]:
    """Traffic numbers of each given hour index, site-wide or of one category
    (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for hour in hours:
        pipe.hgetall(stats_key(hour, scope))
    return [{k: int(v) for k, v in reply.items()} for reply in pipe.execute()]


def unique_readers(client: Any, kind: str, indexes: Sequence[int], scope: str = "all") -> int:
    """Distinct readers over hours (``h``) or days (``d``): a merged HyperLogLog count."""
    keys = [site_uniques_key(kind, i, scope) for i in indexes]
    return int(client.pfcount(*keys)) if keys else 0


def article_series(
    client: Any, article_id: int, metrics: Sequence[str], grain: str, indexes: Sequence[int]
) -> dict[str, list[int]]:
    """An article's count per bucket, per metric, from the ranking buckets."""
    pipe = client.pipeline(transaction=False)
    for metric in metrics:
        for n in indexes:
            pipe.zscore(bucket_key(metric, "all", grain, n), article_id)
    replies = iter(pipe.execute())
    return {m: [int(float(next(replies) or 0)) for _ in indexes] for m in metrics}
