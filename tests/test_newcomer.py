"""The README's commands as a newcomer runs them, in a real process each.

``make run`` runs in debug mode; the commands the README shows after it run
without ``FLASK_DEBUG`` and without ``SECRET_KEY``, and must work all the same.
A fresh instance outside debug must still refuse to start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from engagement.extensions import db, redis_store
from engagement.models import Category
from engagement.store import counters
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


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


@pytest.mark.single_redis
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
        # "A site with its own CMS", steps 1 and 2 (its feed is not reachable from here)
        flask(
            instance,
            "add-site",
            "天山日报",
            "--origin",
            "https://news.example.com",
            "--feed",
            "https://news.example.com/rss.xml",
            "--url-pattern",
            "https://news.example.com/a/{slug}.html",
        )
        assert (
            flask(instance, "create-token", "天山日报").strip().splitlines()[-1].startswith("eng_")
        )
        assert "unix://" in flask(instance, "embedded-redis", "status")
    finally:
        flask(instance, "embedded-redis", "stop")
    assert not (instance / "redis" / "redis.sock").exists()


@pytest.mark.single_redis
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


@pytest.mark.single_redis
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


def test_demo_traffic_offer_without_a_terminal_says_how_to_run_it(demo: Flask) -> None:
    result = demo.test_cli_runner().invoke(args=["simulate-traffic", "--offer"])
    assert result.exit_code == 0, result.output
    assert "flask --app wsgi simulate-traffic" in result.output
    with demo.app_context():
        assert counters.hourly_stats(redis_store.client, [int(time.time() // 3600)]) == [{}]


def test_readme_embed_example_uses_a_demo_category(demo: Flask) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r'data-category="([^"]+)"', readme))
    assert used
    with demo.app_context():
        known = set(db.session.scalars(sa.select(Category.slug)))
    assert used <= known
    for slug in used:
        response = demo.test_client().get(f"/api/v1/rankings?category={slug}")
        assert response.status_code == 200
