"""What a reader event does, whichever HTTP front received it (the ingest app,
or the reaction form that works without JavaScript): the crawler check, the
reaction limit, the one Redis script, the outcome metrics and the answer body.

Nothing here reads a request; the callers pass the reader, the User-Agent and
the client address they found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from limits import parse_many

from ..clock import now
from ..metrics import PINGS, REACTIONS, VIEWS, child
from ..store import attention, counters
from ..store.attention import Ping, PingResult
from ..store.counters import NO_ARRIVAL, Arrival, ArticleRef, ReactionState, ViewResult
from ..store.limits import RateLimit, RateLimited, hit_limit
from . import readers
from .bots import is_bot


@lru_cache(maxsize=16)
def _windows(limit: str) -> tuple[tuple[int, int], ...]:
    """(amount, seconds) of each window of a Flask-Limiter string, e.g. "30/minute"."""
    return tuple((item.amount, item.get_expiry()) for item in parse_many(limit))


def reaction_limit(config: Mapping[str, Any], address: str) -> RateLimit:
    """A client's ``ENGAGEMENT_RATELIMIT_REACTIONS``, counted inside the reaction
    script (a Flask-Limiter decorator would be a second round trip)."""
    windows = _windows(str(config["ENGAGEMENT_RATELIMIT_REACTIONS"]))
    return RateLimit(readers.rate_limit_key(address, config["SECRET_KEY"]), windows)


def article_reaction_limit(
    config: Mapping[str, Any], limit: RateLimit, ref: ArticleRef
) -> RateLimit:
    """The client's bound on reaction changes to one article
    (``ENGAGEMENT_REACTIONS_PER_ARTICLE``): what it refuses is suspect traffic."""
    windows = _windows(str(config["ENGAGEMENT_REACTIONS_PER_ARTICLE"]))
    return RateLimit(f"r{ref.id}:{limit.client}", windows, rule="r")


def reader_pace(config: Mapping[str, Any], reader: str) -> RateLimit:
    """How many views one reader's identity may count (``ENGAGEMENT_READER_PACE``):
    more articles a minute than a person reads is a script."""
    windows = _windows(str(config["ENGAGEMENT_READER_PACE"]))
    return RateLimit(f"p:{reader}", windows, rule="p")


def new_reader_limit(config: Mapping[str, Any], address: str) -> RateLimit:
    """How many cookie-less view beacons of one address count
    (``ENGAGEMENT_NEW_READERS_PER_ADDRESS``): a NAT's crowd of real first-time
    readers fits; a loop that makes up identities does not."""
    windows = _windows(str(config["ENGAGEMENT_NEW_READERS_PER_ADDRESS"]))
    key = readers.new_readers_key(address, config["SECRET_KEY"])
    return RateLimit(key, windows, rule="a")


def _crawler(agent: str, browser_like: bool) -> bool:
    """A crawler's User-Agent, or a request no browser sends (``sanity.py``)."""
    return not browser_like or is_bot(agent)


def count_view(
    client: Any,
    ref: ArticleRef,
    reader: str,
    agent: str,
    config: Mapping[str, Any],
    arrival: Arrival = NO_ARRIVAL,
    limits: Sequence[RateLimit] = (),
    browser_like: bool = True,
) -> tuple[ViewResult, str | None]:
    """Count a view once per reader per window and open its page view (repeat
    views get one too: their attention is real); a crawler's is only counted as
    dropped, and one over ``limits`` (the reader's pace, a cookie-less reader's
    address) as suspect. ``browser_like`` False (``sanity.py``) makes it a crawler's.
    Returns the result and the page view's id (None when there is none)."""
    if _crawler(agent, browser_like):
        views = counters.record_dropped(client, "views_bot", now(config), ref)
        child(VIEWS, "bot").inc()
        return ViewResult(counted=False, views=views), None
    window = config["ENGAGEMENT_VIEW_WINDOW"]
    result = counters.record_view(client, ref, reader, now(config), window, arrival, limits)
    if result.suspect:
        child(VIEWS, "suspect").inc()
        return result, None
    child(VIEWS, "counted" if result.counted else "repeat").inc()
    return result, arrival.page_view or None


def ping(
    client: Any,
    ref: ArticleRef,
    reader: str,
    agent: str,
    config: Mapping[str, Any],
    event: Ping,
    browser_like: bool = True,
) -> PingResult:
    """Credit one attention ping to its page view; a crawler's changes nothing."""
    if _crawler(agent, browser_like):
        child(PINGS, "bot").inc()
        return PingResult(outcome="bot", credited=0)
    result = attention.record_ping(client, ref, reader, event, now(config))
    child(PINGS, result.outcome).inc()
    return result


def change_reaction(
    client: Any,
    ref: ArticleRef,
    reader: str,
    agent: str,
    mood: str | None,
    config: Mapping[str, Any],
    limit: RateLimit,
    toggle: bool = False,
    browser_like: bool = True,
) -> ReactionState:
    """Set, switch (``toggle``: or take back) or with ``mood=None`` remove the
    reader's reaction. A crawler's change is dropped and counted as such.

    Raises :class:`RateLimited`, having changed nothing, when the client
    is over its limit (crawlers included) or over its bound on this article
    (then the change is counted as ``reactions_suspect``).
    """
    try:
        if _crawler(agent, browser_like):
            wait = hit_limit(client, limit)
            if wait:
                raise RateLimited(wait)
            counters.record_dropped(client, "reactions_bot", now(config), ref)
            child(REACTIONS, "bot").inc()
            return counters.reaction_state(client, ref.id, None)
        state = counters.set_reaction(
            client,
            ref,
            reader,
            mood,
            now(config),
            toggle=toggle,
            limit=limit,
            article_limit=article_reaction_limit(config, limit, ref),
        )
    except RateLimited as exc:
        child(REACTIONS, "suspect" if exc.suspect else "limited").inc()
        raise
    child(REACTIONS, "changed" if state.changed else "unchanged").inc()
    return state


def reactions_body(slug: str, state: ReactionState) -> dict[str, Any]:
    return {"article": slug, "counts": state.counts, "total": state.total, "mine": state.mine}


def view_body(slug: str, result: ViewResult, page_view: str | None = None) -> dict[str, Any]:
    return {
        "article": slug,
        "counted": result.counted,
        "views": result.views,
        "page_view": page_view,
    }


def ping_body(result: PingResult) -> dict[str, Any]:
    return {"outcome": result.outcome, "credited": result.credited}
