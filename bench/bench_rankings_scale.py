"""Does the cost of an event stay flat as the site grows?

For 1k, 100k and 1M articles active in the windows (views spread over every
bucket of every grain, in a throwaway Redis): the view script's time inside
Redis, a ranking read, and then ten simulated minutes of traffic (views every
simulated second and the window upkeep after each, crossing an hour's edge so
that a full hourly bucket is subtracted too) while 50 rankings are in demand
(each read once a simulated second). Prints the Redis CPU per second of the
upkeep and of the reads, and the slowest command Redis saw (``SLOWLOG``).

    .venv/bin/python bench/bench_rankings_scale.py [--sizes 1000,100000,1000000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import free_port, redis_binary, start_redis  # noqa: E402
from engagement.moods import MOOD_KEYS  # noqa: E402
from engagement.rankings import core as rankings  # noqa: E402
from engagement.store import counters, keys  # noqa: E402

# In the future (bucket expiry follows the real clock), 9 minutes before an hour's edge.
NOW = 1_893_456_000.0 + 3600 - 540
SIMULATED = 600  # seconds of traffic after the fill
VIEWS_PER_SECOND = 20
CATEGORIES = 20
DEMAND = [
    rankings.Ranking(window, metric, scope)
    for window in ("1h", "24h", "7d", "30d", "all")
    for metric in ("views", "hot", "reactions", "engaged", MOOD_KEYS[0])
    for scope in ("all", "c1")
]
assert len(DEMAND) == 50


def category(article: int | str) -> str:
    return f"c{int(article) % CATEGORIES}"


def pick(rng: random.Random, size: int) -> counters.ArticleRef:
    """An article as readers pick them: a few are read far more than the rest
    (log-uniform ranks), in its category of twenty."""
    article = min(size, int(size ** rng.random()))
    return counters.ArticleRef(article, "x", ("all", category(article)), NOW - 86400)


def fill(client: redis.Redis, size: int, rng: random.Random) -> None:
    """Views in every bucket of every window (the 1h window holds a tenth of the
    articles), then the upkeep's own rebuild sums them into the windows."""
    pipe = client.pipeline(transaction=False)
    for start in range(1, size + 1, 20_000):
        chunk = range(start, min(size, start + 19_999) + 1)
        pipe.zadd(keys.pub_key(), {str(a): rng.random() * 0.5 for a in chunk})
        for grain in keys.GRAINS:
            window = next(w for w in keys.WINDOWS if w.grain == grain.name)
            current = int(NOW // grain.seconds)
            share = 0.1 if grain.name == "m2" else 1.0
            buckets: dict[int, dict[str, int]] = {}
            for a in chunk:
                if rng.random() < share:
                    n = current - rng.randrange(window.count)
                    buckets.setdefault(n, {})[str(a)] = int(rng.paretovariate(1.2))
            for n, members in buckets.items():
                for scope in ("all", *(f"c{c}" for c in range(CATEGORIES))):
                    part = {a: v for a, v in members.items() if scope in ("all", category(a))}
                    if part:
                        pipe.zadd(keys.bucket_key("views", scope, grain.name, n), part)
                        reg = f"{keys.rank_prefix()}w-reg:{grain.name}:{n}"
                        pipe.sadd(reg, f"views:{scope}")
        pipe.execute()
    # A floor older than the buckets kept: the upkeep rebuilds every window.
    client.hset(keys.window_state_key(), mapping={f"f:{g.name}": 0 for g in keys.GRAINS})
    rankings.build(client, None, NOW)


def beacon(i: int) -> counters.Arrival:
    """What the page script's beacon brings: a page view, its source, the visitor."""
    return counters.Arrival(
        page_view=f"pv{i:08d}", source="search", host="www.baidu.com", visitor="new"
    )


def evalsha_usec(client: redis.Redis) -> float:
    return float(client.info("commandstats").get("cmdstat_evalsha", {}).get("usec", 0))


def measure(client: redis.Redis, size: int) -> dict[str, Any]:
    rng = random.Random(7)
    out: dict[str, Any] = {}
    client.config_set("slowlog-log-slower-than", 500)
    client.config_set("slowlog-max-len", 1024)
    client.slowlog_reset()
    client.config_resetstat()
    for i in range(3000):
        counters.record_view(client, pick(rng, size), f"bench-reader-{i}", NOW, 1800, beacon(i))
    out["view_us"] = client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"]
    started = time.perf_counter()
    for r in DEMAND:
        rankings.read(client, r, 10, NOW)
    out["read_ms"] = (time.perf_counter() - started) * 1000 / len(DEMAND)
    upkeep = reads = 0.0
    for second in range(1, SIMULATED + 1):
        now = NOW + second
        for i in range(VIEWS_PER_SECOND):
            counters.record_view(client, pick(rng, size), f"sim-{second}-{i}", now, 1800, beacon(i))
        before = evalsha_usec(client)
        rankings.build(client, None, now, budget=100_000)
        upkeep += evalsha_usec(client) - before
        before = evalsha_usec(client)
        for r in DEMAND:
            rankings.read(client, r, 10, now)
        reads += evalsha_usec(client) - before
    out["upkeep_pct"] = upkeep / SIMULATED / 1e6 * 100
    out["reads_pct"] = reads / SIMULATED / 1e6 * 100
    slow = client.slowlog_get(1024)
    worst = max(slow, key=lambda e: e["duration"], default=None)
    out["slowest_ms"] = worst["duration"] / 1000 if worst else None
    out["slowest_cmd"] = (
        " ".join(str(a) for a in worst["command"].split()[:2]) if worst else "none over 0.5 ms"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    args = parser.parse_args()
    print(f"window upkeep at scale; redis {redis_binary()}")
    print(
        f"{SIMULATED} simulated seconds, {VIEWS_PER_SECOND} views a second, "
        f"{len(DEMAND)} rankings read every simulated second"
    )
    print()
    print(
        "| active articles | fill + rebuild s | view script µs in Redis (vs 1k) "
        "| ranking read ms | upkeep % of a core | 50 rankings' reads % of a core "
        "| slowest command ms |"
    )
    print("|---|---|---|---|---|---|---|")
    base = None
    for size in (int(s) for s in args.sizes.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix="engagement-rank-bench-"))
        port = free_port()
        proc = start_redis(tmp, port)
        try:
            client = redis.Redis(port=port, decode_responses=True, socket_timeout=600)
            started = time.perf_counter()
            fill(client, size, random.Random(size))
            filled = time.perf_counter() - started
            m = measure(client, size)
            base = base or m["view_us"]
            slowest = (
                f"{m['slowest_ms']:.2f} ({m['slowest_cmd']})"
                if m["slowest_ms"] is not None
                else "< 0.5"
            )
            print(
                f"| {size:,} | {filled:.1f} | {m['view_us']:.0f} ({m['view_us'] / base:.2f}) "
                f"| {m['read_ms']:.3f} | {m['upkeep_pct']:.2f} | {m['reads_pct']:.2f} "
                f"| {slowest} |",
                flush=True,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
