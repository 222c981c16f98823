"""新闻排行: windowed leaderboards built on the counters' time buckets.

A ranking is a (window, metric, scope). Its stored result is a sorted set built
by one ``ZUNIONSTORE`` of the window's buckets (then ``ZINTERSTORE`` with the
publication fractions, which breaks ties by most recent publication) and swapped
in with ``RENAME``, so readers keep the old result meanwhile. Builds happen in a
background thread per process (:class:`Refresher`), one process at a time per
ranking (a lock with expiry), never inside a request. A request reads a stored
result with one ``ZRANGE ... REV LIMIT``, or less: each worker caches what it
read for half of ``ENGAGEMENT_RANKING_MAX_AGE``, and results are rebuilt when
older than the other half, so what is served lags the counters by at most
``ENGAGEMENT_RANKING_MAX_AGE`` seconds.

Windows slide, quantized to their grain: ``24h`` is the current hour and the 23
before it, ``1h`` the current two minutes and the 29 before, ``7d`` 28 six-hour
buckets, ``30d`` 30 days. ``all`` reads the all-time sorted sets, which are
always current.

``hot`` = Σ over the window's buckets of (views + 5 × reactions) × 2^(−age / h),
where age is how long ago the bucket started and the half-life h is a quarter of
the window (``all`` uses the last 30 days with h = 7 days). Recent attention
counts most; a reaction weighs as much as five views.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..background import ProcessThread
from ..moods import MOOD_KEYS
from ..store import keys
from ..store.keys import DAY, GRAINS
from ..store.scripts import scripts

WINDOWS: dict[str, tuple[str, int] | None] = {
    "1h": ("m2", 30),
    "24h": ("h1", 24),
    "7d": ("h6", 28),
    "30d": ("d1", 30),
    "all": None,
}
# What every page, widget and the admin area call a window (the one table).
WINDOW_LABELS = {"1h": "1小时", "24h": "24小时", "7d": "7天", "30d": "30天", "all": "全部"}
WINDOW_SECONDS = {"1h": 3600, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY}
# ``engaged``: engaged seconds (the attention pings); ``hot`` does not use them.
METRICS: tuple[str, ...] = ("views", "reactions", "hot", "engaged", *MOOD_KEYS)
HOT_WEIGHTS = {"views": 1.0, "reactions": 5.0}
HOT_SCALE = 1000.0  # hot scores are stored ×1000 so the tie fraction stays negligible
MAX_ITEMS = 50
WANTED_FOR = 600  # a ranking nobody asked for in 10 minutes is no longer rebuilt
GRAIN_SECONDS = {g.name: g.seconds for g in GRAINS}


def cache_seconds(config: Mapping[str, Any]) -> float:
    """How long a worker keeps what it read of a ranking (boards, the sidebar, the
    editorial controls, the response cache, HTTP max-age): half of
    ``ENGAGEMENT_RANKING_MAX_AGE``; the refresher rebuilds a ranking
    once it is older than the same, so a served one lags by at most the setting."""
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

    @classmethod
    def from_name(cls, name: str) -> Ranking:
        window, metric, scope = name.split(":")
        return cls(window, metric, scope)

    @property
    def live(self) -> bool:
        """All-time counts are read directly: nothing to build."""
        return self.window == "all" and self.metric != "hot"


@dataclass(frozen=True)
class Stored:
    """A ranking as read from Redis: generation, build time, (id, score) pairs."""

    generation: str
    generated_at: float
    entries: tuple[tuple[int, float], ...]


def result_key(r: Ranking) -> str:
    if r.live:
        return keys.total_key(r.metric, r.scope)
    return keys.ranking_result_key(r.name)


def sources(r: Ranking, now: float) -> list[tuple[str, float]]:
    """The bucket keys a ranking unions, with their weights."""
    if r.metric == "hot":
        grain, count = WINDOWS[r.window] or ("d1", 30)
        half_life = WINDOW_SECONDS[r.window] / 4 if r.window in WINDOW_SECONDS else 7 * DAY
        metrics = HOT_WEIGHTS
    else:
        window = WINDOWS[r.window]
        assert window is not None
        grain, count = window
        half_life = math.inf
        metrics = {r.metric: 1.0}
    size = GRAIN_SECONDS[grain]
    current = math.floor(now / size)
    found: list[tuple[str, float]] = []
    for n in range(current - count + 1, current + 1):
        decay = 1.0 if half_life == math.inf else 2 ** (-(now - n * size) / half_life)
        for metric, weight in metrics.items():
            scale = HOT_SCALE if r.metric == "hot" else 1.0
            found.append((keys.bucket_key(metric, r.scope, grain, n), weight * decay * scale))
    return found


def build(client: Any, r: Ranking, now: float, max_age: float | None = None) -> int | None:
    """Rebuild one stored result, unless another process holds its lock or (with
    ``max_age``) it is younger than that once the lock is ours; None if skipped."""
    if r.live:
        return None
    token = f"{os.getpid()}-{threading.get_ident()}-{time.monotonic()}"
    if not client.set(keys.ranking_lock_key(r.name), token, nx=True, px=30_000):
        return None
    try:
        if max_age is not None and not stale(client, [r.name], now, max_age):
            return None
        script = scripts(client).build_ranking
        buckets = sources(r, now)
        generation = script(
            keys=[
                result_key(r),
                *keys.ranking_scratch_keys(r.name),
                keys.pub_key(),
                keys.ranking_meta_key(),
                keys.ranking_generation_key(),
                *(k for k, _ in buckets),
            ],
            args=[r.name, now, *(w for _, w in buckets)],
        )
        return None if generation is None else int(generation)
    finally:
        if client.get(keys.ranking_lock_key(r.name)) == token:
            client.delete(keys.ranking_lock_key(r.name))


def read(client: Any, r: Ranking, limit: int, now: float) -> Stored | None:
    """One round trip: the top entries, when they were built, and a 'wanted' mark."""
    pipe = client.pipeline(transaction=False)
    pipe.zrange(result_key(r), 0, limit - 1, desc=True, withscores=True)
    pipe.hget(keys.ranking_meta_key(), r.name)
    if not r.live:
        pipe.zadd(keys.ranking_wanted_key(), {r.name: now})
    entries, meta, *_ = pipe.execute()
    pairs = tuple((int(member), float(score)) for member, score in entries)
    if r.live:
        return Stored(generation=f"live-{hash(pairs)}", generated_at=now, entries=pairs)
    if meta is None:
        return None
    generation, built = meta.split("|")
    return Stored(generation=generation, generated_at=float(built), entries=pairs)


def display_score(r: Ranking, raw: float) -> float | int:
    """Strip the tie fraction: counts are whole numbers, hot has 3 decimals."""
    if r.metric == "hot":
        return round(math.floor(raw) / HOT_SCALE, 3)
    return math.floor(raw)


def stale(client: Any, names: list[str], now: float, max_age: float) -> list[str]:
    if not names:
        return []
    built = client.hmget(keys.ranking_meta_key(), names)
    out = []
    for name, meta in zip(names, built, strict=True):
        if meta is None or now - float(meta.split("|")[1]) >= max_age:
            out.append(name)
    return out


def wanted(client: Any, now: float) -> list[str]:
    client.zremrangebyscore(keys.ranking_wanted_key(), "-inf", now - WANTED_FOR)
    return list(client.zrange(keys.ranking_wanted_key(), 0, -1))


class Refresher(ProcessThread):
    """Rebuilds the rankings readers asked for, in a daemon thread per process."""

    name = "engagement-rank"

    def __init__(self, app: Flask, client_getter: Callable[[], Any], clock: Callable[[], float]):
        super().__init__()
        self.app = app
        self.client_getter = client_getter
        self.clock = clock
        self.max_age = float(app.config["ENGAGEMENT_RANKING_MAX_AGE"])
        self.enabled = bool(app.config["ENGAGEMENT_RANKING_REFRESHER"])
        self.wake = threading.Event()
        self.built = threading.Condition()

    def ensure_started(self) -> None:
        if self.enabled:
            super().ensure_started()

    def stop(self, timeout: float = 10) -> None:
        self.stopped.set()
        self.wake.set()  # cut the current wait short
        super().stop(timeout)

    def request(self, r: Ranking, timeout: float = 2.0) -> None:
        """Ask for a cold ranking and wait (bounded) until some process built it."""
        if not self.enabled:
            return
        self.ensure_started()
        deadline = time.monotonic() + timeout
        client = self.client_getter()
        while time.monotonic() < deadline:
            if client.hexists(keys.ranking_meta_key(), r.name):
                return
            self.wake.set()
            with self.built:
                self.built.wait(min(0.05, max(0.0, deadline - time.monotonic())))

    def tick(self) -> int:
        """Rebuild every wanted ranking that is older than half the maximum age."""
        client = self.client_getter()
        now = self.clock()
        rebuilt = 0
        half = cache_seconds(self.app.config)
        for name in stale(client, wanted(client, now), now, half):
            if build(client, Ranking.from_name(name), now, half) is not None:
                rebuilt += 1
        if rebuilt:
            with self.built:
                self.built.notify_all()
        return rebuilt

    def run(self) -> None:
        interval = max(0.2, self.max_age / 4)
        while not self.stopped.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - Redis down: try again next tick
                self.app.logger.warning("ranking refresh failed", exc_info=True)
            self.wake.wait(interval)
            self.wake.clear()


def read_all(client: Any, r: Ranking) -> list[tuple[int, float]]:
    """Every article of a stored result with its score (exports, not requests)."""
    entries = client.zrange(result_key(r), 0, -1, desc=True, withscores=True)
    return [(int(member), float(score)) for member, score in entries]
