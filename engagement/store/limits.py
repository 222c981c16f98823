"""Limits counted inside the event scripts, and the suspect traffic they hold back.

A limit is a set of fixed windows (``lua/limit.lua``). On one server the view
and reaction scripts count their limits themselves (one round trip); on a
cluster a limit's keys carry the client's own hash tag, so each limit is a
small script of its own before the event. A bound with a rule letter
(``keys.SUSPECT_RULES``) counts what it refuses as suspect traffic and records
the burst on the article (``lua/lib.lua``'s ``suspect``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .keys import PREFIX, limit_key
from .scripts import scripts


class Scoped(Protocol):
    """What a burst record needs of an article (``counters.ArticleRef``)."""

    @property
    def id(self) -> int: ...

    @property
    def scopes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class RateLimit:
    """A client's limit: its hashed identity and (amount, seconds) windows.
    ``rule``: for a bound whose refusals are suspect traffic, its letter in
    ``keys.SUSPECT_RULES`` (its bursts are recorded under it)."""

    client: str
    windows: tuple[tuple[int, int], ...]
    rule: str = ""

    @property
    def keys(self) -> list[str]:
        return [limit_key(self.client, amount, seconds) for amount, seconds in self.windows]

    @property
    def spec(self) -> str:
        return ",".join(f"{self.rule}{amount}:{seconds}" for amount, seconds in self.windows)


class RateLimited(Exception):
    """A limit window is full; ``retry_after`` seconds until all allow again."""

    def __init__(self, retry_after: int, suspect: bool = False) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after
        self.suspect = suspect


def _hit(client: Any, limit: RateLimit) -> tuple[int, str, int]:
    """One hit in each window of ``limit`` as a script of its own (one round trip):
    seconds to wait (0 if allowed), the suspect rule that refused, what it let through."""
    wait, rule, passed = scripts(client).limit(keys=limit.keys, args=[limit.spec])
    return int(wait), rule.decode() if isinstance(rule, bytes) else str(rule), int(passed)


def hit_limit(client: Any, limit: RateLimit) -> int:
    """Count one hit in each window (one round trip); seconds to wait, 0 if allowed."""
    return _hit(client, limit)[0] if limit.windows else 0


def _record_suspect(
    client: Any, kind: str, now: float, ref: Scoped, rule: str, passed: int
) -> None:
    """Count one request a suspect bound held back, in the article's burst record
    too (``lua/lib.lua``'s ``suspect``)."""
    scripts(client).suspect([PREFIX, ref.id, now, kind, ",".join(ref.scopes), rule, passed])


def check_limits(
    client: Any,
    cluster: bool,
    limits: Iterable[RateLimit | None],
    kind: str,
    now: float,
    ref: Scoped,
) -> tuple[list[str], str, tuple[int, bool] | None]:
    """The limits' keys and specs for the one-server script, which counts them
    itself. On a cluster their keys have slots of their own, so each is a script
    first; a refusal there comes back as (seconds to wait, suspect)."""
    limit_keys: list[str] = []
    specs: list[str] = []
    for limit in limits:
        if limit is None or not limit.windows:
            continue
        if not cluster:
            limit_keys += limit.keys
            specs.append(limit.spec)
            continue
        wait, rule, passed = _hit(client, limit)
        if wait:
            if rule:
                _record_suspect(client, kind, now, ref, rule, passed)
            return [], "", (wait, bool(rule))
    return limit_keys, ",".join(specs), None
