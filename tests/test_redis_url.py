from __future__ import annotations

import socket
import time

import pytest
import redis
from redis.sentinel import SentinelConnectionPool

from engagement.store.redis_client import REDIS_ERRORS, RedisURLError, connect, parse_redis_url
from tests.conftest import RedisServer


@pytest.mark.parametrize(
    ("url", "kind", "nodes", "db"),
    [
        ("redis://localhost:6379/0", "single", (), 0),
        ("redis://:secret@redis.example:6380/3", "single", (), 3),
        ("rediss://user:pw@redis.example:6380/1", "single", (), 1),
        ("unix:///var/run/redis.sock?db=2", "single", (), 2),
        (
            "redis+cluster://h1:7000,h2:7001,h3:7002",
            "cluster",
            (("h1", 7000), ("h2", 7001), ("h3", 7002)),
            0,
        ),
        ("redis+cluster://:pw@h1:7000/", "cluster", (("h1", 7000),), 0),
        (
            "redis+sentinel://s1:26379,s2:26380/mymaster",
            "sentinel",
            (("s1", 26379), ("s2", 26380)),
            0,
        ),
        ("redis+sentinel://s1:26379/mymaster/4", "sentinel", (("s1", 26379),), 4),
    ],
)
def test_every_url_form_parses(url: str, kind: str, nodes: tuple, db: int) -> None:
    target = parse_redis_url(url)
    assert target.kind == kind
    assert target.nodes == nodes
    assert target.db == db


def test_credentials_and_service() -> None:
    target = parse_redis_url("rediss+sentinel://alice:p%40ss@s1:26379/primary")
    assert (target.username, target.password, target.service, target.ssl) == (
        "alice",
        "p@ss",
        "primary",
        True,
    )


@pytest.mark.parametrize(
    "url",
    [
        "localhost:6379",
        "http://localhost:6379",
        "redis+cluster://",
        "redis+cluster://h1:0",
        "redis+cluster://h1:7000/2",
        "redis+sentinel://s1:26379",
        "redis+sentinel://s1:26379/mymaster/x",
        "unix://",
    ],
)
def test_bad_urls_are_rejected(url: str) -> None:
    with pytest.raises(RedisURLError):
        parse_redis_url(url)


def test_single_and_unix_clients_use_short_timeouts() -> None:
    for url in ("redis://localhost:6379/0", "unix:///tmp/none.sock"):
        client = connect(url, timeout=0.2)
        kwargs = client.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == 0.2
        assert kwargs["socket_connect_timeout"] == 0.2


def test_sentinel_client_is_built_without_connecting() -> None:
    client = connect("redis+sentinel://127.0.0.1:1/mymaster/2", timeout=0.2)
    assert isinstance(client.connection_pool, SentinelConnectionPool)
    assert client.connection_pool.connection_kwargs["db"] == 2


def test_silent_server_fails_fast() -> None:
    """A server that accepts but never answers must cost the timeout, not seconds."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        client = connect(f"redis://127.0.0.1:{listener.getsockname()[1]}/0", timeout=0.1)
        started = time.monotonic()
        with pytest.raises(REDIS_ERRORS):
            client.ping()
        elapsed = time.monotonic() - started
    # Two attempts of 0.1 s; the bound is loose on purpose (a correctness check).
    assert elapsed < 2


def test_connects_over_tcp_and_unix_socket(tmp_path, redis_server: RedisServer) -> None:
    assert connect(redis_server.url, timeout=0.5).ping()
    server = RedisServer(tmp_path / "unix", unixsocket=tmp_path / "r.sock")
    server.start()
    try:
        client = connect(f"unix://{tmp_path / 'r.sock'}?db=1", timeout=0.5)
        client.set("k", "v")
        assert redis.Redis(port=server.port, db=1).get("k") == b"v"
    finally:
        server.stop()


@pytest.mark.single_redis
def test_the_app_counts_through_sentinel(app_factory, own_redis: RedisServer, tmp_path) -> None:
    """A real Sentinel (redis-server --sentinel) in front of a real primary."""
    import shutil
    import subprocess

    from tests.conftest import free_port
    from tests.helpers import reader_client

    sentinel_port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor mymaster 127.0.0.1 {own_redis.port} 1\n"
        "sentinel down-after-milliseconds mymaster 1000\n"
    )
    sentinel = subprocess.Popen(
        [shutil.which("redis-server") or own_redis.binary, str(conf), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = redis.Redis(port=sentinel_port, socket_connect_timeout=0.2, decode_responses=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                if probe.execute_command("SENTINEL", "get-master-addr-by-name", "mymaster"):
                    break
            except redis.ConnectionError:
                pass
            assert time.monotonic() < deadline, "sentinel did not start"
            time.sleep(0.05)
        probe.close()
        app = app_factory(f"redis+sentinel://127.0.0.1:{sentinel_port}/mymaster/0")
        app.test_cli_runner().invoke(args=["seed-demo"])
        client = reader_client(app)
        slug = "kashi-orchard-cooperative"
        assert client.post(f"/api/v1/articles/{slug}/views").status_code == 202
        reply = client.post(f"/api/v1/articles/{slug}/reactions", json={"reaction": "envy"})
        assert reply.status_code == 200
        assert reply.json["counts"]["envy"] == 1
        assert client.get("/healthz").json["checks"]["redis"] == "ok"
        with own_redis.client(decode_responses=True) as primary:
            assert any(k.endswith(":c") for k in primary.scan_iter("eng:{a*}:c"))
    finally:
        sentinel.terminate()
        sentinel.wait(timeout=10)
