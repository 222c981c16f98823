"""A daemon thread per process, started on first use so it survives gunicorn's fork."""

from __future__ import annotations

import logging
import os
import random
import threading
from typing import Any

from flask import Flask

from .extensions import db

log = logging.getLogger(__name__)


class ProcessThread:
    """Subclasses implement ``run``; it should return once ``stopped`` is set."""

    name = "engagement-background"

    def __init__(self) -> None:
        self.pid: int | None = None
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def ensure_started(self) -> None:
        """Start this process's thread unless it is already running here."""
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
            self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def run(self) -> None:
        raise NotImplementedError


class PeriodicThread(ProcessThread):
    """Calls ``tick`` in an app context every ``period`` seconds (± ``jitter``, a
    fraction); a failure is logged and the next period tries again."""

    def __init__(self, app: Flask, period: float, jitter: float = 0.0) -> None:
        super().__init__()
        self.app = app
        self.period = period
        self.jitter = jitter

    def tick(self) -> None:
        raise NotImplementedError

    def _spread(self) -> float:
        return random.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0

    def run(self) -> None:
        while not self.stopped.wait(self.period * self._spread()):
            with self.app.app_context():
                try:
                    self.tick()
                except Exception:  # the thread must outlive a database or Redis outage
                    log.exception("%s failed; trying again next period", self.name)
                finally:
                    db.session.remove()


class StartsThreads:
    """WSGI middleware, outermost: every request, whichever path answers it,
    first makes sure this process's threads run (gunicorn forks after import)."""

    def __init__(self, inner: Any, threads: list[ProcessThread]) -> None:
        self.inner = inner
        self.threads = threads

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        for thread in self.threads:
            thread.ensure_started()
        return self.inner(environ, start_response)
