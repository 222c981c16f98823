"""The README's commands as a newcomer runs them, in a real process each.

``make run`` runs in debug mode; the commands the README shows after it run
without ``FLASK_DEBUG`` and without ``SECRET_KEY``, and must work all the same.
A fresh instance outside debug must still refuse to start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.single_redis


def _env(instance: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "FLASK_DEBUG", "REDIS_URL", "DATABASE_URL")
    }
    env["ENGAGEMENT_INSTANCE_PATH"] = str(instance)
    env["ENGAGEMENT_FLUSH_INTERVAL"] = "0"
    env.update(extra)
    return env


def flask(instance: Path, *args: str, stdin: str | None = None, **extra: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=_env(instance, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_readme_commands_work_after_make_run_without_exports(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    try:
        # What `make run` does before serving: debug mode.
        flask(instance, "init-db", FLASK_DEBUG="1")
        flask(instance, "seed-demo", "--if-empty", FLASK_DEBUG="1")
        # What the README shows next, as written: no FLASK_DEBUG, no SECRET_KEY.
        flask(instance, "create-operator", "editor", stdin="a-long-password\n")
        assert "editor" in flask(instance, "list-operators")
        flask(instance, "simulate-traffic", "--views", "300", "--days", "1")
        flask(instance, "flush-counters")
        flask(instance, "rebuild-related")
        flask(instance, "delete-operator", "editor")
        assert "unix://" in flask(instance, "embedded-redis", "status")
    finally:
        flask(instance, "embedded-redis", "stop")
    assert not (instance / "redis" / "redis.sock").exists()


def test_fresh_production_instance_refuses_without_secret_key(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "list-operators"],
        cwd=ROOT,
        env=_env(tmp_path / "instance"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_gunicorn_stops_at_once_without_secret_key(tmp_path: Path) -> None:
    """gunicorn halts on a worker's boot error code instead of respawning it for ever."""
    done = subprocess.run(
        [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{free_port()}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=_env(
            tmp_path / "instance",
            WEB_CONCURRENCY="2",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
    # Two workers at most tried to boot: no respawn loop.
    assert done.stderr.count("configuration error") <= 2
