"""Turn a ``REDIS_URL`` into a redis-py client with short timeouts.

Supported forms (see API.md): ``redis://``, ``rediss://``, ``unix://``,
``redis+cluster://h1:p1,h2:p2[/]`` and ``redis+sentinel://h1:p1[,h2:p2]/service[/db]``.
Parsing is separate from connecting so that configuration can be validated at
start-up without a reachable server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

SIMPLE_SCHEMES = ("redis", "rediss", "unix")


class RedisURLError(ValueError):
    """The URL cannot describe a Redis deployment we know how to reach."""


@dataclass(frozen=True)
class RedisTarget:
    """What a ``REDIS_URL`` points at, before any connection is made."""

    kind: str  # "single", "cluster" or "sentinel"
    url: str
    nodes: tuple[tuple[str, int], ...] = ()
    service: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    options: dict[str, list[str]] = field(default_factory=dict)


def _split_nodes(netloc: str, url: str) -> tuple[tuple[str, int], ...]:
    nodes = []
    for part in netloc.split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep:
            host, port = part.strip(), "6379"
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise RedisURLError(f"bad host:port {part!r} in {url!r}")
        nodes.append((host, int(port)))
    return tuple(nodes)


def parse_redis_url(url: str) -> RedisTarget:
    """Validate ``url`` and describe it; raises :class:`RedisURLError`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise RedisURLError(f"{url!r} is not a URL (expected e.g. redis://localhost:6379/0)")
    scheme = scheme.lower()
    if scheme in SIMPLE_SCHEMES:
        try:
            kwargs = redis.connection.parse_url(url)
        except ValueError as exc:
            raise RedisURLError(str(exc)) from None
        if scheme == "unix" and not kwargs.get("path"):
            raise RedisURLError(f"{url!r} names no socket path")
        return RedisTarget(kind="single", url=url, db=int(kwargs.get("db") or 0))

    if scheme not in ("redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel"):
        raise RedisURLError(
            f"unsupported scheme {scheme!r}; use redis://, rediss://, unix://, "
            "redis+cluster:// or redis+sentinel://"
        )
    # urlsplit cannot parse a comma-separated host list as a port, so split by hand.
    userinfo, at, hostpart = rest.rpartition("@") if "@" in rest.split("/")[0] else ("", "", rest)
    netloc, _, tail = hostpart.partition("/")
    path, _, query = tail.partition("?")
    if not netloc:
        raise RedisURLError(f"{url!r} names no host")
    username = password = None
    if at:
        user, colon, pw = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(pw) if colon else None
    options = parse_qs(query)
    nodes = _split_nodes(netloc, url)
    ssl = scheme.startswith("rediss")

    if scheme.endswith("cluster"):
        if path.strip("/") not in ("", "0"):
            raise RedisURLError("Redis Cluster has only database 0")
        return RedisTarget(
            kind="cluster",
            url=url,
            nodes=nodes,
            username=username,
            password=password,
            ssl=ssl,
            options=options,
        )

    service, _, db = path.partition("/")
    if not service:
        raise RedisURLError(
            f"{url!r} names no sentinel service, e.g. redis+sentinel://h:26379/mymaster"
        )
    if db and not db.isdigit():
        raise RedisURLError(f"bad database number {db!r} in {url!r}")
    return RedisTarget(
        kind="sentinel",
        url=url,
        nodes=nodes,
        service=unquote(service),
        db=int(db or 0),
        username=username,
        password=password,
        ssl=ssl,
        options=options,
    )


def connect(url: str, timeout: float) -> Any:
    """Build a client for ``url``; a dead server then costs about ``timeout`` seconds.

    redis-py's defaults (5 s timeouts, several retries with backoff) would stall
    every request while Redis is down, so one quick retry is all we allow: enough
    to replace a connection that went stale when the server restarted.
    """
    target = parse_redis_url(url)
    common: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "decode_responses": True,
        "retry": Retry(NoBackoff(), 1),
        "health_check_interval": 30,
    }
    if target.kind == "single":
        return redis.Redis.from_url(url, **common)
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.kind == "cluster":
        common.pop("health_check_interval")
        return RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in target.nodes],
            ssl=target.ssl,
            **auth,
            **common,
        )
    sentinel = Sentinel(
        list(target.nodes),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        sentinel_kwargs={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    )
    assert target.service is not None
    return sentinel.master_for(target.service, db=target.db, ssl=target.ssl, **auth, **common)


def close_client(client: Any) -> None:
    """Close every connection of a client.

    ``RedisCluster.close()`` leaves the connections it opened to the startup
    nodes (to discover the cluster) to the garbage collector; they are closed
    here too.
    """
    client.close()
    manager = getattr(client, "nodes_manager", None)
    for node in getattr(manager, "startup_nodes", {}).values():
        if node.redis_connection is not None:
            node.redis_connection.close()


def limiter_storage_uri(url: str) -> str:
    """The same Redis as a ``limits`` storage URI (it spells unix sockets differently)."""
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://") :]
    return url


def _error_types() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisClusterException, RedisError

    return (RedisError, RedisClusterException, OSError)


# What a call to Redis raises when the server is down, slow or unreachable.
REDIS_ERRORS = _error_types()
