from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from engagement import create_app
from engagement.extensions import redis_store
from engagement.store import embedded_redis


def embedded_app(instance: Path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": "sqlite:///" + str(instance / "db.sqlite3"),
        }
    )


@pytest.fixture
def instance(tmp_path: Path):
    path = tmp_path / "inst"
    yield path
    embedded_redis.stop(str(path))


def test_embedded_redis_survives_restart(instance: Path) -> None:
    app = embedded_app(instance)
    assert app.config["REDIS_URL"].startswith("unix://")
    with app.app_context():
        redis_store.client.set("kept", "yes")
    assert (instance / "redis" / "appendonly.aof").exists()
    assert embedded_redis.stop(str(instance))

    again = embedded_app(instance)
    with again.app_context():
        assert redis_store.client.get("kept") == "yes"


def _start(path: str) -> str:
    return embedded_redis.ensure_running(path)


def test_several_processes_share_one_server(instance: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        urls = pool.map(_start, [str(instance)] * 4)
    assert len(set(urls)) == 1
    pids = (instance / "redis" / "redis.pid").read_text().split()
    assert len(pids) == 1


def test_long_instance_paths_get_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120)
    assert len(str(embedded_redis.socket_path(str(deep)))) < 108
