"""Mixed load with faults, on loopback, bounded in time.

Runs the app under gunicorn (3 workers) on its own Redis (AOF on) and SQLite,
then drives pages, view beacons, reactions and ranking reads with wrk:

1. ``--seconds`` of mixed load at ``--connections``: no 5xx at all, and
   afterwards Redis's view and reaction totals equal exactly the views and
   reactions the server acknowledged (every request is a new reader);
2. the same load while Redis is killed for ``--outage`` seconds and started
   again: no 500s (only 503 from the API while Redis is away), pages keep
   answering 200, the app recovers without a restart, and after
   ``restore-counters`` the totals are what was acknowledged minus at most the
   last second before the kill (AOF ``everysec``).

    .venv/bin/python bench/load_faults.py [--seconds 60] [--connections 64] [--outage 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import VENV_BIN, free_port, prepare_site, start_redis, wait_http  # noqa: E402

SLUGS = [
    "kashi-orchard-cooperative",
    "aksu-solar-pumps",
    "hetian-carpet-workshop",
    "shache-vocational-school",
    "kanas-winter-tourism",
]

MIXED = """
local slugs = {%(slugs)s}
local moods = {"smile", "sweat", "sad", "envy", "angry", "tears"}
local n = 0
local counters = {}
function setup(thread)
  table.insert(counters, thread)
  thread:set("id", #counters)
end
function init(args)
  views, reactions, pages5xx, other5xx, api503, ok_pages = 0, 0, 0, 0, 0, 0
  -- Every run and thread its own readers: the same reader twice would be a repeat.
  run = args[1] .. "-" .. id
  math.randomseed(tonumber(args[1]) + id * 7919)
end
request = function()
  n = n + 1
  local slug = slugs[math.random(#slugs)]
  local ip = string.format("198.%%d.%%d.%%d", 18 + n %% 2, math.random(0, 255), math.random(1, 254))
  local headers = {["X-Forwarded-For"] = ip, ["Content-Type"] = "application/json",
                   ["Accept-Language"] = "zh-CN",
                   ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 load/"
                                    .. run .. "/" .. n}
  local kind = n %% 10
  if kind < 4 then
    return wrk.format("POST", "/api/v1/articles/" .. slug .. "/views", headers, "{}")
  elseif kind < 6 then
    local body = '{"reaction": "' .. moods[math.random(6)] .. '"}'
    return wrk.format("POST", "/api/v1/articles/" .. slug .. "/reactions", headers, body)
  elseif kind < 8 then
    return wrk.format("GET", "/api/v1/rankings?window=24h&limit=10", headers)
  else
    return wrk.format("GET", "/articles/" .. slug, headers)
  end
end
response = function(status, headers, body)
  if status == 202 and string.find(body, '"counted":true', 1, true) then views = views + 1 end
  if status == 200 and string.find(body, '"mine":"', 1, true) then reactions = reactions + 1 end
  if status == 200 and string.find(body, "<!doctype html>", 1, true) then
    ok_pages = ok_pages + 1
  end
  if status == 503 then api503 = api503 + 1 end
  if status >= 500 and status ~= 503 then other5xx = other5xx + 1 end
end
function done(summary, latency, requests)
  local t = {views = 0, reactions = 0, other5xx = 0, api503 = 0, ok_pages = 0}
  for _, thread in ipairs(counters) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  io.write(string.format(
    "RESULT views=%%d reactions=%%d other5xx=%%d api503=%%d pages=%%d requests=%%d\\n",
    t.views, t.reactions, t.other5xx, t.api503, t.ok_pages, summary.requests))
end
"""


def run_load(base: str, seconds: int, connections: int) -> dict[str, int]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(textwrap.dedent(MIXED % {"slugs": ", ".join(f'"{s}"' for s in SLUGS)}))
    token = str(time.time_ns() % 1_000_000_007)
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        base,
        "--",
        token,
    ]
    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (.*)", out)
    assert match, out
    return {k: int(v) for k, v in (p.split("=") for p in match.group(1).split())}


def server_counts(base: str) -> tuple[int, int]:
    """What the app acknowledged, from its own /metrics (summed over workers)."""
    request = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer load"})
    text = urllib.request.urlopen(request, timeout=5).read().decode()

    def total(name: str, label: str) -> int:
        return int(
            sum(
                float(v)
                for v in re.findall(rf'^{name}{{result="{label}"}} ([0-9.e+]+)$', text, re.M)
            )
        )

    return total("engagement_views_total", "counted"), total(
        "engagement_reactions_total", "changed"
    )


def redis_totals(client: redis.Redis) -> tuple[int, int]:
    views = reactions = 0
    for key in client.scan_iter("eng:{a*}:c"):
        values = client.hmget(key, ["views", "reactions"])
        views += int(values[0] or 0)
        reactions += int(values[1] or 0)
    return views, reactions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--outage", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (or run `make bench`)")
    tmp = Path(tempfile.mkdtemp(prefix="engagement-load-"))
    redis_port, http_port = free_port(), free_port()
    redis_proc = start_redis(tmp, redis_port, aof=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/load.sqlite3",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "load",
        "ENGAGEMENT_METRICS_TOKEN": "load",
        "ENGAGEMENT_TRUSTED_PROXIES": "1",
        "ENGAGEMENT_RATELIMIT_REACTIONS": "100000000/minute",
        "ENGAGEMENT_NEW_READERS_PER_ADDRESS": "100000000/minute",
        "ENGAGEMENT_REACTIONS_PER_ARTICLE": "100000000/day",
        "ENGAGEMENT_READER_PACE": "100000000/minute",
        "ENGAGEMENT_FLUSH_INTERVAL": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom"),
        "BIND": f"127.0.0.1:{http_port}",
        "WEB_CONCURRENCY": "3",
    }
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    base = f"http://127.0.0.1:{http_port}"
    client = redis.Redis(port=redis_port, decode_responses=True)
    server = None
    restarted: list[subprocess.Popen[bytes]] = []
    try:
        prepare_site(env)
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(base + "/healthz")
        print(
            f"load and faults: gunicorn -w 3 (gthread ×4), wrk -t2 -c{args.connections}, "
            f"{args.seconds}s per phase; {time.strftime('%Y-%m-%d %H:%M')}"
        )
        print()
        print(
            "| phase | requests | 5xx other than 503 | 503 | pages 200 "
            "| views acknowledged / in Redis | reactions acknowledged / in Redis |"
        )
        print("|---|---|---|---|---|---|---|")
        first = run_load(base, args.seconds, args.connections)
        time.sleep(1)  # let requests wrk sent just before it stopped finish
        views, reactions = redis_totals(client)
        acked_views, acked_reactions = server_counts(base)
        print(
            f"| mixed load | {first['requests']} | {first['other5xx']} | {first['api503']} "
            f"| {first['pages']} | {acked_views} / {views} | {acked_reactions} / {reactions} |"
        )

        # Phase 2: kill Redis a third of the way in, bring it back after the outage.
        def outage() -> None:
            time.sleep(args.seconds / 3)
            redis_proc.send_signal(signal.SIGKILL)
            redis_proc.wait()
            time.sleep(args.outage)
            restarted.append(start_redis(tmp, redis_port, aof=True))

        killer = threading.Thread(target=outage)
        killer.start()
        second = run_load(base, args.seconds, args.connections)
        killer.join()
        time.sleep(1)
        subprocess.run([*flask, "restore-counters"], env=env, capture_output=True, cwd=ROOT)
        healthy = urllib.request.urlopen(base + "/healthz", timeout=5).status
        views2, reactions2 = redis_totals(client)
        acked_views2, acked_reactions2 = server_counts(base)
        print(
            f"| Redis killed for {args.outage}s | {second['requests']} | {second['other5xx']} "
            f"| {second['api503']} | {second['pages']} | {acked_views2} / {views2} "
            f"| {acked_reactions2} / {reactions2} |"
        )
        print()
        print(
            f"/healthz after Redis came back, without restarting the app: {healthy}. "
            f"Acknowledged but lost to the kill (AOF everysec): {acked_views2 - views2} views, "
            f"{acked_reactions2 - reactions2} reactions."
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        for proc in (redis_proc, *restarted):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
