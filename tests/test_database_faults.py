"""PostgreSQL going away under a live server, and coming back.

The real server cannot be stopped (CI shares it), so the app reaches it through
a loopback TCP relay that the test can cut: open connections are reset and new
ones refused, which is what the app sees when the database stops.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.helpers import BROWSER

SLUG = "kashi-orchard-cooperative"


class Relay:
    """Forwards loopback TCP connections to ``upstream`` until cut."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                downstream.close()
                continue
            with self.lock:
                self.open += [downstream, upstream]
            for a, b in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Stop listening and reset every open connection."""
        if self.listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.open.clear()


def fetch(url: str) -> tuple[int, str, float]:
    """Status, body and seconds taken; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers={"User-Agent": BROWSER})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started


@pytest.fixture
def served(
    app_factory: Callable[..., Flask], database_url: str, redis_server: object
) -> Iterator[tuple[str, Relay]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("stopping the database is a PostgreSQL scenario (TEST_DATABASE_URL)")
    real = make_url(database_url)
    relay = Relay(real.host or "127.0.0.1", real.port or 5432)
    relay.start()
    url = real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = app_factory(redis_server.url, DATABASE_URL=url)  # type: ignore[attr-defined]
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", relay
    server.shutdown()
    thread.join(timeout=5)
    relay.cut()


def test_database_stopped_then_back(served: tuple[str, Relay]) -> None:
    base, relay = served
    for path in ("/", f"/articles/{SLUG}", "/healthz", "/api/v1/rankings"):
        assert fetch(base + path)[0] == 200, path

    relay.cut()
    status, body, took = fetch(base + "/")
    assert status == 503 and "数据库暂时无法连接" in body, "a clear 503 page"
    assert took < 2
    status, body, _ = fetch(base + "/api/v1/articles/no-such-article/reactions")
    assert status == 503
    assert json.loads(body)["error"]["code"] == "database_unavailable"
    status, body, _ = fetch(base + "/healthz")
    assert status == 503 and json.loads(body)["down"] == ["database"]
    # Whatever answers from caches and Redis alone may answer; nothing is a 500.
    for path in (f"/articles/{SLUG}", "/api/v1/rankings", "/widgets/rankings", "/admin/login"):
        assert fetch(base + path)[0] in (200, 503), path

    relay.start()
    deadline = time.monotonic() + 5
    while fetch(base + "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "recovers by itself, without a restart"
        time.sleep(0.1)
    for path in ("/", f"/articles/{SLUG}", "/api/v1/rankings"):
        assert fetch(base + path)[0] == 200, path
