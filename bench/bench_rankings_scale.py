"""Does the cost of an event stay flat as the site grows?

For 1k, 100k and 1M articles active in the windows (views spread over every
bucket of every grain, each size in a throwaway Redis of its own, all filled
first): the view script's time inside Redis, measured in interleaved rounds so
that the machine's drift falls on every size alike; a ranking read; then ten
simulated minutes of traffic (views every simulated second and the window
upkeep after each, crossing an hour's edge so that a full hourly bucket is
subtracted too) while 50 rankings are in demand (each read once a simulated
second). Prints the Redis CPU per second of the upkeep and of the reads, how
many commands took over 5 ms and the slowest one (``SLOWLOG``), named.

    .venv/bin/python bench/bench_rankings_scale.py [--sizes 1000,100000,1000000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
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
ROUNDS = 7
ROUND_VIEWS = 600
SLOWLOG_LEN = 4096
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


def view_round(client: redis.Redis, size: int, rng: random.Random, tag: str) -> float:
    """µs inside Redis per view script, over ``ROUND_VIEWS`` new readers' views."""
    client.config_resetstat()
    for i in range(ROUND_VIEWS):
        counters.record_view(client, pick(rng, size), f"{tag}-{i}", NOW, 1800, beacon(i))
    return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"])


def simulate(client: redis.Redis, size: int) -> dict[str, Any]:
    """Ten simulated minutes: views, the upkeep after each second, 50 rankings read."""
    rng = random.Random(size + 1)
    out: dict[str, Any] = {}
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
    return out


def script_names(client: redis.Redis) -> dict[str, str]:
    """SHA1 → the operation it runs, for the SLOWLOG's EVALSHA lines."""
    from engagement.store import scripts

    found = scripts.scripts(client)
    names: dict[str, str] = {}
    for name in vars(found):
        item = getattr(found, name)
        for part in ("whole", "article", "rank", "script"):
            script = getattr(item, part, None)
            if script is not None and hasattr(script, "sha"):
                names[script.sha] = name
        if hasattr(item, "sha"):
            names[item.sha] = name
    return names


def slow_commands(client: redis.Redis) -> tuple[list[tuple[float, str]], int]:
    """Commands over 0.5 ms (ms, what) since the reset, and all commands run."""
    names = script_names(client)
    slow = []
    for entry in client.slowlog_get(SLOWLOG_LEN):
        raw = entry["command"]
        words = (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)).split()
        what = words[0] if words else "?"
        if what.upper() == "EVALSHA" and len(words) > 1:
            what = names.get(words[1], words[1][:8])
        slow.append((entry["duration"] / 1000, what))
    total = sum(
        int(v["calls"]) for k, v in client.info("commandstats").items() if k.startswith("cmdstat_")
    )
    return slow, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"window upkeep at scale; redis {redis_binary()}")
    print(
        f"view script: {args.rounds} interleaved rounds of {ROUND_VIEWS} new readers' views "
        "per size, each size in its own Redis, filled first; the ratio is the median of the "
        "rounds' own ratios to the smallest size (this machine's speed drifts within minutes)"
    )
    print(
        f"then {SIMULATED} simulated seconds per size, {VIEWS_PER_SECOND} views a second, "
        f"{len(DEMAND)} rankings read every simulated second"
    )
    print()
    servers: dict[int, tuple[Path, subprocess.Popen[bytes], redis.Redis]] = {}
    filled: dict[int, float] = {}
    try:
        for size in sizes:
            tmp = Path(tempfile.mkdtemp(prefix="engagement-rank-bench-"))
            port = free_port()
            proc = start_redis(tmp, port)
            client = redis.Redis(port=port, decode_responses=True, socket_timeout=600)
            servers[size] = (tmp, proc, client)
            started = time.perf_counter()
            fill(client, size, random.Random(size))
            filled[size] = time.perf_counter() - started
            client.config_set("slowlog-log-slower-than", 500)
            client.config_set("slowlog-max-len", SLOWLOG_LEN)
            client.slowlog_reset()
            print(f"filled {size:,} articles in {filled[size]:.1f} s", flush=True)
        per_round: dict[int, list[float]] = {size: [] for size in sizes}
        rngs = {size: random.Random(7 + size) for size in sizes}
        for n in range(args.rounds):
            order = sizes[n % len(sizes) :] + sizes[: n % len(sizes)]
            for size in order:
                client = servers[size][2]
                per_round[size].append(view_round(client, size, rngs[size], f"r{n}"))
        base = sizes[0]
        ratios = {
            size: statistics.median(
                per_round[size][i] / per_round[base][i] for i in range(args.rounds)
            )
            for size in sizes
        }
        results = {size: simulate(servers[size][2], size) for size in sizes}
        print()
        print(
            "| active articles | fill + rebuild s | view script µs in Redis, median | "
            f"vs {base:,} (median of rounds) | ranking read ms | upkeep % of a core | "
            "50 rankings' reads % of a core | commands over 5 ms | slowest command ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for size in sizes:
            m = results[size]
            slow, total = slow_commands(servers[size][2])
            over = [s for s in slow if s[0] > 5]
            worst = max(slow, default=None)
            slowest = f"{worst[0]:.2f} ({worst[1]})" if worst else "< 0.5"
            over_text = f"{len(over)} of {total:,}" + (
                " (" + ", ".join(f"{ms:.1f} {what}" for ms, what in sorted(over)[-3:]) + ")"
                if over
                else ""
            )
            print(
                f"| {size:,} | {filled[size]:.1f} | {statistics.median(per_round[size]):.0f} "
                f"| {ratios[size]:.2f} | {m['read_ms']:.3f} | {m['upkeep_pct']:.2f} "
                f"| {m['reads_pct']:.2f} | {over_text} | {slowest} |",
                flush=True,
            )
        print()
        print(
            "per-round view µs: "
            + "; ".join(
                f"{size:,}: " + ", ".join(f"{v:.0f}" for v in per_round[size]) for size in sizes
            )
        )
    finally:
        for tmp, proc, _client in servers.values():
            proc.terminate()
            proc.wait(timeout=60)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
