"""engagement: reader engagement (reactions, views, rankings) beside news articles."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config
from .background import ProcessThread, StartsThreads

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


class EngagementFlask(Flask):
    """Flask with its per-call coroutine check remembered per function.

    Flask asks ``inspect.iscoroutinefunction`` about the view and every hook on
    every request (about a microsecond each, ten or more per request); the
    answer never changes for a given function, so it is looked up once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync[func]
        except KeyError:
            wrapped = self._sync[func] = super().ensure_sync(func)
            return wrapped
        except TypeError:  # an unhashable callable: ask Flask every time
            return super().ensure_sync(func)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI and error handlers."""
    app = EngagementFlask(
        __name__,
        instance_relative_config=True,
        # Deployments may keep the instance folder outside the checkout.
        instance_path=os.environ.get("ENGAGEMENT_INSTANCE_PATH") or None,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if test_config is not None and "INSTANCE_PATH" in test_config:
        app.instance_path = str(test_config["INSTANCE_PATH"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config.load(app, test_config, os.environ)

    from .extensions import csrf, db, migrate, redis_store

    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    redis_store.init_app(app)
    configure_sessions(app)

    from . import admin, cli
    from .admin import login_limit
    from .cms import feeds, sites
    from .ingest import app as ingest
    from .ingest import readers
    from .rankings import leaderboards
    from .store import refs, writebehind
    from .web import (
        api,
        errors,
        health,
        microcache,
        monitoring,
        pages,
        publisher_api,
        security,
        templating,
        widgets,
    )

    leaderboards.init_app(app)
    monitoring.init_app(app)
    login_limit.init_app(app)
    security.init_app(app)
    refs.init_app(app)
    sites.init_app(app)
    readers.init_app(app)
    templating.init_app(app)
    pages.init_app(app)
    app.register_blueprint(pages.bp)
    del publisher_api  # imported for its routes on api.bp
    app.register_blueprint(api.bp)
    app.register_blueprint(widgets.bp)
    app.register_blueprint(admin.bp)
    csrf.exempt(api.bp)
    csrf.exempt(pages.react)
    app.register_blueprint(health.bp)
    errors.init_app(app)
    cli.init_app(app)

    # WSGI middleware, innermost first. Reader events never reach Flask: the
    # ingest app answers them. Both it and the response cache read the
    # client-facing address, host and scheme that ProxyFix restores, and
    # every request first starts the process's background threads.
    microcache.init_app(app)
    ingest.init_app(app)
    threads: list[ProcessThread] = [
        t for t in (writebehind.flusher(app), feeds.poller(app)) if t is not None
    ]
    if threads:
        app.wsgi_app = StartsThreads(app.wsgi_app, threads)  # type: ignore[method-assign]
    proxies = app.config["ENGAGEMENT_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    return app


def configure_sessions(app: Flask) -> None:
    """Operators' session cookie: HttpOnly, SameSite=Lax, Secure outside development
    (serve the site over HTTPS), and a working day long."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if not (app.debug or app.testing):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    app.session_interface = OperatorSessions()


class OperatorSessions(SecureCookieSessionInterface):
    """Only the operators' pages use the session: readers' requests skip the
    cookie's signature work (a measurable share of a beacon's time) and never
    get a session cookie, which would make their cached pages private."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith("/admin"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if flask.request.path.startswith("/admin"):
            super().save_session(app, session, response)
