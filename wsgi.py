"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import sys

from engagement import create_app
from engagement.config import ConfigError

# gunicorn stops the whole server (instead of starting another worker, for
# ever) when a worker exits with its "worker failed to boot" code.
WORKER_BOOT_ERROR = 3

try:
    app = create_app()
except ConfigError as exc:
    # A readable one-line refusal instead of a traceback.
    print(f"engagement: configuration error: {exc}", file=sys.stderr, flush=True)
    sys.exit(WORKER_BOOT_ERROR)
