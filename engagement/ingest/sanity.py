"""Request sanity: what every browser sends with the page script's requests.

A second layer after the User-Agent (``bots.py``), for scripts that copy a
browser's User-Agent but not the rest of its request. Only what holds for every
browser a reader may use counts against a request:

- ``Sec-Fetch-Site: none`` (a request no page made: typed, or a tool's) or
  ``Sec-Fetch-Mode: navigate`` / a ``Sec-Fetch-Dest`` other than ``empty``
  (the page script's ``fetch`` and ``sendBeacon`` are never navigations);
- none at all of ``Accept-Language``, ``Sec-Fetch-Site``, ``Origin`` and
  ``Referer``. Browsers without Fetch Metadata (Safari before 16.4, say) still
  send ``Accept-Language`` and an ``Origin`` with every POST, so a missing
  header alone is never held against a reader.

The no-JavaScript reaction form is a navigation by design and does not pass here.
"""

from __future__ import annotations

from typing import Any


def failed_rule(environ: dict[str, Any]) -> str | None:
    """The rule the request breaks (``sec-fetch``, ``headers``), or None."""
    site = environ.get("HTTP_SEC_FETCH_SITE")
    dest = environ.get("HTTP_SEC_FETCH_DEST")
    if site == "none" or environ.get("HTTP_SEC_FETCH_MODE") == "navigate":
        return "sec-fetch"
    if dest is not None and dest != "empty":
        return "sec-fetch"
    if site is None and not any(
        environ.get(h) for h in ("HTTP_ACCEPT_LANGUAGE", "HTTP_ORIGIN", "HTTP_REFERER")
    ):
        return "headers"
    return None
