"""Do a ranking read and a counted view stay cheap as the site grows?

For 1k, 100k and 1M ranked articles: fills 24 hourly view buckets in a
throwaway Redis, builds the 24h ranking once (the refresher's work) and then
times the read a request does (one pipeline: ZRANGE ... REV LIMIT 10, the build
time, the 'wanted' mark) and a counted view of a random article (the view
script). Prints p50/p99 read latency, the build time, the view's latency and
its time inside Redis, and Redis memory per ranked article.

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

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import free_port, redis_binary, start_redis  # noqa: E402
from engagement.rankings import core as rankings  # noqa: E402
from engagement.store import counters, keys  # noqa: E402

NOW = 1_893_456_000.0 + 1800  # in the future: bucket expiry follows the real clock


def fill(client: redis.Redis, size: int, rng: random.Random) -> None:
    hour = int(NOW // 3600)
    pipe = client.pipeline(transaction=False)
    pub = {}
    for article in range(1, size + 1):
        pub[article] = rng.random() * 0.5
    for start in range(1, size + 1, 10_000):
        chunk = range(start, min(size, start + 9_999) + 1)
        pipe.zadd(keys.pub_key(), {str(a): pub[a] for a in chunk})
        # Each article is read in a few of the last 24 hours (long-tail counts).
        for b in range(24):
            members = {str(a): int(rng.paretovariate(1.2)) for a in chunk if rng.random() < 0.15}
            if members:
                pipe.zadd(keys.bucket_key("views", "all", "h1", hour - b), members)
        pipe.execute()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--reads", type=int, default=3000)
    args = parser.parse_args()
    binary = redis_binary()
    print(f"ranking read at scale; {args.reads} reads each; redis {binary}")
    print()
    print(
        "| articles ranked | read p50 ms | read p99 ms | vs 1k (p50) | build 24h ms "
        "| view p50 ms (vs 1k) | view script µs in Redis | Redis bytes per article |"
    )
    print("|---|---|---|---|---|---|---|---|")
    base = base_view = None
    for size in (int(s) for s in args.sizes.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix="engagement-rank-bench-"))
        port = free_port()
        proc = start_redis(tmp, port)
        try:
            client = redis.Redis(port=port, decode_responses=True, socket_timeout=120)
            before = client.info("memory")["used_memory"]
            fill(client, size, random.Random(size))
            r = rankings.Ranking("24h", "views")
            started = time.perf_counter()
            rankings.build(client, r, NOW)
            build_ms = (time.perf_counter() - started) * 1000
            used = client.info("memory")["used_memory"] - before
            latencies = []
            for _ in range(args.reads):
                started = time.perf_counter()
                stored = rankings.read(client, r, 10, NOW)
                latencies.append((time.perf_counter() - started) * 1000)
                assert stored is not None and len(stored.entries) == 10
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            # The cost of counting a view at this size: the script's ZINCRBYs are O(log N).
            view_ms = []
            rng = random.Random(7)
            client.config_resetstat()  # the build above ran a script too
            for i in range(args.reads):
                ref = counters.ArticleRef(rng.randint(1, size), "x", ("all", "c1"), NOW - 86400)
                started = time.perf_counter()
                counters.record_view(client, ref, f"bench-reader-{i}", NOW, 1800)
                view_ms.append((time.perf_counter() - started) * 1000)
            view_p50 = percentile(view_ms, 0.5)
            script_us = client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"]
            base = base or p50
            base_view = base_view or view_p50
            print(
                f"| {size:,} | {p50:.3f} | {p99:.3f} | {p50 / base:.2f} | {build_ms:.0f} "
                f"| {view_p50:.3f} ({view_p50 / base_view:.2f}) | {script_us:.0f} "
                f"| {used / size:.0f} |"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
