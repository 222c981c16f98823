from __future__ import annotations

import socket
import time

import pytest
import redis
from redis.sentinel import SentinelConnectionPool

from engagement.redis_client import REDIS_ERRORS, RedisURLError, connect, parse_redis_url
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
