"""engagement: reader engagement (reactions, views, rankings) beside news articles."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import config

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI and error handlers."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if test_config is not None and "INSTANCE_PATH" in test_config:
        app.instance_path = str(test_config["INSTANCE_PATH"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config.load(app, test_config, os.environ)

    from .extensions import db, migrate, redis_store

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    redis_store.init_app(app)

    from . import cli, errors, health, pages, templating

    templating.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    errors.init_app(app)
    cli.init_app(app)
    return app
