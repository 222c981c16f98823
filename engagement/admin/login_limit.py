"""The login limit: 10 tries a minute and 50 an hour per address.

Counted with ``limits``, the engine Flask-Limiter runs on, in the app's Redis;
while Redis is down, in this process's memory, so an outage never opens the
door to guessing. Flask-Limiter itself is not used: this is its only limit,
and its app-wide hooks cost every request some 100-300 µs (removing them meant
reaching into its private attributes).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, current_app
from limits import parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..store.redis_client import REDIS_ERRORS, close_client, limiter_storage_uri

LIMITS = "10/minute;50/hour"
FAILURES: tuple[type[BaseException], ...] = (*REDIS_ERRORS, StorageError)
EXTENSION = "engagement.login_limit"
log = logging.getLogger(__name__)


class LoginLimit:
    def __init__(self, redis_url: str, timeout: float) -> None:
        self.items = parse_many(LIMITS)
        self.storage: Any = storage_from_string(
            limiter_storage_uri(redis_url), socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.shared = FixedWindowRateLimiter(self.storage)
        self.local = FixedWindowRateLimiter(MemoryStorage())

    def hit(self, client: str) -> bool:
        """Count one try; False when any window is full (the try is refused)."""
        try:
            return all([self.shared.hit(item, "login", client) for item in self.items])
        except FAILURES as exc:
            log.warning("login limit counted in memory: Redis failed (%s)", type(exc).__name__)
            return all([self.local.hit(item, "login", client) for item in self.items])

    def retry_after(self, client: str) -> int:
        """Seconds until the fullest window lets the client try again."""
        for limiter in (self.shared, self.local):
            try:
                resets = [limiter.get_window_stats(i, "login", client) for i in self.items]
            except FAILURES:
                continue
            full = [int(stats.reset_time) for stats in resets if stats.remaining <= 0]
            if full:
                return max(1, max(full) - int(time.time()))
        return 60

    def close(self) -> None:
        client: Any = getattr(self.storage, "storage", None)
        if client is not None:
            close_client(client)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = LoginLimit(
        app.config["REDIS_URL"], app.config["ENGAGEMENT_REDIS_TIMEOUT"]
    )


def login_limit() -> LoginLimit:
    return current_app.extensions[EXTENSION]
