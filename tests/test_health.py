from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask

from tests.conftest import RedisServer


def test_healthy(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_redis_stopped_then_back(app_factory: Callable[..., Flask], own_redis: RedisServer) -> None:
    app = app_factory(own_redis.url)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    own_redis.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["down"] == ["redis"]
    assert response.json["checks"]["database"] == "ok"
    assert client.get("/").status_code == 200, "pages do not need Redis"
    own_redis.start()
    assert client.get("/healthz").status_code == 200, "recovers without a restart"


def test_database_down(
    app_factory: Callable[..., Flask], redis_server: RedisServer, tmp_path: Path
) -> None:
    url = "sqlite:///" + str(tmp_path / "missing-dir" / "db.sqlite3")
    app = app_factory(redis_server.url, DATABASE_URL=url)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["down"] == ["database"]
    page = client.get("/")
    assert page.status_code == 503
    assert "数据库暂时无法连接" in page.get_data(as_text=True)


def test_api_answers_503_when_the_database_is_down(
    app_factory: Callable[..., Flask], redis_server: RedisServer, tmp_path: Path
) -> None:
    url = "sqlite:///" + str(tmp_path / "missing-dir" / "db.sqlite3")
    app = app_factory(redis_server.url, DATABASE_URL=url)
    response = app.test_client().get("/api/v1/articles/anything/reactions")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
