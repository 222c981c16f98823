"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Prometheus counters must add up across workers, so every worker writes its
samples to a shared folder (prometheus-client's multiprocess mode) that is
emptied when the server starts; a worker that exits is marked dead so its live
gauges stop counting.
"""

import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
# No preload: each worker opens its own database and Redis connections.
preload_app = False

_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "engagement-prometheus")
)


def on_starting(server):  # noqa: ANN001, ARG001 - gunicorn's hook signature
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):  # noqa: ANN001, ARG001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
