"""Configuration: defaults, environment parsing and validation in one place.

Precedence (lowest first): the defaults below, the instance folder's
``config.py``, environment variables, then the ``test_config`` mapping given to
:func:`engagement.create_app`. Every value is validated once at start-up so that a
typo fails loudly, naming the variable, instead of misbehaving at request time.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "REDIS_URL": None,  # None: the embedded Redis server
    "SECRET_KEY": None,
    "ENGAGEMENT_RANKING_MAX_AGE": 10,
    "ENGAGEMENT_VIEW_WINDOW": 1800,
    "ENGAGEMENT_TRUSTED_PROXIES": 0,
    "ENGAGEMENT_ALLOWED_ORIGINS": (),
    "ENGAGEMENT_HOSTS": (),  # empty: any Host header (development)
    "ENGAGEMENT_RATELIMIT_REACTIONS": "30/minute",
    "ENGAGEMENT_NEW_READERS_PER_ADDRESS": "60/minute;600/hour",
    "ENGAGEMENT_REACTIONS_PER_ARTICLE": "100/day",
    "ENGAGEMENT_READER_PACE": "20/minute",
    "ENGAGEMENT_METRICS_TOKEN": None,
    # Not part of the public contract: how long one Redis command may take.
    "ENGAGEMENT_REDIS_TIMEOUT": 0.25,
    "ENGAGEMENT_PAGE_SIZE": 20,
    "ENGAGEMENT_FLUSH_INTERVAL": 60,
    "ENGAGEMENT_FEED_INTERVAL": 300,
    # Not in the contract: tests that build rankings by hand turn the thread off.
    "ENGAGEMENT_RANKING_REFRESHER": True,
    "ENGAGEMENT_TIMEZONE": "Asia/Shanghai",
    "ENGAGEMENT_SITE_NAME": "新闻网",
}


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names it."""


def _int(minimum: int) -> Callable[[str, Any], int]:
    def parse(name: str, raw: Any) -> int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    return parse


def _float_positive(name: str, raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _origins(name: str, raw: Any) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    origins = []
    for item in (i.strip().rstrip("/") for i in items):
        if not item:
            continue
        scheme, sep, host = item.partition("://")
        if not sep or scheme not in ("http", "https") or not host or "/" in host:
            raise ConfigError(f"{name} must list origins like https://example.com, got {item!r}")
        origins.append(item.lower())
    return tuple(origins)


def _hosts(name: str, raw: Any) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    hosts = []
    for item in (str(i).strip().lower() for i in items):
        if not item:
            continue
        if "/" in item or " " in item or item.startswith(":"):
            raise ConfigError(f"{name} must list host names like news.example, got {item!r}")
        hosts.append(item)
    return tuple(hosts)


def _rate_limit(name: str, raw: Any) -> str:
    from limits import parse_many

    try:
        parse_many(str(raw))
    except ValueError:
        raise ConfigError(f"{name} must be a rate limit such as '30/minute', got {raw!r}") from None
    return str(raw)


def _timezone(name: str, raw: Any) -> ZoneInfo:
    if isinstance(raw, ZoneInfo):
        return raw
    try:
        return ZoneInfo(str(raw))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name} must be an IANA time zone such as Asia/Shanghai, got {raw!r}"
        ) from None


def _required_str(name: str, raw: Any) -> str:
    value = str(raw or "").strip()
    if not value:
        raise ConfigError(f"{name} must not be empty")
    return value


def _bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _optional_str(name: str, raw: Any) -> str | None:
    if raw is None:
        return None
    value = str(raw).strip()
    return value or None


def _database_url(name: str, raw: Any) -> str | None:
    if raw is None or str(raw).strip() == "":
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(str(raw))
    except ArgumentError:
        raise ConfigError(f"{name} is not a SQLAlchemy database URL: {raw!r}") from None
    return str(raw)


def _redis_url(name: str, raw: Any) -> str | None:
    if raw is None or str(raw).strip() == "":
        return None
    from .store.redis_client import RedisURLError, parse_redis_url

    try:
        parse_redis_url(str(raw))
    except RedisURLError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    return str(raw)


PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "DATABASE_URL": _database_url,
    "REDIS_URL": _redis_url,
    "SECRET_KEY": _optional_str,
    "ENGAGEMENT_RANKING_MAX_AGE": _int(0),
    "ENGAGEMENT_VIEW_WINDOW": _int(1),
    "ENGAGEMENT_TRUSTED_PROXIES": _int(0),
    "ENGAGEMENT_ALLOWED_ORIGINS": _origins,
    "ENGAGEMENT_HOSTS": _hosts,
    "ENGAGEMENT_RATELIMIT_REACTIONS": _rate_limit,
    "ENGAGEMENT_NEW_READERS_PER_ADDRESS": _rate_limit,
    "ENGAGEMENT_REACTIONS_PER_ARTICLE": _rate_limit,
    "ENGAGEMENT_READER_PACE": _rate_limit,
    "ENGAGEMENT_METRICS_TOKEN": _optional_str,
    "ENGAGEMENT_REDIS_TIMEOUT": _float_positive,
    "ENGAGEMENT_PAGE_SIZE": _int(1),
    "ENGAGEMENT_FLUSH_INTERVAL": _int(0),
    "ENGAGEMENT_FEED_INTERVAL": _int(0),
    "ENGAGEMENT_RANKING_REFRESHER": _bool,
    "ENGAGEMENT_TIMEZONE": _timezone,
    "ENGAGEMENT_SITE_NAME": _required_str,
}


class RetiredSetting(UserWarning):
    """A setting that no longer does anything was given."""


# Settings that no longer do anything: a leftover value is ignored, with a warning.
RETIRED = {
    "ENGAGEMENT_FAST_PATH": "reader events always take the one ingest path (ingest/app.py)",
}


def load(app: Flask, test_config: Mapping[str, Any] | None, environ: Mapping[str, str]) -> None:
    """Fill ``app.config`` from all sources, validate it and derive the rest."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    for name, why in RETIRED.items():
        if name in environ or name in app.config or (test_config and name in test_config):
            warnings.warn(f"{name} is no longer a setting and is ignored: {why}", RetiredSetting, 2)
            app.config.pop(name, None)
    for name in PARSERS:
        if name in environ:
            app.config[name] = environ[name]
    if test_config is not None:
        app.config.from_mapping({k: v for k, v in test_config.items() if k not in RETIRED})

    for name, parse in PARSERS.items():
        app.config[name] = parse(name, app.config.get(name))

    _secret_key(app)
    _database(app)
    if app.config["ENGAGEMENT_HOSTS"]:
        # Flask answers any other Host with 400, so absolute URLs (the rankings'
        # links, the widgets' and the embed script's) never name a host a client chose.
        app.config["TRUSTED_HOSTS"] = list(app.config["ENGAGEMENT_HOSTS"])


def _secret_key(app: Flask) -> None:
    """SECRET_KEY, else the instance's development key.

    Debug and testing runs create ``instance/secret_key`` on first use and keep
    it, so sessions and reader cookies survive restarts. Any later command in
    that checkout (``flask --app wsgi create-operator`` ... without
    ``FLASK_DEBUG``) uses the same key. Without SECRET_KEY and without that file,
    as on a fresh production instance, start-up is refused.
    """
    if app.config["SECRET_KEY"]:
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        if not (app.debug or app.testing):
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long "
                "random string (python -c 'import secrets; print(secrets.token_hex(32))'); "
                "only debug and testing runs, and commands in a checkout where `make run` "
                f"created {path}, may go without it."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of this instance made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"SECRET_KEY is not set and {path} is empty")
    app.config["SECRET_KEY"] = key


def _database(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url is None:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(Path(app.instance_path) / "engagement.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        # Several workers share one file: wait for a lock instead of failing.
        options["connect_args"] = {"timeout": 15}
    else:
        options["connect_args"] = {"connect_timeout": 3}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
