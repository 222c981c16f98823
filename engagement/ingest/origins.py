"""Where a reader event may come from: this site, an origin the operator listed in
``ENGAGEMENT_ALLOWED_ORIGINS``, or one of a registered site (``cms.sites``)."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask

from ..cms.sites import registered_origins

# The answer to an allowed origin, beside Access-Control-Allow-Origin itself.
CORS_HEADERS = (
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, X-Engagement-Reader"),
    ("Access-Control-Max-Age", "600"),
    ("Vary", "Origin"),
)


def same_origin(url: str, host_url: str) -> bool:
    """Whether an Origin or Referer value names the site at ``host_url`` ("https://host/")."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return f"{parts.scheme}://{parts.netloc}".lower() == host_url.rstrip("/").lower()


def listed(app: Flask) -> frozenset[str]:
    """The origins that get CORS answers: the configured and the registered ones."""
    return registered_origins(app)


def is_listed(origin: str, known: frozenset[str]) -> bool:
    return origin.rstrip("/").lower() in known


def allowed(origin: str | None, host_url: str, known: frozenset[str]) -> bool:
    """No Origin (a same-site form or an old browser), this site, or a listed one."""
    return origin is None or same_origin(origin, host_url) or is_listed(origin, known)


def foreign(origin: str | None, host_url: str, known: frozenset[str]) -> bool:
    """A listed origin other than this site: a page where our cookie never comes."""
    return (
        bool(origin) and not same_origin(origin or "", host_url) and is_listed(origin or "", known)
    )


def cors_headers(origin: str | None, known: frozenset[str]) -> list[tuple[str, str]]:
    """The CORS answer for a listed origin; nothing for any other."""
    if not origin or not is_listed(origin, known):
        return []
    return [("Access-Control-Allow-Origin", origin), *CORS_HEADERS]


def own_hosts(host: str, known: frozenset[str]) -> frozenset[str]:
    """Host names that make a referrer 站内: this request's host and the listed origins'."""
    return _hosts(host.rpartition(":")[0] if _has_port(host) else host, known)


def _has_port(host: str) -> bool:
    return ":" in host and not host.endswith("]")


@functools.lru_cache(maxsize=64)
def _hosts(host: str, known: frozenset[str]) -> frozenset[str]:
    names = {host.lower()}
    for origin in known:
        try:
            name = urlsplit(origin).hostname
        except ValueError:
            continue
        if name:
            names.add(name)
    return frozenset(names)
