"""Extension objects. None of them holds an app: each is bound by ``init_app``."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from . import embedded_redis
from .redis_client import connect


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


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
    def client(self) -> Any:
        state: _AppRedis = current_app.extensions[self.extension_name]
        return state.get()


class _AppRedis:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = connect(self.url, self.timeout)
        return self._client


redis_store = RedisHolder()
