"""/metrics: token rules, the numbers, and sums across gunicorn workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from flask import Flask

from engagement.store.redis_client import close_client
from tests.conftest import RedisServer, free_port
from tests.helpers import BROWSER, GOOGLEBOT, reader_client, view

ROOT = Path(__file__).resolve().parents[1]
SLUG = "kashi-orchard-cooperative"


def sample(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" ([0-9.e+]+)"
    found = re.findall(r"^" + pattern + r"$", text, re.M)
    return sum(float(v) for v in found)


def test_no_token_configured_means_404(demo: Flask) -> None:
    assert demo.test_client().get("/metrics").status_code == 404


def test_token_is_required(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_METRICS_TOKEN="s3cret")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"


def test_counts_views_reactions_and_requests(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_METRICS_TOKEN="t")
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()

    def scrape() -> str:
        return client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True)

    before = scrape()
    reader = reader_client(app)
    view(reader, SLUG)
    view(reader, SLUG)
    view(reader_client(app, agent=GOOGLEBOT), SLUG)
    reader.post(f"/api/v1/articles/{SLUG}/reactions", json={"reaction": "sad"})
    app.test_cli_runner().invoke(args=["flush-counters"])
    after = scrape()
    for labels, delta in (('result="counted"', 1), ('result="repeat"', 1), ('result="bot"', 1)):
        assert (
            sample(after, "engagement_views_total", labels)
            - sample(before, "engagement_views_total", labels)
            == delta
        )
    assert (
        sample(after, "engagement_reactions_total", 'result="changed"')
        - sample(before, "engagement_reactions_total", 'result="changed"')
        == 1
    )
    assert "engagement_http_request_duration_seconds_bucket" in after
    assert 0 <= sample(after, "engagement_flush_lag_seconds") < 60


def test_made_up_methods_share_one_label(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_METRICS_TOKEN="t")
    client = app.test_client()
    for method in ("BREW", "PROPFIND", "X-ANYTHING"):
        assert client.open("/", method=method).status_code == 405
    text = client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True)
    assert "BREW" not in text and "PROPFIND" not in text and "X-ANYTHING" not in text
    assert (
        sample(
            text,
            "engagement_http_requests_total",
            'endpoint="unmatched",method="other",status="405"',
        )
        >= 3
    )


def test_metrics_add_up_across_gunicorn_workers(
    demo: Flask, redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": demo.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": "gunicorn-test",
        "ENGAGEMENT_METRICS_TOKEN": "t",
        "ENGAGEMENT_FLUSH_INTERVAL": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "3",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except (OSError, urllib.error.HTTPError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for i in range(30):
            request = urllib.request.Request(
                f"{base}/api/v1/articles/{SLUG}/views",
                data=b"{}",
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": f"{BROWSER} n{i}",
                    "Accept-Language": "zh-CN",
                },
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 202
        # Exact counts with three processes: the Redis totals equal what was sent.
        counts = redis_server.client(decode_responses=True)
        with demo.app_context():
            from engagement.store.refs import lookup

            ref = lookup(SLUG)
        assert ref is not None
        from engagement.store.keys import counts_key

        assert counts.hget(counts_key(ref.id), "views") == "30"
        close_client(counts)
        for _ in range(6):  # whichever worker answers, the sum is the same
            scrape = urllib.request.Request(
                base + "/metrics", headers={"Authorization": "Bearer t"}
            )
            text = urllib.request.urlopen(scrape, timeout=5).read().decode()
            assert sample(text, "engagement_views_total", 'result="counted"') == 30
            assert (
                sample(
                    text,
                    "engagement_http_requests_total",
                    'endpoint="api.post_view",method="POST",status="202"',
                )
                == 30
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
