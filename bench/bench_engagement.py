"""Throughput and latency of the counting endpoints against a hello-world ceiling.

Runs the real app under gunicorn (same settings for every endpoint), drives it
with wrk on loopback, and prints requests/s, p50/p99 latency, the ratio to the
ceiling, Redis round trips per request (socket writes counted in the app) and
top-level Redis commands per request (Redis's own INFO commandstats). This
machine's speed drifts by tens of percent within minutes, so the ceiling and
the endpoints are measured in interleaved rounds and each ratio is the median
of the rounds' own ratios. The beacon and the reaction carry the site's own
Origin, as a browser's do; both are answered by the one ingest path
(``engagement/ingest/app.py``), never by Flask.

    .venv/bin/python bench/bench_engagement.py [--seconds 6] [--rounds 3] [--connections 16]
        [--redis-cluster]   # the same against a 3-master Redis Cluster

Needs wrk (apt-get install wrk; `make bench` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import (  # noqa: E402
    free_port,
    gunicorn,
    prepare_site,
    start_redis,
    wait_http,
)
from tests.conftest import RedisClusterServer  # noqa: E402

SLUG = "kashi-orchard-cooperative"
# Commands our Lua scripts run inside one EVALSHA: not round trips of their own.
SCRIPT_INNER = set(
    "get set hget hset hdel hincrby zincrby zrem expireat pfadd exists rename sadd hsetnx "
    "incrby pexpire expire incr ttl pttl zadd lpush lrange lrem ltrim zremrangebyrank "
    "zunionstore zinterstore del hmget zremrangebyscore".split()
)


AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36"
PAGE_VIEWS = 250  # open page views the ping scenario cycles through, one reader each
WRK_SCRIPTS = {
    "ping": """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "text/plain"  -- as sendBeacon sends it
        wrk.headers["Origin"] = "{origin}"
        local views = {page_views}
        local seq = {}
        counter = 0
        request = function()
          counter = counter + 1
          local i = counter % #views + 1
          seq[i] = (seq[i] or {offset}) + 1
          -- The reader that opened the page view: its address (and our User-Agent).
          wrk.headers["X-Forwarded-For"] = "198.19.1." .. i
          wrk.body = string.format(
            '{"page_view": "%s", "seq": %d, "engaged": 0.5, "depth": 0.4, "seen": []}',
            views[i], seq[i])
          return wrk.format()
        end
    """,
    "new_reader_view": """
        wrk.method = "POST"
        wrk.body = "{}"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Origin"] = "{origin}"  -- as a browser's beacon says it
        counter = 0
        request = function()
          counter = counter + 1
          -- 198.18.0.0/15 is the benchmarking range (RFC 2544); only a header here.
          local ip = string.format("198.%d.%d.%d", 18 + counter % 2,
                                   math.random(0, 255), counter % 250 + 1)
          wrk.headers["X-Forwarded-For"] = ip
          return wrk.format()
        end
    """,
    # A conditional request passes the worker's response cache: the page is rendered.
    "rendered_page": """
        wrk.headers["If-None-Match"] = '"bench"'
    """,
    "reaction_switch": """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Origin"] = "{origin}"
        local moods = {"smile", "sweat", "sad", "envy", "angry", "tears"}
        request = function()
          wrk.headers["X-Forwarded-For"] = "198.18.0." .. math.random(1, 250)
          wrk.body = '{"reaction": "' .. moods[math.random(1, 6)] .. '"}'
          return wrk.format()
        end
    """,
}


def run_wrk(
    url: str,
    seconds: int,
    connections: int,
    script: str | None,
    cpu: str | None,
    substitutions: dict[str, str] | None = None,
) -> dict[str, float]:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"User-Agent: {AGENT}",
    ]
    if script:
        path = Path(tempfile.mkstemp(suffix=".lua")[1])
        origin = "/".join(url.split("/")[:3])  # the site's own, as its pages send
        text = textwrap.dedent(script).replace("{origin}", origin)
        for name, value in (substitutions or {}).items():
            text = text.replace("{" + name + "}", value)
        path.write_text(text)
        command += ["-s", str(path)]
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


MEMORY_READERS = 2000


def open_page_views(base: str, redis_port: int, cluster: bool) -> tuple[str, float | None]:
    """Page views for the ping scenario (a Lua table of their ids), and Redis's
    memory per open page view, measured over MEMORY_READERS more (one server)."""

    def beacon(address: str) -> str:
        request = urllib.request.Request(
            base + f"/api/v1/articles/{SLUG}/views",
            data=b"{}",
            headers={
                "Content-Type": "application/json",
                "User-Agent": AGENT,
                "X-Forwarded-For": address,
                "Origin": base,
            },
        )
        return str(json.load(urllib.request.urlopen(request))["page_view"])

    ids = [beacon(f"198.19.1.{i}") for i in range(1, PAGE_VIEWS + 1)]
    table = "{" + ", ".join(f'"{i}"' for i in ids) + "}"
    if cluster:
        return table, None

    def used() -> int:
        out = subprocess.run(
            ["redis-cli", "-p", str(redis_port), "info", "memory"], capture_output=True, text=True
        ).stdout
        return int(re.search(r"used_memory:(\d+)", out).group(1))  # type: ignore[union-attr]

    # Repeat views of one reader each: the page view is all that is new.
    for i in range(MEMORY_READERS):
        beacon(f"198.19.{2 + i // 250}.{i % 250 + 1}")
    before = used()
    for i in range(MEMORY_READERS):
        beacon(f"198.19.{2 + i // 250}.{i % 250 + 1}")
    return table, (used() - before) / MEMORY_READERS


def commandstats(ports: list[int]) -> dict[str, int]:
    """Calls per command, summed over the servers (every primary of a cluster)."""
    stats: dict[str, int] = {}
    if not shutil.which("redis-cli"):
        return stats
    for port in ports:
        out = subprocess.run(
            ["redis-cli", "-p", str(port), "info", "commandstats"], capture_output=True, text=True
        ).stdout
        for name, calls in re.findall(r"cmdstat_([a-z|]+):calls=(\d+)", out):
            stats[name] = stats.get(name, 0) + int(calls)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn gthread threads")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (one CPU)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument(
        "--redis-cluster", action="store_true", help="run against a 3-master Redis Cluster"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (or run `make bench`)")

    cpus = os.cpu_count() or 1
    app_cpu, load_cpu = ("0", "1") if cpus >= 2 and shutil.which("taskset") else (None, None)
    tmp = Path(tempfile.mkdtemp(prefix="engagement-bench-"))
    http_port = free_port()
    if args.redis_cluster:
        # The tests' throwaway cluster, pinned like the single server below.
        cluster = RedisClusterServer(tmp / "cluster", cpu=load_cpu)
        cluster.start()
        redis_ports = [node.port for node in cluster.nodes]
        redis_url = cluster.url
        stop_redis = cluster.stop
    else:
        redis_ports = [free_port()]
        single = start_redis(tmp, redis_ports[0], cpu=load_cpu)
        redis_url = f"redis://127.0.0.1:{redis_ports[0]}/0"

        def stop_redis() -> None:
            single.terminate()
            single.wait(timeout=10)

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench",
        "ENGAGEMENT_TRUSTED_PROXIES": "1",
        "ENGAGEMENT_RATELIMIT_REACTIONS": "100000000/minute",
        "ENGAGEMENT_NEW_READERS_PER_ADDRESS": "100000000/minute",
        "ENGAGEMENT_REACTIONS_PER_ARTICLE": "100000000/day",
        "ENGAGEMENT_READER_PACE": "100000000/minute",
        "ENGAGEMENT_FLUSH_INTERVAL": "0",
        "PYTHONPATH": str(ROOT),
    }
    servers: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(0.3)
        prepare_site(env, "bench.benchapp")

        def serve(module: str, port: int) -> subprocess.Popen[bytes]:
            return gunicorn(
                module, port, env, args.threads, app_cpu, args.workers, args.worker_class
            )

        # The ceiling: a bare Flask app under exactly the same gunicorn settings,
        # measured in every round right before the endpoints it is compared with.
        hello_port = free_port()
        plain = serve("bench.hello_app:app", hello_port)
        servers.append(plain)
        server = serve("bench.benchapp:app", http_port)
        servers.append(server)
        base = f"http://127.0.0.1:{http_port}"
        wait_http(f"http://127.0.0.1:{hello_port}/")
        wait_http(base + "/bench/hello")

        scenarios = [
            ("bare Flask hello world (ceiling)", f"http://127.0.0.1:{hello_port}/", None),
            ("hello world inside this app", base + "/bench/hello", None),
            ("same plus one Redis PING", base + "/bench/ping", None),
            (
                "view beacon, new reader each request",
                base + f"/api/v1/articles/{SLUG}/views",
                "new_reader_view",
            ),
            ("reaction switch", base + f"/api/v1/articles/{SLUG}/reactions", "reaction_switch"),
            ("attention ping", base + f"/api/v1/articles/{SLUG}/pings", "ping"),
            ("ranking read (24h, top 10)", base + "/api/v1/rankings?window=24h&limit=10", None),
            ("article page", base + f"/articles/{SLUG}", None),
            (
                "article page, rendered (past the cache)",
                base + f"/articles/{SLUG}",
                "rendered_page",
            ),
        ]
        page_views, memory = open_page_views(base, redis_ports[0], args.redis_cluster)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in scenarios}
        wrk_runs = 0

        def values() -> dict[str, str]:
            # Each wrk run starts its pings' sequence numbers above the last run's.
            nonlocal wrk_runs
            wrk_runs += 1
            return {"page_views": page_views, "offset": str(wrk_runs * 5000)}

        for _ in range(args.rounds):
            for name, url, script in scenarios:
                lua = WRK_SCRIPTS.get(script or "")
                run_wrk(url, 1, args.connections, lua, load_cpu, values())  # warm-up
                # Round trips as counted by the app server that answers this URL.
                counter = base + "/bench/roundtrips"
                before = json.load(urllib.request.urlopen(counter))["sent"]
                for port in redis_ports:
                    subprocess.run(
                        ["redis-cli", "-p", str(port), "config", "resetstat"], capture_output=True
                    )
                result = run_wrk(url, args.seconds, args.connections, lua, load_cpu, values())
                after = json.load(urllib.request.urlopen(counter))["sent"]
                stats = commandstats(redis_ports)
                result["top_level"] = {
                    k: v
                    for k, v in stats.items()
                    if k not in SCRIPT_INNER and not k.startswith(("config", "info"))
                }
                # The ceiling runs on its own server: no round trips of ours.
                result["sent"] = (
                    0 if url.startswith(f"http://127.0.0.1:{hello_port}") else (after - before - 1)
                )
                runs[name].append(result)

        rows = []
        ceilings = [r["rps"] for r in runs[scenarios[0][0]]]
        for name, _, _ in scenarios:
            results = runs[name]
            requests = sum(r["requests"] for r in results) or 1
            top_level: dict[str, int] = {}
            for r in results:
                for k, v in r["top_level"].items():
                    top_level[k] = top_level.get(k, 0) + v
            rows.append(
                (
                    name,
                    {
                        "rps": statistics.median(r["rps"] for r in results),
                        "p50": statistics.median(r["p50"] for r in results),
                        "p99": statistics.median(r["p99"] for r in results),
                        # Each round's rate over that round's ceiling, then the median.
                        "ratio": statistics.median(
                            r["rps"] / c for r, c in zip(results, ceilings, strict=True)
                        ),
                        "roundtrips": sum(r["sent"] for r in results) / requests,
                        # Background work (the ranking refresher) rounds to 0.00: left out.
                        "mix": ", ".join(
                            f"{k} {v / requests:.2f}"
                            for k, v in sorted(top_level.items())
                            if v / requests >= 0.005
                        ),
                        "non2xx": sum(r["non2xx"] for r in results),
                    },
                )
            )

        pinned = f" (pinned to CPU {app_cpu}; wrk and Redis on CPU {load_cpu})" if app_cpu else ""
        print(
            f"engagement bench: gunicorn -w {args.workers} -k {args.worker_class}"
            f" --threads {args.threads}{pinned};"
            f" wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} interleaved rounds"
            f" (medians); {'3-master Redis Cluster' if args.redis_cluster else 'one Redis server'};"
            f" {time.strftime('%Y-%m-%d %H:%M')}"
        )
        print()
        header = (
            f"| {'endpoint':38} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | "
            f"{'vs ceiling':>10} | {'Redis round trips/req':>21} | top-level Redis commands/req |"
        )
        print(header)
        print(f"|{'-' * 40}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 12}|{'-' * 23}|{'-' * 30}|")

        def trips(value: float) -> str:
            # The counter lives in one worker: with several, Redis's own
            # command counts (the last column) are the ones to read.
            return f"{value:21.2f}" if args.workers == 1 else f"{'-':>21}"

        for name, r in rows:
            print(
                f"| {name:38} | {r['rps']:8.0f} | {r['p50']:7.2f} | {r['p99']:7.2f} | "
                f"{r['ratio']:10.2f} | {trips(r['roundtrips'])} | {r['mix'] or '-'} |"
            )
        if memory is not None:
            print(
                f"\nRedis memory per concurrent reader (an open page view, its readers-now"
                f" entries and its minute's count): {memory:.0f} bytes, measured over"
                f" {MEMORY_READERS:,} page views opened by view beacons."
            )
        bad = [(n, r["non2xx"]) for n, r in rows if r["non2xx"]]
        if bad:
            print(f"\nnon-2xx responses: {bad}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        stop_redis()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
