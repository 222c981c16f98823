"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import sys

from engagement import create_app
from engagement.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # A readable one-line refusal instead of a traceback.
    sys.exit(f"engagement: configuration error: {exc}")
