"""Request-level counting shared by the JSON API and the no-JavaScript forms:
who the reader is, whether they are a bot, and which clock to use."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from ..extensions import redis_store
from ..metrics import REACTIONS, VIEWS, child
from ..store import counters
from ..store.counters import ArticleRef, ReactionState, ViewResult
from . import readers
from .bots import is_bot


def same_origin(url: str, host_url: str) -> bool:
    """Whether an Origin or Referer value names the site at ``host_url`` ("https://host/")."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return f"{parts.scheme}://{parts.netloc}".lower() == host_url.rstrip("/").lower()


def is_listed_origin(origin: str, config: Mapping[str, Any]) -> bool:
    """Whether ``origin`` is one of ``ENGAGEMENT_ALLOWED_ORIGINS`` (they get CORS answers)."""
    return origin.rstrip("/").lower() in config["ENGAGEMENT_ALLOWED_ORIGINS"]


def is_same_origin(url: str) -> bool:
    """Whether an Origin or Referer value names this site."""
    return same_origin(url, request.host_url)


def now(config: Mapping[str, Any] | None = None) -> float:
    """Wall-clock seconds, or the injected ``ENGAGEMENT_CLOCK`` (tests, simulations).

    ``config`` defaults to the current app's.
    """
    clock = (current_app.config if config is None else config).get("ENGAGEMENT_CLOCK")
    return float(clock()) if clock else time.time()


class ReactionsLimited(TooManyRequests):
    """429 for a client over ``ENGAGEMENT_RATELIMIT_REACTIONS``; carries Retry-After."""

    description = "操作过于频繁，请稍后再试。"


@lru_cache(maxsize=16)
def _windows(limit: str) -> tuple[tuple[int, int], ...]:
    """(amount, seconds) of each window of a Flask-Limiter string, e.g. "30/minute"."""
    return tuple((item.amount, item.get_expiry()) for item in parse_many(limit))


def reaction_limit(
    config: Mapping[str, Any] | None = None, address: str | None = None
) -> counters.RateLimit:
    """A client's reaction limit (this request's client and app by default), read
    from config per request.

    The limit is counted inside the reaction script (see ``counters``) rather
    than by a Flask-Limiter decorator, which would be a second round trip.
    """
    config = current_app.config if config is None else config
    windows = _windows(str(config["ENGAGEMENT_RATELIMIT_REACTIONS"]))
    return counters.RateLimit(readers.rate_limit_key(address, config["SECRET_KEY"]), windows)


def from_bot() -> bool:
    return is_bot(request.environ.get("HTTP_USER_AGENT", ""))


def change_reaction(ref: ArticleRef, mood: str | None, toggle: bool = False) -> ReactionState:
    """Apply the reader's choice; a crawler's is dropped and only counted as dropped.

    Raises :class:`RedisUnavailable` when Redis does not answer and
    :class:`ReactionsLimited` when the client is over its limit (bots included).
    """
    reader = readers.current_reader()
    limit = reaction_limit()
    try:
        with redis_store.guard() as client:
            if from_bot():
                wait = counters.hit_limit(client, limit)
                if wait:
                    child(REACTIONS, "limited").inc()
                    raise counters.RateLimited(wait)
                counters.record_dropped(client, "reactions_bot", now(), ref)
                child(REACTIONS, "bot").inc()
                return counters.reaction_state(client, ref.id, None)
            config = current_app.config
            return change_human_reaction(client, ref, reader, mood, config, limit, toggle)
    except counters.RateLimited as exc:
        raise ReactionsLimited(retry_after=exc.retry_after) from None


def change_human_reaction(
    client: Any,
    ref: ArticleRef,
    reader: str,
    mood: str | None,
    config: Mapping[str, Any],
    limit: counters.RateLimit,
    toggle: bool = False,
) -> ReactionState:
    """The change itself, shared with the fast path (``fastpath.py``).

    Raises :class:`counters.RateLimited` (having changed nothing) over the limit.
    """
    try:
        state = counters.set_reaction(
            client, ref, reader, mood, now(config), toggle=toggle, limit=limit
        )
    except counters.RateLimited:
        child(REACTIONS, "limited").inc()
        raise
    child(REACTIONS, "changed" if state.changed else "unchanged").inc()
    return state


def count_view(ref: ArticleRef) -> ViewResult:
    """Count a view once per reader per window; bots are dropped and counted as such."""
    reader = readers.current_reader()
    with redis_store.guard() as client:
        if from_bot():
            views = counters.record_dropped(client, "views_bot", now(), ref)
            child(VIEWS, "bot").inc()
            return ViewResult(counted=False, views=views)
        return count_human_view(client, ref, reader, current_app.config)


def count_human_view(
    client: Any, ref: ArticleRef, reader: str, config: Mapping[str, Any]
) -> ViewResult:
    """The counting itself, shared with the fast path (``fastpath.py``)."""
    window = config["ENGAGEMENT_VIEW_WINDOW"]
    result = counters.record_view(client, ref, reader, now(config), window)
    child(VIEWS, "counted" if result.counted else "repeat").inc()
    return result
