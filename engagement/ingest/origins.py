"""Where a reader event may come from: this site, or an origin the operator listed."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# The answer to an allowed origin, beside Access-Control-Allow-Origin itself.
CORS_HEADERS = (
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type"),
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


def is_listed(origin: str, config: Mapping[str, Any]) -> bool:
    """Whether ``origin`` is one of ``ENGAGEMENT_ALLOWED_ORIGINS`` (they get CORS answers)."""
    return origin.rstrip("/").lower() in config["ENGAGEMENT_ALLOWED_ORIGINS"]


def allowed(origin: str | None, host_url: str, config: Mapping[str, Any]) -> bool:
    """No Origin (a same-site form or an old browser), this site, or a listed one."""
    return origin is None or same_origin(origin, host_url) or is_listed(origin, config)


def cors_headers(origin: str | None, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The CORS answer for a listed origin; nothing for any other."""
    if not origin or not is_listed(origin, config):
        return []
    return [("Access-Control-Allow-Origin", origin), *CORS_HEADERS]


def own_hosts(host: str, config: Mapping[str, Any]) -> frozenset[str]:
    """Host names that make a referrer 站内: this request's host and the listed origins'."""
    listed = config["ENGAGEMENT_ALLOWED_ORIGINS"]
    return _hosts(host.rpartition(":")[0] if _has_port(host) else host, tuple(sorted(listed)))


def _has_port(host: str) -> bool:
    return ":" in host and not host.endswith("]")


@functools.lru_cache(maxsize=64)
def _hosts(host: str, listed: tuple[str, ...]) -> frozenset[str]:
    names = {host.lower()}
    for origin in listed:
        try:
            name = urlsplit(origin).hostname
        except ValueError:
            continue
        if name:
            names.add(name)
    return frozenset(names)
