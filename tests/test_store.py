"""The Lua scripts and Python agree on key names, sizes and lifetimes."""

from __future__ import annotations

import math
import re
import time

import pytest
from flask import Flask

from engagement.store import counters, keys, scripts
from engagement.store.counters import ArticleRef

REF = ArticleRef(id=7, slug="a-7", scopes=("all", "c3", "c1"), published_ts=1_700_000_000.0)


def test_every_script_loads_and_has_its_sections() -> None:
    for name in ("view", "react", "restore_counts", "restore_readers", "reset"):
        whole, article, rank = scripts.halves(name)
        assert "redis.call" in whole and article and rank
    for name in ("lib", "windows", "limit", "snapshot", "upkeep", "read_window"):
        assert "redis" in scripts.source(name)


def test_lua_writes_no_size_or_lifetime_of_its_own() -> None:
    """Grains and TTLs come from keys.py through the preamble, never as literals."""
    for path in scripts.LUA.glob("*.lua"):
        code = "\n".join(
            line.split("--", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
        )
        literals = {int(n) for n in re.findall(r"(?<![\w.])(\d+)(?![\w.])", code)}
        # Small numbers are ARGV and KEYS positions; every size and TTL is larger.
        assert max(literals, default=0) < 20, (path.name, sorted(literals))
    assert "local GRAINS = {{'m2', 120, 60}" in scripts.preamble()


def expires_in(client, key: str) -> int:  # noqa: ANN001
    ttl = int(client.ttl(key))
    assert ttl > 0, key
    return ttl


@pytest.mark.parametrize("grain", keys.GRAINS, ids=lambda g: g.name)
def test_a_view_writes_the_keys_python_names_with_python_lifetimes(
    app: Flask, redis_client, grain: keys.Grain
) -> None:
    now = time.time()
    with app.app_context():
        from engagement.extensions import redis_store

        client = redis_store.client
        assert counters.record_view(client, REF, "reader-1", now, 1800).counted
        other = ArticleRef(id=8, slug="a-8", scopes=("all",), published_ts=REF.published_ts)
        counters.record_view(client, other, "reader-1", now, 1800)
    n = math.floor(now / grain.seconds)
    for scope in REF.scopes:
        key = keys.bucket_key("views", scope, grain.name, n)
        assert redis_client.zscore(key, "7") == 1.0, key
        expected = (n + grain.keep + 1) * grain.seconds - now
        assert abs(expires_in(redis_client, key) - expected) <= 2
    hour, day = math.floor(now / keys.HOUR), math.floor(now / keys.DAY)
    life = keys.LIFETIMES
    for scope in REF.scopes:
        stats = keys.stats_key(hour, scope)
        assert redis_client.hget(stats, "views_counted") == ("2" if scope == "all" else "1")
        want = (hour + life["STATS_HOURS"]) * keys.HOUR - now
        assert abs(expires_in(redis_client, stats) - want) <= 2
        readers = keys.site_uniques_key("d", day, scope)
        assert redis_client.pfcount(readers) == 1
        want = (day + life["READERS_DAYS"]) * keys.DAY - now
        assert abs(expires_in(redis_client, readers) - want) <= 2
        hourly = keys.site_uniques_key("h", hour, scope)
        want = (hour + life["READERS_HOURS"]) * keys.HOUR - now
        assert abs(expires_in(redis_client, hourly) - want) <= 2
    assert redis_client.zscore(keys.total_key("views", "c3"), "7") >= 1
    co = keys.coview_key(7)
    assert redis_client.zscore(co, "8") == 1.0
    assert abs(expires_in(redis_client, co) - life["COVIEW_SECONDS"]) <= 2
    assert redis_client.hget(keys.coview_degrees_key(), "_all") == "2"
    assert redis_client.hget(keys.pending_key(), f"7:{day}:views") == "1"
