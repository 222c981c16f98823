"""An article's suspect bursts, hour by hour, and discounting what one counted.

A burst is what one bound (``keys.SUSPECT_RULES``) held back on one article in
one hour, with how many hits the same bound let through before it closed: a
loop of made-up identities gets its first ``ENGAGEMENT_NEW_READERS_PER_ADDRESS``
views counted, then is held back. Those counted views are what an operator may
discount: finer than resetting the article, they come out of its count, its
rankings and its SQL history for that hour and day (``lua/discount.lua``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .counters import ArticleRef
from .keys import (
    GRAINS,
    PREFIX,
    bucket_key,
    counts_key,
    suspect_days_key,
    suspects_key,
)
from .scripts import scripts

# Rules that hold back views; what the reactions bound held back never counted.
VIEW_RULES = ("a", "p")
# How far back a burst can be discounted: the hourly ranking buckets kept.
HOURLY = next(g for g in GRAINS if g.name == "h1")


@dataclass(frozen=True)
class Burst:
    hour: int  # hour index (unix time // 3600)
    rule: str  # a letter of keys.SUSPECT_RULES
    held: int  # held back as suspect
    passed: int  # let through by the same bound before it closed
    discounted: int  # taken back by operators so far
    counted: int | None  # the article's counted views that hour (None: no longer kept)

    @property
    def holds_views(self) -> bool:
        """A bound on views: what it let through counted and can be discounted."""
        return self.rule in VIEW_RULES

    @property
    def discountable(self) -> int:
        """Views an operator may still take back from this hour (0: none)."""
        if not self.holds_views or not self.counted:
            return 0
        return self.counted

    @property
    def suggested(self) -> int:
        """What the burst itself counted, as far as the record tells."""
        return max(0, min(self.passed - self.discounted, self.discountable))


def bursts(client: Any, article_id: int, now: float) -> list[Burst]:
    """The article's bursts, newest first (one or two round trips)."""
    fields: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for field, value in client.hgetall(suspects_key(article_id)).items():
        if isinstance(field, bytes):
            field = field.decode()
        hour, rule, part = field.split(":")
        fields[(int(hour), rule)][part] = int(value)
    if not fields:
        return []
    hours = sorted({hour for hour, _ in fields})
    pipe = client.pipeline(transaction=False)
    for hour in hours:
        pipe.zscore(bucket_key("views", "all", HOURLY.name, hour), article_id)
    counted = dict(zip(hours, pipe.execute(), strict=True))
    kept_from = int(now // HOURLY.seconds) - HOURLY.keep + 1
    out = [
        Burst(
            hour=hour,
            rule=rule,
            held=parts.get("held", 0),
            passed=parts.get("passed", 0),
            discounted=parts.get("disc", 0),
            counted=int(float(counted[hour] or 0)) if hour >= kept_from else None,
        )
        for (hour, rule), parts in fields.items()
    ]
    return sorted(out, key=lambda b: (-b.hour, b.rule))


def most_suspect(client: Any, scope: str, days: Sequence[int], n: int) -> list[tuple[int, int]]:
    """The ``n`` articles of a scope with the most suspect traffic held back over
    ``days`` (UTC day indexes), with that count (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for day in days:
        pipe.zrange(suspect_days_key(scope, day), 0, -1, withscores=True)
    held: Counter[int] = Counter()
    for reply in pipe.execute():
        for member, score in reply:
            held[int(member)] += int(score)
    return sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def find(client: Any, article_id: int, hour: int, rule: str, now: float) -> Burst | None:
    found = bursts(client, article_id, now)
    return next((b for b in found if (b.hour, b.rule) == (hour, rule)), None)


def discount(client: Any, ref: ArticleRef, burst: Burst, views: int, now: float) -> int:
    """Take ``views`` (at most ``burst.discountable``) of the burst's hour out of
    the article's counts everywhere; returns how many were taken."""
    views = max(0, min(views, burst.discountable))
    if not views:
        return 0
    args = [PREFIX, ref.id, ",".join(ref.scopes), burst.hour, views, burst.rule]
    args += [ref.pub_fraction, now]
    taken = scripts(client).discount.run(
        counts_key(ref.id), args, lambda reply: [*args, reply] if int(reply) > 0 else None
    )
    return int(taken)
