"""Extension objects. None of them holds an app: each is bound by ``init_app``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from .metrics import REDIS_ERRORS as FAILURES
from .store import embedded_redis
from .store.redis_client import REDIS_ERRORS, close_client, connect

# After a failed call, skip Redis for this long: while it is down, pages and the
# API answer at once instead of each paying the connect timeout.
BREAKER_SECONDS = 1.0


class RedisUnavailable(RuntimeError):
    """Redis did not answer (or failed very recently); callers degrade."""


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Token CSRF for the operators' forms; the JSON API checks Origin instead and
# the readers' reaction forms check Fetch Metadata (their pages are cached).
csrf = CSRFProtect()


class RedisHolder:
    """Gives code the app's Redis client through ``current_app``.

    The client is built on first use, not at start-up, so the app starts (and
    serves pages) while Redis is unreachable, and a cluster that was down at
    start-up is picked up once it answers.
    """

    extension_name = "engagement.redis"

    def init_app(self, app: Flask) -> None:
        if self.extension_name in app.extensions:
            raise RuntimeError("RedisHolder is already registered on this app")
        url = app.config["REDIS_URL"]
        if url is None:
            url = embedded_redis.ensure_running(app.instance_path)
            app.config["REDIS_URL"] = url
            app.config["ENGAGEMENT_REDIS_EMBEDDED"] = True
        app.extensions[self.extension_name] = _AppRedis(url, app.config["ENGAGEMENT_REDIS_TIMEOUT"])

    @property
    def state(self) -> _AppRedis:
        return current_app.extensions[self.extension_name]

    @property
    def client(self) -> Any:
        return self.state.get()

    def guard(self) -> AbstractContextManager[Any]:
        """Yield the client; turn any Redis failure into :class:`RedisUnavailable`."""
        return self.state.guard()


class _AppRedis:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()
        self.down_until = 0.0

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = connect(self.url, self.timeout)
        return self._client

    @contextmanager
    def guard(self) -> Iterator[Any]:
        """The client, unless Redis failed within ``BREAKER_SECONDS``; a failure
        inside becomes :class:`RedisUnavailable` (and opens the breaker)."""
        if time.monotonic() < self.down_until:
            raise RedisUnavailable("Redis failed moments ago")
        try:
            yield self.get()
        except REDIS_ERRORS as exc:
            self.failed()
            raise RedisUnavailable(str(exc)) from exc

    def failed(self) -> None:
        """Count a failed call and skip Redis for ``BREAKER_SECONDS``."""
        FAILURES.inc()
        self.down_until = time.monotonic() + BREAKER_SECONDS

    def close(self) -> None:
        """Close the client's connections (tests and tools that build many apps)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            close_client(client)


redis_store = RedisHolder()
