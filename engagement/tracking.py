"""Request-level counting shared by the JSON API and the no-JavaScript forms:
who the reader is, whether they are a bot, and which clock to use."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, request

from . import counters, readers
from .bots import is_bot
from .counters import ArticleRef, ReactionState, ViewResult
from .extensions import redis_store
from .metrics import REACTIONS, VIEWS, child


def is_same_origin(url: str) -> bool:
    """Whether an Origin or Referer value names this site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() == request.host_url.rstrip("/").lower()


def now() -> float:
    """Wall-clock seconds, or the injected ``ENGAGEMENT_CLOCK`` (tests, simulations)."""
    clock = current_app.config.get("ENGAGEMENT_CLOCK")
    return float(clock()) if clock else time.time()


def reaction_limit() -> str:
    """Flask-Limiter's limit for reaction changes, read from config per request."""
    return str(current_app.config["ENGAGEMENT_RATELIMIT_REACTIONS"])


def from_bot() -> bool:
    return is_bot(request.environ.get("HTTP_USER_AGENT", ""))


def change_reaction(ref: ArticleRef, mood: str | None, toggle: bool = False) -> ReactionState:
    """Apply the reader's choice; a crawler's is dropped and only counted as dropped.

    Raises :class:`RedisUnavailable` when Redis does not answer.
    """
    reader = readers.current_reader()
    with redis_store.guard() as client:
        if from_bot():
            counters.record_dropped(client, "reactions_bot", now(), None)
            child(REACTIONS, "bot").inc()
            return counters.reaction_state(client, ref.id, None)
        state = counters.set_reaction(client, ref, reader, mood, now(), toggle=toggle)
    child(REACTIONS, "changed" if state.changed else "unchanged").inc()
    return state


def count_view(ref: ArticleRef) -> ViewResult:
    """Count a view once per reader per window; bots are dropped and counted as such."""
    reader = readers.current_reader()
    with redis_store.guard() as client:
        if from_bot():
            views = counters.record_dropped(client, "views_bot", now(), ref.id)
            child(VIEWS, "bot").inc()
            return ViewResult(counted=False, views=views)
        window = current_app.config["ENGAGEMENT_VIEW_WINDOW"]
        result = counters.record_view(client, ref, reader, now(), window)
    child(VIEWS, "counted" if result.counted else "repeat").inc()
    return result
