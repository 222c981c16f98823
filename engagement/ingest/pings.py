"""The attention parts of reader events, read from their JSON bodies.

A view beacon may say where the page view came from (``referrer``,
``utm_source``, ``utm_medium``) and which of our blocks sent it (``prev``, the
previous page view of the tab, and ``via``, "block:slot"); a field that does
not fit is left out, as the beacon itself never fails on its optional part.
A ping's fields are checked strictly: a bad one is a 400 naming it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from ..store.attention import Ping
from ..store.counters import Arrival
from ..store.keys import BLOCKS
from . import sources

PAGE_VIEW = re.compile(r"[A-Za-z0-9_-]{16,32}")
MAX_SLOT = 50
MAX_SEEN = 64
MAX_ENGAGED = 3600  # larger asks are refused; the script credits at most PING_MAX
VISITOR_COOKIE = "eng_seen"
VISITOR_DAYS = 30


class BadPing(ValueError):
    """A ping field that does not fit; the message names it."""


def new_page_view() -> str:
    return secrets.token_urlsafe(16)[:22]


def block_slot(value: Any) -> str | None:
    """``"related"`` or ``"related:2"`` when it names one of our blocks (and a slot)."""
    if not isinstance(value, str) or len(value) > 32:
        return None
    block, sep, slot = value.partition(":")
    if block not in BLOCKS:
        return None
    if not sep:
        return block
    if not slot.isdigit() or not 1 <= int(slot) <= MAX_SLOT or slot.startswith("0"):
        return None
    return f"{block}:{int(slot)}"


def _text(payload: Mapping[str, Any], name: str, limit: int) -> str:
    value = payload.get(name)
    return value[:limit] if isinstance(value, str) else ""


def visitor(raw: str | None, today: int) -> tuple[str, str | None]:
    """("new" or "returning", the cookie value to set or None) from ``eng_seen``.

    The cookie holds the last day this browser read here and that day's answer;
    nothing about the reader is kept on the server for it.
    """
    last, answer = -1, ""
    if raw and re.fullmatch(r"\d{1,6}\.[nr]", raw):
        day, _, flag = raw.partition(".")
        last, answer = int(day), "returning" if flag == "r" else "new"
    if last == today:
        return answer, None
    kind = "returning" if 0 <= today - last <= VISITOR_DAYS and last >= 0 else "new"
    return kind, f"{today}.{kind[0]}"


def arrival(
    payload: Any, page_view: str, own_hosts: frozenset[str], agent: str, visitor_kind: str
) -> Arrival:
    if not isinstance(payload, dict):
        payload = {}
    source, host = sources.classify(
        _text(payload, "referrer", 2048),
        _text(payload, "utm_source", 100),
        _text(payload, "utm_medium", 100),
        own_hosts,
        agent,
    )
    prev = _text(payload, "prev", 40)
    via = block_slot(payload.get("via")) or ""
    return Arrival(
        page_view=page_view,
        source=source,
        host=host,
        prev=prev if PAGE_VIEW.fullmatch(prev) else "",
        via=via if ":" in via else "",
        visitor=visitor_kind,
    )


def _number(payload: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadPing(f"'{name}' must be a number from {low:g} to {high:g}.")
    return float(value)


def parse_ping(payload: Any) -> Ping:
    if not isinstance(payload, dict):
        raise BadPing("The body must be a JSON object.")
    page_view = payload.get("page_view")
    if not isinstance(page_view, str) or not PAGE_VIEW.fullmatch(page_view):
        raise BadPing("'page_view' must be the id the view beacon answered.")
    seq = payload.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 10**6:
        raise BadPing("'seq' must be a whole number from 1 to 1000000.")
    engaged = _number(payload, "engaged", 0, MAX_ENGAGED) or 0.0
    depth = _number(payload, "depth", 0, 1)
    hidden = payload.get("hidden", False)
    if not isinstance(hidden, bool):
        raise BadPing("'hidden' must be true or false.")
    seen_raw = payload.get("seen", [])
    if not isinstance(seen_raw, list) or len(seen_raw) > MAX_SEEN:
        raise BadPing(f"'seen' must be a list of at most {MAX_SEEN} blocks.")
    seen = []
    for item in seen_raw:
        name = block_slot(item)
        if name is None:
            raise BadPing(f"'seen' names an unknown block or slot: {str(item)[:40]!r}.")
        if name not in seen:
            seen.append(name)
    return Ping(page_view, seq, engaged, depth, hidden, tuple(seen))
