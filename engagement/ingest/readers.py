"""Who is reading: a signed reader cookie, or a keyed hash of address + User-Agent.

No raw address is kept anywhere: the fallback identity is an HMAC whose key is
derived from SECRET_KEY and the UTC date, so it changes every day and cannot be
reversed or linked across days without the secret. The response then sets the
cookie to that same identity, so the reader stays the same reader when their
address changes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, Signer

COOKIE = "eng_reader"
COOKIE_MAX_AGE = 2 * 365 * 86400
ID_LENGTH = 32


@lru_cache(maxsize=8)
def _daily_key(secret: str, day: int) -> bytes:
    return hmac.new(secret.encode(), f"engagement-reader-salt:{day}".encode(), "sha256").digest()


def keyed_hash(*parts: str, now: float | None = None, secret: str | None = None) -> str:
    """A daily-rotating, keyed hash of ``parts`` (an address never leaves this function).

    ``secret`` defaults to the current app's SECRET_KEY.
    """
    day = int((time.time() if now is None else now) // 86400)
    key = _daily_key(current_app.config["SECRET_KEY"] if secret is None else secret, day)
    message = "\x1f".join(parts).encode("utf-8", "surrogateescape")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:ID_LENGTH]


def rate_limit_key(address: str | None = None, secret: str | None = None) -> str:
    """A client's rate-limit key: its address (this request's by default), hashed
    like every stored identity. The reaction limit and the login limit use it."""
    return "c:" + keyed_hash(
        "rate-limit", client_address() if address is None else address, secret=secret
    )


def new_readers_key(address: str, secret: str) -> str:
    """A client's key for ``ENGAGEMENT_NEW_READERS_PER_ADDRESS`` (hashed, like the rest)."""
    return "n:" + keyed_hash("new-readers", address, secret=secret)


FIRST_PARTY_HEADER = "HTTP_X_ENGAGEMENT_READER"
_FIRST_PARTY_MAX = 200


def first_party(secret: str, origin: str, given: str | None) -> str | None:
    """The reader id for a page of a registered site that passed its own reader id
    (``X-Engagement-Reader``): a keyed hash of origin and id, never the id itself.
    It does not rotate daily: it is as lasting as the site's own id, like our cookie."""
    if not given or len(given) > _FIRST_PARTY_MAX or not given.isprintable():
        return None
    message = f"first-party\x1f{origin.lower()}\x1f{given}".encode("utf-8", "surrogateescape")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:ID_LENGTH]


class _ReaderSigner(Signer):
    """itsdangerous derives the signing key (a hash of secret and salt) on every
    sign and unsign; a reader request does one of them, so the key is kept."""

    def __init__(self, secret_key: str) -> None:
        super().__init__(secret_key, salt="engagement.reader")
        self._derived: dict[bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        cache_key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        found = self._derived.get(cache_key)
        if found is None:
            found = self._derived[cache_key] = super().derive_key(secret_key)
        return found


@lru_cache(maxsize=8)
def _signer_for(secret: str) -> Signer:
    return _ReaderSigner(secret)


def from_cookie_value(secret: str, raw: str | None) -> str | None:
    """The reader id in a reader cookie's value, or None when it is not a valid one."""
    if not raw:
        return None
    try:
        value = _signer_for(secret).unsign(raw).decode()
    except BadSignature:
        return None
    if len(value) != ID_LENGTH or any(c not in "0123456789abcdef" for c in value):
        return None
    return value


def _raw_cookie() -> str | None:
    # Checked first: werkzeug finds the Cookie header by walking the whole
    # environ, a cost every cookie-less beacon would pay for nothing.
    if "HTTP_COOKIE" not in request.environ:
        return None
    return request.cookies.get(COOKIE)


def client_address() -> str:
    """The client's address as ProxyFix resolved it from trusted proxies."""
    return request.remote_addr or "unknown"


def identify(secret: str, raw_cookie: str | None, address: str, agent: str) -> tuple[str, bool]:
    """The reader id, and whether it was derived (then the answer sets the cookie)."""
    found = from_cookie_value(secret, raw_cookie)
    if found is not None:
        return found, False
    return keyed_hash(address, agent, secret=secret), True


def current_reader() -> str:
    """The reader id for this request; the cookie is (re)issued after the request."""
    if "reader" not in g:
        agent = request.environ.get("HTTP_USER_AGENT", "")
        secret = current_app.config["SECRET_KEY"]
        g.reader, g.reader_is_new = identify(secret, _raw_cookie(), client_address(), agent)
    return str(g.reader)


def reader_from_cookie() -> str | None:
    """The reader id only if the request carries a valid cookie (never derives one)."""
    return from_cookie_value(current_app.config["SECRET_KEY"], _raw_cookie())


# Written by hand: the value is hex and base64url (nothing to quote), and
# werkzeug's dump_cookie (quoting, an Expires date) was a tenth of a beacon's
# Python time. Max-Age alone sets the lifetime in every current browser.
_COOKIE_ATTRIBUTES = f"; Max-Age={COOKIE_MAX_AGE}; HttpOnly; Path=/; SameSite=Lax"


def cookie_header(secret: str, reader: str, secure: bool) -> str:
    """The Set-Cookie value that makes ``reader`` this browser's identity."""
    value = _signer_for(secret).sign(reader).decode()
    return f"{COOKIE}={value}{_COOKIE_ATTRIBUTES}{'; Secure' if secure else ''}"


def issue_cookie(response: Response) -> Response:
    """Set the reader cookie when this request used a derived identity."""
    if g.get("reader_is_new"):
        header = cookie_header(current_app.config["SECRET_KEY"], g.reader, request.is_secure)
        response.headers.add("Set-Cookie", header)
    return response


def init_app(app: Flask) -> None:
    app.after_request(issue_cookie)
