"""Attention in Redis: pings of open page views, readers now, minute-by-minute
readers and an article's daily attention numbers.

A view beacon opens a page view (``lua/view.lua``); each ping of it is one
script (``lua/ping.lua``) on the rankings slot, so it is atomic and one round
trip on any deployment. The keys are in ``keys.py``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .counters import ArticleRef
from .keys import (
    DAY,
    LIFETIMES,
    MINUTE,
    PREFIX,
    attention_key,
    minute_readers_key,
    readers_now_key,
    total_key,
)
from .scripts import scripts

DEPTH_SCALE = LIFETIMES["DEPTH_SCALE"]


@dataclass(frozen=True)
class Ping:
    """One ping as the ingest path validated it."""

    page_view: str
    seq: int
    engaged: float  # seconds asked for since the previous ping
    depth: float | None = None  # 0–1, the furthest fraction of the body seen
    hidden: bool = False  # the page was hidden or left: out of readers now at once
    seen: tuple[str, ...] = field(default_factory=tuple)  # newly viewable blocks and slots


@dataclass(frozen=True)
class PingResult:
    outcome: str  # ok, capped, unknown, stale, suspect
    credited: int  # whole engaged seconds added to the rankings


def record_ping(client: Any, ref: ArticleRef, reader: str, ping: Ping, now: float) -> PingResult:
    outcome, credited = queue_ping(client, ref, reader, ping, now)
    if isinstance(outcome, bytes):
        outcome = outcome.decode()
    return PingResult(outcome=str(outcome), credited=int(credited))


def queue_ping(
    client: Any, ref: ArticleRef, reader: str, ping: Ping, now: float, pipe: Any = None
) -> Any:
    """Run (or, given a pipeline, queue) the ping script; returns its raw reply."""
    depth = -1 if ping.depth is None else round(ping.depth * DEPTH_SCALE)
    args = [
        PREFIX,
        ping.page_view,
        ref.id,
        reader,
        now,
        ping.seq,
        round(ping.engaged, 3),
        depth,
        "1" if ping.hidden else "0",
        *ping.seen,
    ]
    return scripts(client).ping(args, pipe=pipe)


@dataclass
class Present:
    readers: int = 0
    engaged: int = 0


def readers_now(client: Any, now: float) -> dict[int, Present]:
    """Page views whose last ping is under ``NOW_SECONDS`` old, per article
    (two commands in one round trip; the sets hold the last minute only)."""
    since = now - LIFETIMES["NOW_SECONDS"]
    pipe = client.pipeline(transaction=False)
    pipe.zrangebyscore(readers_now_key(), since, "+inf")
    pipe.zrangebyscore(readers_now_key(engaged=True), since, "+inf")
    present, engaged = pipe.execute()
    found: dict[int, Present] = defaultdict(Present)
    for members, attr in ((present, "readers"), (engaged, "engaged")):
        for member in members:
            text = member.decode() if isinstance(member, bytes) else member
            article = int(text.partition(":")[0])
            setattr(found[article], attr, getattr(found[article], attr) + 1)
    return dict(found)


def minute_readers(client: Any, field_name: str, now: float, minutes: int = 30) -> list[int]:
    """Page views present in each of the last ``minutes`` minutes (oldest first);
    ``field_name`` is a scope (``all``, ``c<id>``) or ``a<article id>``."""
    current = math.floor(now / MINUTE)
    pipe = client.pipeline(transaction=False)
    for minute in range(current - minutes + 1, current + 1):
        pipe.hget(minute_readers_key(minute), field_name)
    return [int(v or 0) for v in pipe.execute()]


def article_days(client: Any, article_id: int, days: Iterable[int]) -> dict[str, int]:
    """An article's daily attention hashes summed over ``days`` (UTC day indexes)."""
    pipe = client.pipeline(transaction=False)
    for day in days:
        pipe.hgetall(attention_key(f"a{article_id}", day))
    total: dict[str, int] = defaultdict(int)
    for reply in pipe.execute():
        for k, v in reply.items():
            key = k.decode() if isinstance(k, bytes) else k
            total[key] += int(v)
    return dict(total)


def recent_days(now: float, count: int) -> Sequence[int]:
    today = math.floor(now / DAY)
    return range(today - count + 1, today + 1)


def article_totals(client: Any, article_id: int, metrics: Sequence[str]) -> dict[str, int]:
    """An article's all-time count of each metric (the ``all`` scope's totals)."""
    pipe = client.pipeline(transaction=False)
    for metric in metrics:
        pipe.zscore(total_key(metric, "all"), article_id)
    # The all-time scores carry the publication fraction: the count is the floor.
    return {m: int(float(v or 0)) for m, v in zip(metrics, pipe.execute(), strict=True)}
