"""engagement side by side with WordPress-style SQL counters, same machine, same load.

The peer (bench/peer_app.py) counts a view with an SQL UPDATE of the post's
total plus an upsert into a per-day summary table, and answers "most read in
24 hours" with ORDER BY over that table, on PostgreSQL. This script fills the
peer's tables with 100k posts and 10M daily rows, then measures in one run:

- counting: view requests/s of the peer app and of engagement's view beacon,
  both under gunicorn -w 1 -k gthread --threads 4 (pinned), wrk -c16, and what
  each view costs the data store in CPU (all ``postgres`` processes for the
  peer, the redis-server for us, from /proc): the app tier scales out by adding
  servers, the one primary database does not;
- a 24h top-10: the peer's SQL query against engagement's ranking read (a
  stored sorted set with 100k members).

    PEER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_peer.py [--posts 100000] [--days 100]

Needs PostgreSQL (skips with a message when none answers) and wrk.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_engagement import WRK_SCRIPTS, run_wrk  # noqa: E402
from bench.common import free_port, gunicorn, prepare_site, start_redis, wait_http  # noqa: E402
from engagement.rankings import core as rankings  # noqa: E402
from engagement.store import keys  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
PEER_SCRIPT = """
    wrk.method = "POST"
    request = function()
      return wrk.format(nil, "/view/" .. math.random(1, %d))
    end
"""
HOT_POST = """
    wrk.method = "POST"
    request = function() return wrk.format(nil, "/view/1") end
