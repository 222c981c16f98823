"""Concurrency, privacy, Redis outages and the write-behind, against real servers."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from engagement.extensions import db, redis_store
from engagement.models import ArticleDaily, ArticleStats, ReaderReaction
from engagement.moods import MOOD_KEYS
from engagement.rankings import core as rankings
from engagement.store import counters, keys, snapshots, writebehind
from engagement.store.redis_client import close_client
from engagement.store.refs import lookup
from tests.conftest import RedisServer
from tests.helpers import beacon, react, reader_client, view

SLUG = "kashi-orchard-cooperative"


def run_threads(count: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_mood_switching_ends_with_final_choices(demo: Flask) -> None:
    final: dict[int, str | None] = {}

    def reader(i: int) -> None:
        client = reader_client(demo, address=f"198.51.100.{i}")
        rng = random.Random(i)
        choice: str | None = None
        for _ in range(15):
            if rng.random() < 0.2:
                assert client.delete(f"/api/v1/articles/{SLUG}/reactions").status_code == 200
                choice = None
            else:
                choice = rng.choice(MOOD_KEYS)
                assert react(client, SLUG, choice).status_code == 200
        final[i] = choice

    run_threads(24, reader)
    expected = Counter(m for m in final.values() if m)
    state = demo.test_client().get(f"/api/v1/articles/{SLUG}/reactions").json
    assert state["counts"] == {m: expected.get(m, 0) for m in MOOD_KEYS}
    assert state["total"] == sum(expected.values())


def test_concurrent_views_are_counted_exactly(demo: Flask) -> None:
    counted = Counter[bool]()
    lock = threading.Lock()

    def reader(i: int) -> None:
        client = reader_client(demo, address=f"198.51.100.{i}")
        for _ in range(5):
            result = view(client, SLUG).json["counted"]
            with lock:
                counted[result] += 1

    run_threads(30, reader)
    assert counted == {True: 30, False: 120}
    assert view(reader_client(demo, address="192.0.2.1"), SLUG).json["views"] == 31


def test_no_raw_address_is_stored(demo: Flask, redis_client, redis_server) -> None:
    addresses = [f"203.0.113.{i}" for i in range(1, 40)]
    for i, address in enumerate(addresses):
        client = reader_client(demo, address=address)
        view(client, SLUG)
        react(client, SLUG, MOOD_KEYS[i % 6])
        if i % 3 == 0:
            client.delete(f"/api/v1/articles/{SLUG}/reactions")
    limited = reader_client(demo, address="203.0.113.250")
    react(limited, SLUG, "smile")
    with demo.app_context():
        writebehind.flush()
    raw = redis_server.client()  # bytes: HLLs are binary
    dump: list[bytes] = []
    for key in raw.scan_iter("*"):
        dump.append(key)
        kind = raw.type(key)
        if kind == b"hash":
            dump.extend(k + b"=" + v for k, v in raw.hgetall(key).items())
        elif kind == b"zset":
            dump.extend(raw.zrange(key, 0, -1))
        elif kind == b"set":
            dump.extend(raw.smembers(key))
        elif kind == b"string":
            dump.append(raw.get(key) or b"")
    close_client(raw)
    text = b"\n".join(dump).decode("utf-8", "replace")
    assert any(k.startswith(keys.rank_prefix() + "l:") for k in redis_client.scan_iter("*")), (
        "limiter keys exist"
    )
    assert "203.0.113" not in text
    with demo.app_context():
        rows = db.session.execute(sa.select(ReaderReaction.reader)).scalars().all()
        assert rows
        assert not any("203.0.113" in r for r in rows)


def test_redis_down_is_a_state(app_factory, own_redis: RedisServer) -> None:
    app = app_factory(own_redis.url)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app)
    assert react(client, SLUG, "smile").status_code == 200
    page = client.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert 'class="mood-count">1<' in page

    own_redis.stop()
    started = time.monotonic()
    page = client.get(f"/articles/{SLUG}")
    assert page.status_code == 200
    assert "心情计数暂时不可用" in page.get_data(as_text=True)
    for response in (
        react(client, SLUG, "sad"),
        client.get(f"/api/v1/articles/{SLUG}/reactions"),
        view(client, SLUG),
        client.delete(f"/api/v1/articles/{SLUG}/reactions"),
    ):
        assert response.status_code == 503
        assert response.json["error"]["code"] == "counters_unavailable"
        assert response.headers["Retry-After"]
    assert client.get("/healthz").status_code == 503
    assert time.monotonic() - started < 5, "a dead Redis costs milliseconds per request"

    own_redis.start()
    time.sleep(1.1)  # the circuit breaker's pause
    assert client.get("/healthz").status_code == 200
    response = react(client, SLUG, "sad")
    assert response.status_code == 200, "recovers without a restart"
    assert response.json["counts"]["sad"] == 1


def stats_rows(app: Flask) -> dict[int, ArticleStats]:
    with app.app_context():
        return {s.article_id: s for s in db.session.scalars(sa.select(ArticleStats))}


def test_flush_while_increments_arrive_is_exact(demo: Flask) -> None:
    stop = threading.Event()
    sent = Counter[str]()

    def traffic(i: int) -> None:
        n = 0
        while not stop.is_set() or n < 20:
            client = reader_client(demo, address=f"198.51.100.{i}")
            client.environ_base["HTTP_USER_AGENT"] += f" run/{n}"
            assert view(client, SLUG).json["counted"] is True
            sent["views"] += 1
            n += 1

    workers = [threading.Thread(target=traffic, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    flushes = 0
    with demo.app_context():
        while flushes < 15:
            writebehind.flush()
            flushes += 1
        stop.set()
        for w in workers:
            w.join()
        writebehind.flush()
        ref = lookup(SLUG)
        assert ref is not None
        stats = db.session.get(ArticleStats, ref.id)
        daily = db.session.scalars(sa.select(ArticleDaily).where(ArticleDaily.article_id == ref.id))
        assert stats is not None
        assert stats.views == sent["views"]
        assert sum(d.views for d in daily) == sent["views"]
        assert counters.article_counts(redis_store.client, ref.id)["views"] == sent["views"]


def test_a_snapshot_is_applied_exactly_once(demo: Flask) -> None:
    client = reader_client(demo)
    view(client, SLUG)
    with demo.app_context():
        r = redis_store.client
        assert snapshots.take_snapshot(r, "crashed") == -1, "no epoch yet"
        snapshots.set_epoch(r, "test")
        assert snapshots.take_snapshot(r, "crashed") == 1
        snapshot = snapshots.read_snapshot(r, "crashed")
        report = writebehind.FlushReport()
        assert writebehind.apply_snapshot(snapshot, report) is True
        # The process "died" before deleting the snapshot: the next flush finds it,
        # sees it was applied, and does not count it again.
        writebehind.flush()
        assert writebehind.apply_snapshot(snapshot, report) is False
        ref = lookup(SLUG)
        assert ref is not None
        assert db.session.get(ArticleStats, ref.id).views == 1
        assert snapshots.open_snapshots(r) == []


def test_restore_after_flushall_gives_back_flushed_totals(demo: Flask, redis_client) -> None:
    moods = {}
    for i in range(12):
        client = reader_client(demo, address=f"198.51.100.{i}")
        view(client, SLUG)
        view(client, "aksu-solar-pumps")
        moods[i] = MOOD_KEYS[i % 4]
        react(client, SLUG, moods[i])
    runner = demo.test_cli_runner()
    result = runner.invoke(args=["flush-counters"])
    assert result.exit_code == 0, result.output
    with demo.app_context():
        ref = lookup(SLUG)
        assert ref is not None
        before = counters.article_counts(redis_store.client, ref.id)
    assert before["views"] == 12 and before["reactions"] == 12

    redis_client.flushall()
    # After the loss, one old reader switches mood and a new reader reacts.
    switcher = reader_client(demo, address="198.51.100.0")
    react(switcher, SLUG, "tears")
    newcomer = reader_client(demo, address="198.51.100.200")
    react(newcomer, SLUG, "smile")

    result = runner.invoke(args=["restore-counters"])
    assert result.exit_code == 0, result.output
    assert "restored 2 article(s)" in result.output
    with demo.app_context():
        after = counters.article_counts(redis_store.client, ref.id)
        assert after["views"] == 12
        expected = Counter(moods.values())
        expected[moods[0]] -= 1
        expected["tears"] += 1
        expected["smile"] += 1
        assert {m: after[m] for m in MOOD_KEYS} == {m: expected.get(m, 0) for m in MOOD_KEYS}
        assert after["reactions"] == 13
        total = keys.total_key("views", "all")
        assert int(redis_client.zscore(total, str(ref.id))) == 12
    # Readers' choices came back: repeating a restored choice changes nothing.
    again = react(reader_client(demo, address="198.51.100.5"), SLUG, moods[5])
    assert again.json["counts"][moods[5]] == expected[moods[5]]
    assert react(switcher, SLUG, "tears").json["mine"] == "tears"

    assert "nothing to restore" in runner.invoke(args=["restore-counters"]).output
    assert runner.invoke(args=["flush-counters"]).exit_code == 0
    rows = stats_rows(demo)
    assert rows[ref.id].views == 12
    assert rows[ref.id].reactions == 13


def test_restore_rebuilds_the_windows_from_the_buckets_it_restores(
    demo: Flask, redis_client
) -> None:
    for i in range(3):
        view(reader_client(demo, address=f"198.51.100.{i}"), SLUG)
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["flush-counters"]).exit_code == 0
    redis_client.flushall()
    assert runner.invoke(args=["restore-counters"]).exit_code == 0
    with demo.app_context():
        ref = lookup(SLUG)
        assert ref is not None
        shown = {}
        for metric in ("views", "hot"):
            r = rankings.Ranking("30d", metric)
            stored = dict(rankings.read(redis_store.client, r, 10, time.time()).entries)
            shown[metric] = rankings.display_score(r, stored[ref.id])
    assert shown["views"] == 3 and shown["hot"] > 1


def test_flush_restores_by_itself_when_redis_lost_its_data(demo: Flask, redis_client) -> None:
    view(reader_client(demo), SLUG)
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["flush-counters"]).exit_code == 0
    redis_client.flushall()
    view(reader_client(demo, address="198.51.100.50"), SLUG)
    result = runner.invoke(args=["flush-counters"])
    assert "restored 1 articles" in result.output
    with demo.app_context():
        ref = lookup(SLUG)
        assert ref is not None
        assert counters.article_counts(redis_store.client, ref.id)["views"] == 2
    assert stats_rows(demo)[ref.id].views == 2


@pytest.mark.parametrize("mood", ["smile", "angry"])
def test_reaction_history_reaches_sql(demo: Flask, mood: str) -> None:
    client = reader_client(demo)
    react(client, SLUG, mood)
    demo.test_cli_runner().invoke(args=["flush-counters"])
    with demo.app_context():
        rows = db.session.scalars(sa.select(ReaderReaction)).all()
        assert [(r.mood, len(r.reader)) for r in rows] == [(mood, 32)]
    client.delete(f"/api/v1/articles/{SLUG}/reactions")
    demo.test_cli_runner().invoke(args=["flush-counters"])
    with demo.app_context():
        assert db.session.scalars(sa.select(ReaderReaction)).all() == []


def test_periodic_flusher_writes_behind(demo: Flask) -> None:
    view(reader_client(demo), SLUG)
    flusher = writebehind.PeriodicFlusher(demo, interval=0.05)
    flusher.ensure_started()
    flusher.ensure_started()  # once per process
    try:
        deadline = time.monotonic() + 10
        with demo.app_context():
            ref = lookup(SLUG)
            assert ref is not None
        while time.monotonic() < deadline:
            row = stats_rows(demo).get(ref.id)
            if row is not None and row.views == 1:
                break
            time.sleep(0.05)
        assert stats_rows(demo)[ref.id].views == 1
    finally:
        flusher.stop()


def test_counting_survives_a_redis_restart_between_requests(
    app_factory: Callable[..., Flask], own_redis: RedisServer
) -> None:
    """The hot path's own connection (``redis_client.Lane``) finds its socket closed
    by the restart and the new server without the script, and still counts once."""
    app = app_factory(own_redis.url)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert view(reader_client(app, address="198.51.100.1"), SLUG).json["counted"]

    own_redis.stop()
    own_redis.start()  # empty: no counts, no scripts
    response = view(reader_client(app, address="198.51.100.2"), SLUG)
    assert response.status_code == 202
    assert beacon(response) == {"article": SLUG, "counted": True, "views": 1}
    with app.app_context():
        ref = lookup(SLUG)
        assert ref is not None
        assert counters.article_counts(redis_store.client, ref.id)["views"] == 1


@pytest.mark.single_redis
def test_closing_the_client_closes_the_lane(demo: Flask) -> None:
    from engagement.store.redis_client import lane

    assert view(reader_client(demo), SLUG).status_code == 202
    with demo.app_context():
        client = redis_store.client
        found = lane(client)
        assert found is not None, "one plain server gets a lane"
        connection = found._local.conn
        assert connection._sock is not None
        close_client(client)
        assert connection._sock is None
