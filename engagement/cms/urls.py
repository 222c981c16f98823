"""Article and origin URLs: validation, the form they are matched in, and slugs."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_URL = 1000
# Query parameters that name a campaign or a click, never a page.
TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|spm|from|share_token|isappinstalled)$", re.I)
SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")


class BadURL(ValueError):
    """The message says what is wrong with the URL."""


def web_url(value: str, what: str = "URL") -> str:
    """``value`` if it is an absolute http(s) URL with a host, else :class:`BadURL`."""
    value = value.strip()
    if len(value) > MAX_URL:
        raise BadURL(f"{what} is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise BadURL(f"{what} {value!r} is not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadURL(f"{what} {value!r} must start with http:// or https:// and name a host")
    del port
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise BadURL(f"{what} {value!r} contains spaces or control characters")
    return value


def origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, as browsers send it in ``Origin``."""
    parts = urlsplit(web_url(value.rstrip("/"), "an origin"))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadURL(f"an origin is scheme://host[:port] only, not {value!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def key(url: str) -> str:
    """The form a URL is matched in: scheme and host in lower case, no default
    port, no fragment, no trailing slash, no tracking parameters, the rest sorted.
    http and https name the same article."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, True) if not TRACKING.match(k))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, urlencode(query), ""))[:MAX_URL]


def url_for_slug(pattern: str, slug: str) -> str:
    return pattern.replace("{slug}", slug)


def slug_from(url: str, pattern: str | None) -> str | None:
    """The slug that ``pattern`` (a URL with ``{slug}``) finds in ``url``, if it matches."""
    if not pattern or "{slug}" not in pattern:
        return None
    head, _, tail = key(pattern.replace("{slug}", "SLUGMARK")).partition("SLUGMARK")
    found = re.fullmatch(re.escape(head) + r"([A-Za-z0-9._~-]{1,200})" + re.escape(tail), key(url))
    return found[1] if found else None


def slug_for(url: str, pattern: str | None, site: str) -> str:
    """A slug for an article known by its URL: the pattern's, else the URL's last
    path segment when it is safe, made unique to the site with a short hash."""
    found = slug_from(url, pattern)
    if found:
        return found
    last = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    stem = SLUG_UNSAFE.sub("-", last.rpartition(".")[0] or last).strip("-.~_")[:60]
    digest = hashlib.sha256(key(url).encode()).hexdigest()[:10]
    base = SLUG_UNSAFE.sub("-", site).strip("-.~_")[:30] or "site"
    return f"{base}-{stem}-{digest}" if stem else f"{base}-{digest}"