"""


def fill(conn: psycopg.Connection, posts: int, days: int) -> float:
    started = time.perf_counter()
    # A schema of its own, so the test suite's schema resets never meet it.
    conn.execute("CREATE SCHEMA IF NOT EXISTS engagement_peer")
    conn.execute("DROP TABLE IF EXISTS engagement_peer.daily, engagement_peer.posts")
    conn.execute(
        "CREATE TABLE engagement_peer.posts "
        "(id integer PRIMARY KEY, views bigint NOT NULL DEFAULT 0)"
    )
    conn.execute(
        "CREATE TABLE engagement_peer.daily (post_id integer NOT NULL, day date NOT NULL, "
        "views bigint NOT NULL, PRIMARY KEY (post_id, day))"
    )
    conn.execute("INSERT INTO engagement_peer.posts (id) SELECT generate_series(1, %s)", (posts,))
    conn.execute(
        "INSERT INTO engagement_peer.daily (post_id, day, views) "
        "SELECT p, current_date - d, 1 + (random() * 50)::int "
        "FROM generate_series(1, %s) p, generate_series(0, %s) d",
        (posts, days - 1),
    )
    conn.execute("CREATE INDEX ON engagement_peer.daily (day)")
    conn.execute("ANALYZE engagement_peer.posts")
    conn.execute("ANALYZE engagement_peer.daily")
    conn.commit()
    return time.perf_counter() - started


def time_it(fn, runs: int) -> tuple[float, float]:  # noqa: ANN001
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def store_cpu_seconds(names: set[str], pids: set[int]) -> float:
    """User + system CPU so far of the processes named ``names`` or with ``pids``.

    PostgreSQL's backends and its WAL writer, checkpointer and the rest are all
    called ``postgres``: together they are what the peer's counting costs the
    database server.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        if comm in names or int(stat.parent.name) in pids:
            fields = text[text.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    args = parser.parse_args()
    url = os.environ.get("PEER_DATABASE_URL", DEFAULT_URL)
    try:
        conn = psycopg.connect(url, connect_timeout=3)
    except psycopg.OperationalError as exc:
        sys.exit(f"peer bench skipped: no PostgreSQL at {url} ({exc.__class__.__name__})")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (or run `make bench`)")
    cpu = ["taskset", "-c", "0"] if (os.cpu_count() or 1) >= 2 and shutil.which("taskset") else []
    load_cpu = "1" if cpu else None
    tmp = Path(tempfile.mkdtemp(prefix="engagement-peer-"))
    redis_port = free_port()
    redis_proc = start_redis(tmp, redis_port)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        fill_seconds = fill(conn, args.posts, args.days)
        rows = conn.execute("SELECT count(*) FROM engagement_peer.daily").fetchone()[0]  # type: ignore[index]

        # 24h top 10: the peer's SQL against our stored ranking at the same size.
        query = (
            "SELECT post_id, sum(views) AS v FROM engagement_peer.daily "
            "WHERE day >= current_date - 1 GROUP BY post_id ORDER BY v DESC LIMIT 10"
        )
        peer_p50, peer_p99 = time_it(lambda: conn.execute(query).fetchall(), 20)
        client = redis.Redis(port=redis_port, decode_responses=True, socket_timeout=60)
        now = time.time()
        rng = random.Random(1)
        hour = int(now // 3600)
        pipe = client.pipeline(transaction=False)
        for start in range(1, args.posts + 1, 10_000):
            chunk = range(start, min(args.posts, start + 9_999) + 1)
            pipe.zadd(keys.pub_key(), {str(a): rng.random() * 0.5 for a in chunk})
            for b in range(24):
                pipe.zadd(
                    keys.bucket_key("views", "all", "h1", hour - b),
                    {str(a): rng.randint(1, 50) for a in chunk},
                )
            pipe.execute()
        ranking = rankings.Ranking("24h", "views")
        rankings.build(client, ranking, now)
        ours_p50, ours_p99 = time_it(lambda: rankings.read(client, ranking, 10, now), 200)

        # Counting: same gunicorn settings for both apps.
        env = {
            **os.environ,
            "PEER_DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp}/ours.sqlite3",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "SECRET_KEY": "peer",
            "ENGAGEMENT_TRUSTED_PROXIES": "1",
            "ENGAGEMENT_FLUSH_INTERVAL": "0",
        }
        prepare_site(env, "bench.benchapp")
        scenarios = (
            (
                "peer: SQL UPDATE + daily upsert",
                "bench.peer_app:app",
                "/view/1",
                PEER_SCRIPT % args.posts,
            ),
            ("peer, one hot post", "bench.peer_app:app", "/view/1", HOT_POST),
            (
                "engagement: view beacon",
                "bench.benchapp:app",
                "/api/v1/articles/kashi-orchard-cooperative/views",
                WRK_SCRIPTS["new_reader_view"],
            ),
        )
        # All three servers stay up (idle ones cost nothing) so that the rounds
        # can interleave: this machine's speed drifts within minutes.
        bases = {}
        for name, module, path, _ in scenarios:
            port = free_port()
            servers.append(gunicorn(module, port, env, 4, load_cpu and "0"))
            if "benchapp" in module:
                wait_http(f"http://127.0.0.1:{port}/healthz")
            else:
                time.sleep(2)  # the peer app has no GET route to poll
            bases[name] = f"http://127.0.0.1:{port}{path}"
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in scenarios}
        for _ in range(args.rounds):
            for name, module, _, script in scenarios:
                run_wrk(bases[name], 1, 16, script, load_cpu)
                store = ({"postgres"}, set()) if "peer" in module else (set(), {redis_proc.pid})
                cpu_before = store_cpu_seconds(*store)
                result = run_wrk(bases[name], args.seconds, 16, script, load_cpu)
                result["store_ms_per_1000"] = (
                    (store_cpu_seconds(*store) - cpu_before) * 1e6 / max(result["requests"], 1)
                )
                runs[name].append(result)
        results = {
            name: {
                key: statistics.median(r[key] for r in rs)
                for key in ("rps", "p50", "store_ms_per_1000")
            }
            for name, rs in runs.items()
        }

        print(
            f"peer comparison: {args.posts:,} posts, {rows:,} daily rows (filled in "
            f"{fill_seconds:.0f}s); counting: medians of {args.rounds} interleaved rounds of "
            f"{args.seconds}s; {time.strftime('%Y-%m-%d %H:%M')}"
        )
        print()
        print("| what | peer (WordPress-style SQL) | engagement | engagement advantage |")
        print("|---|---|---|---|")
        peer = results["peer: SQL UPDATE + daily upsert"]
        ours = results["engagement: view beacon"]
        hot = results["peer, one hot post"]
        for label, theirs in (("views spread over all posts", peer), ("one popular post", hot)):
            print(
                f"| counting {label}, req/s (p50 ms) | {theirs['rps']:.0f} "
                f"({theirs['p50']:.1f}) | {ours['rps']:.0f} ({ours['p50']:.1f}) | "
                f"{ours['rps'] / theirs['rps']:.1f}× |"
            )
        for label, theirs in (("views spread over all posts", peer), ("one popular post", hot)):
            print(
                f"| data-store CPU per 1,000 counted views ({label}), ms "
                f"| {theirs['store_ms_per_1000']:.0f} | {ours['store_ms_per_1000']:.0f} | "
                f"{theirs['store_ms_per_1000'] / max(ours['store_ms_per_1000'], 1e-9):.1f}× |"
            )
        print(
            f"| 24h top-10 read, p50 ms | {peer_p50:.1f} | {ours_p50:.2f} | "
            f"{peer_p50 / ours_p50:.0f}× |"
        )
        print(
            f"| 24h top-10 read, p99 ms | {peer_p99:.1f} | {ours_p99:.2f} | "
            f"{peer_p99 / ours_p99:.0f}× |"
        )
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        conn.rollback()
        conn.execute("DROP SCHEMA IF EXISTS engagement_peer CASCADE")
        conn.commit()
        conn.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
