"""Turn a ``REDIS_URL`` into a redis-py client with short timeouts.

Supported forms (see docs/api.md): ``redis://``, ``rediss://``, ``unix://``,
``redis+cluster://h1:p1,h2:p2[/]`` and ``redis+sentinel://h1:p1[,h2:p2]/service[/db]``.
Parsing is separate from connecting so that configuration can be validated at
start-up without a reachable server.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from ..params import in_range, whole_number

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
        number = in_range(port, 1, 65535)
        if not host or number is None:
            raise RedisURLError(f"bad host:port {part!r} in {url!r}")
        nodes.append((host, number))
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
    if db and whole_number(db) is None:
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


class Lane:
    """A connection per thread, beside the client's pool, for the hot path's scripts.

    Counting a view or a reaction is one EVALSHA. On a busy gunicorn worker
    (4 threads) a PING through redis-py's pool cost about 260 µs of the
    worker's CPU per request over a hello world, and 150-180 µs on a
    connection of the thread's own, where the pool's checkout and release
    (a lock the worker's threads share) and redis-py's retry, deprecation
    and observability wrappers do not run around every command. The lane
    keeps redis-py's connection class (TLS, unix sockets, authentication,
    health checks, the hiredis parser) and drops the rest. Cluster and
    Sentinel clients keep their own routing.

    Failures: a connection the server closed (a restart) is replaced before
    use, as the pool does at checkout; a send that fails reached nothing, so it
    is sent once more on a fresh connection; a read that fails is raised, never
    repeated, since the script may already have run.
    """

    def __init__(self, pool: Any) -> None:
        self._make = lambda: pool.connection_class(**pool.connection_kwargs)
        self._local = threading.local()
        self._pid = os.getpid()
        self._open: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._pid != os.getpid():
            if self._pid != os.getpid():  # forked: nothing of the parent's is ours
                self._local, self._pid = threading.local(), os.getpid()
            conn = self._local.conn = self._make()
            with self._lock:
                self._open.add(conn)
        return conn

    def execute(self, *args: Any) -> Any:
        return self.send(*args).read_response()  # disconnects itself on failure

    def send(self, *args: Any) -> Any:
        """Send one command; the connection to read its reply from."""
        conn = self._connection()
        if conn._sock is not None:
            # What the pool checks at checkout: an idle connection has nothing
            # to read unless the server closed it (or it is out of step).
            try:
                stale = conn.can_read()
            except RedisConnectionError:
                stale = True
            if stale:
                conn.disconnect()
        try:
            conn.send_command(*args)
        except (RedisConnectionError, RedisTimeoutError):
            conn.send_command(*args)  # redis-py disconnected it: this one connects afresh
        return conn

    def run_script(self, script: Any, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """A registered :class:`redis.commands.core.Script`, as EVALSHA (EVAL if unknown)."""
        try:
            return self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:  # Redis restarted or flushed its scripts; EVAL caches it again
            return self.execute("EVAL", script.script, len(keys), *keys, *args)

    def close(self) -> None:
        with self._lock:
            connections = list(self._open)
        for conn in connections:
            conn.disconnect()


_lanes: weakref.WeakKeyDictionary[Any, Lane | None] = weakref.WeakKeyDictionary()


def lane(client: Any) -> Lane | None:
    """The client's lane, or None when it is not one plain server (cluster, sentinel)."""
    try:
        return _lanes[client]
    except KeyError:
        pool = getattr(client, "connection_pool", None)
        found = Lane(pool) if type(pool) is redis.ConnectionPool else None
        _lanes[client] = found
        return found


def close_client(client: Any) -> None:
    """Close every connection of a client (its lane's included).

    ``RedisCluster.close()`` leaves the connections it opened to the startup
    nodes (to discover the cluster) to the garbage collector; they are closed
    here too.
    """
    found = _lanes.get(client)
    if found is not None:
        found.close()
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
