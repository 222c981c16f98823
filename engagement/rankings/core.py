"""新闻排行: sliding-window leaderboards kept current by the events themselves.

A ranking is a (window, metric, scope). Each window is a sorted set that the
view, reaction and ping scripts update as they count (``lua/windows.lua``): a
ranking read is one ``ZRANGE ... REV LIMIT`` of it and reflects every
acknowledged event. Windows slide, quantized to their grain: ``24h`` is the
current hour and the 23 before it, ``1h`` the current two minutes and the 29
before, ``7d`` 28 six-hour buckets, ``30d`` 30 days. When a bucket leaves its
window the upkeep (:class:`Upkeep`, a thread per process, and any read that
finds it behind) subtracts it, in slices of ``WINDOW_SLICE`` articles, so no
Redis command grows with the number of articles. ``all`` reads the all-time
sorted sets. Each worker may keep what it read for half of
``ENGAGEMENT_RANKING_MAX_AGE`` (0: every read goes to Redis).

``hot`` = Σ over the window's buckets of (views + 5 × reactions) × 2^(−age / h),
where age is how long ago the bucket started and the half-life h is a quarter of
the window (``all`` uses the last 30 days with h = 7 days). Recent attention
counts most; a reaction weighs as much as five views. It is stored scaled by
2^((bucket start − R) / h) against a reference time R, so the stored order is
hot's order at any moment and nothing is rebuilt as time passes; R moves
forward (the sets are rescaled, in slices) when the numbers grow large.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..background import ProcessThread
from ..moods import MOOD_KEYS
from ..store import keys
from ..store.keys import HOT_SCALE, PREFIX
from ..store.scripts import scripts

WINDOWS: dict[str, keys.Window] = {w.name: w for w in keys.WINDOWS}
# What every page, widget and the admin area call a window (the one table).
WINDOW_LABELS = {"1h": "1小时", "24h": "24小时", "7d": "7天", "30d": "30天", "all": "全部"}
# ``engaged``: engaged seconds (the attention pings); ``hot`` does not use them.
METRICS: tuple[str, ...] = ("views", "reactions", "hot", "engaged", *MOOD_KEYS)
MAX_ITEMS = 50


def cache_seconds(config: Mapping[str, Any]) -> float:
    """How long a worker keeps what it read of a ranking (boards, the sidebar, the
    editorial controls, the response cache, HTTP max-age): half of
    ``ENGAGEMENT_RANKING_MAX_AGE``, so what is served lags by less than the setting
    (Redis itself is always current)."""
    return float(config["ENGAGEMENT_RANKING_MAX_AGE"]) / 2


def http_max_age(config: Mapping[str, Any]) -> int:
    """``Cache-Control: max-age`` of the public ranking answers (whole seconds, at least 1)."""
    return max(1, int(cache_seconds(config)))


@dataclass(frozen=True)
class Ranking:
    window: str
    metric: str
    scope: str = "all"

    @property
    def name(self) -> str:
        return f"{self.window}:{self.metric}:{self.scope}"

    @property
    def live(self) -> bool:
        """All-time counts: the ``total`` sets, not a window."""
        return self.window == "all" and self.metric != "hot"


@dataclass(frozen=True)
class Stored:
    """A ranking as read from Redis: a digest of it, the read's time, (id, score) pairs."""

    generation: str
    generated_at: float
    entries: tuple[tuple[int, float], ...]


def _digest(pairs: tuple[tuple[int, float], ...]) -> str:
    return format(zlib.crc32(repr(pairs).encode()), "08x")


def build(client: Any, r: Ranking | None, now: float, budget: int = 200) -> int:
    """Bring the windows current to ``now``: subtract what has left them, rescale
    hot (``budget`` upkeep steps at most); returns the steps that had work."""
    del r  # every window shares the upkeep
    upkeep = scripts(client).upkeep
    steps = 0
    while steps < budget:
        steps += 1
        if not int(upkeep([PREFIX, now, keys.WINDOW_SLICE])):
            return steps - 1
    return steps


def read(client: Any, r: Ranking, limit: int, now: float) -> Stored:
    """One round trip: the top ``limit`` entries (all with 0), as (id, score);
    hot scores are hot × HOT_SCALE at ``now``. A window the upkeep has not yet
    slid is slid first."""
    if r.live:
        entries = client.zrange(
            keys.total_key(r.metric, r.scope), 0, limit - 1, desc=True, withscores=True
        )
        pairs = tuple((int(member), float(score)) for member, score in entries)
        return Stored(generation=f"live-{_digest(pairs)}", generated_at=now, entries=pairs)
    args = [PREFIX, now, r.window, r.metric, r.scope, limit]
    reply = scripts(client).read_window(args)
    if int(reply[0]):
        build(client, r, now)
        reply = scripts(client).read_window(args)
    factor = float(reply[1])
    flat = reply[2:]
    pairs = tuple((int(flat[i]), float(flat[i + 1]) * factor) for i in range(0, len(flat), 2))
    return Stored(generation=f"w-{_digest(pairs)}", generated_at=now, entries=pairs)


def rank_of(client: Any, r: Ranking, article_id: int) -> int | None:
    """The article's 1-based place in the ranking, or None when it is not in it
    (a hot ranking in the middle of a rescale answers from its new sets)."""
    if r.live:
        key = keys.total_key(r.metric, r.scope)
    elif r.metric == "hot":
        epoch = client.hget(keys.window_state_key(), f"E:{r.window}")
        key = keys.hot_key(r.window, r.scope, int(epoch or 0))
    else:
        key = keys.window_key(r.window, r.metric, r.scope)
    rank = client.zrevrank(key, article_id)
    return None if rank is None else int(rank) + 1


def display_score(r: Ranking, raw: float) -> float | int:
    """Strip the tie fraction: counts are whole numbers, hot has 3 decimals."""
    if r.metric == "hot":
        return round(math.floor(raw) / HOT_SCALE, 3)
    return math.floor(raw)


class Upkeep(ProcessThread):
    """Slides the windows in a daemon thread per process, so that reads seldom
    find one behind: every ``interval`` seconds, the steps that are due."""

    name = "engagement-rank"

    def __init__(self, app: Flask, client_getter: Callable[[], Any], clock: Callable[[], float]):
        super().__init__()
        self.app = app
        self.client_getter = client_getter
        self.clock = clock
        self.enabled = bool(app.config["ENGAGEMENT_RANKING_REFRESHER"])
        self.interval = 1.0
        self.wake = threading.Event()

    def ensure_started(self) -> None:
        if self.enabled:
            super().ensure_started()

    def stop(self, timeout: float = 10) -> None:
        self.stopped.set()
        self.wake.set()  # cut the current wait short
        super().stop(timeout)

    def tick(self) -> int:
        return build(self.client_getter(), None, self.clock(), budget=10_000)

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - Redis down: try again next tick
                self.app.logger.warning("window upkeep failed", exc_info=True)
            self.wake.wait(self.interval)
            self.wake.clear()


def read_all(client: Any, r: Ranking, now: float) -> list[tuple[int, float]]:
    """Every article of a ranking with its score (exports, not requests)."""
    return list(read(client, r, 0, now).entries)
