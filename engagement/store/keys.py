"""Every Redis key name, and the sizes and lifetimes that shape them.

The Lua scripts build some of these names themselves (Python, not Redis, is
the bottleneck of a request): ``scripts.py`` hands them the same prefix and
every constant below, and ``tests/test_store.py`` checks both sides agree.

Key layout (``{...}`` is the Redis Cluster hash tag):

``eng:{a<id>}:c``            hash: all-time ``views``, ``reactions`` and one field per mood
``eng:{a<id>}:r``            hash: reader -> ``"<mood>|<unix time>"``, their one reaction
``eng:{a<id>}:s:<reader>``   string with a TTL: this reader's view was counted recently
``eng:{a<id>}:u:<day>``      HyperLogLog of the article's readers that UTC day
``eng:{rk}:<metric>:<scope>:<grain>:<n>``  sorted set: article id -> count in bucket n
``eng:{rk}:<metric>:<scope>:total``        sorted set: all-time count per article
``eng:{rk}:pub``             sorted set: article id -> publication fraction (ties)
``eng:{rk}:u:h:<n>`` / ``eng:{rk}:u:d:<n>`` site-wide readers per hour / day (HLL)
``eng:{rk}:u:c<id>:h:<n>`` / ``…:d:<n>``    the same per category (and its subcategories)
``eng:{rk}:st:total`` / ``eng:{rk}:st:h:<n>``  traffic numbers: counted, repeat, bots
``eng:{rk}:st:c<id>:h:<n>``                the same per category, per hour
``eng:{rk}:pending`` / ``eng:{rk}:pending_r``  deltas and reader choices not yet in SQL
``eng:{rk}:pending:<flush>`` …, ``eng:{rk}:flushes``  snapshots a flush moved aside
``eng:{rk}:epoch``           present while Redis holds the same history as SQL
``eng:{rk}:restore-lock``    held by the one process restoring Redis from SQL
``eng:{rk}:co:<id>``         sorted set: other article id -> readers who read both
``eng:{rk}:co:deg``          hash: article id -> co-reads it is part of; ``_all``: their sum
``eng:{rk}:rv:<reader>``     list: the reader's last few counted articles (a day)
``eng:{rk}:w:<window>:<metric>:<scope>``  sorted set: article id -> count in the sliding
                             window (the sum of its buckets, kept by the events)
``eng:{rk}:w:<window>:hot:<scope>:<epoch>``  sorted set: the window's ``hot`` score, scaled
                             by 2^((bucket start - reference) / half-life)
``eng:{rk}:w-state``         hash: per grain the oldest bucket still in its windows and the
                             retirement's place; per window hot's reference time and epoch
``eng:{rk}:w-reg:<grain>:<n>``  set: the ``<metric>:<scope>`` buckets that exist for index n
``eng:{rk}:w-late:<grain>:<n>`` hash: changes to a bucket that has left its window but is
                             not yet subtracted (applied to it once it is)
``eng:{rk}:w-scopes`` / ``w-hot:<window>``  sets: the scopes with window sets / hot sets
``eng:{rk}:w-copy:<window>`` / ``w-drop:<window>``  sets: during a rescale, the scopes left
                             to copy and the articles reset meanwhile
``eng:{rk}:pv:<page view>``  hash: one open page view's attention state (article,
                             reader, last ping, sequence, engaged seconds, depth, …)
``eng:{rk}:now`` / ``…:now:e``  sorted sets: ``<article>:<page view>`` -> last ping /
                             last engaged ping (readers now; older than a minute trimmed)
``eng:{rk}:rm:<minute>``     hash: page views seen that minute, per article and scope
``eng:{rk}:at:<scope>:d:<n>`` hash: a day's attention numbers of a scope or an article
                             (``a<id>``): sources, depth histogram, blocks, clicks
``eng:{rk}:sus:<id>``       hash: the article's suspect bursts, ``<hour>:<rule>:held`` (held
                             back), ``…:passed`` (let through first), ``…:disc`` (discounted)
``eng:{rk}:sus-day:<scope>:<day>``  sorted set: article id -> suspect requests held back that day
``eng:{rk}:l:<client>:<n>/<s>``  string with a TTL: the client's hits (reaction changes,
                             views) in the current fixed window of the limit "n per s seconds"
``eng:{rk}:s:<id>:<reader>`` string with a TTL: the repeat check's twin that a cluster's
                             rankings script keeps (it runs beside the article's)

A metric is ``views``, ``reactions``, ``engaged`` (seconds) or a mood key, or one
of the attention metrics kept for the ``all`` scope only (``ATTENTION_METRICS``);
a scope is ``all`` or ``c<category id>``. Buckets expire, so ranking memory is bounded by traffic in
the longest window, not by the age of the site.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..moods import MOOD_KEYS

PREFIX = "eng"
RANK_TAG = "{rk}"
METRICS: tuple[str, ...] = ("views", "reactions", *MOOD_KEYS, "engaged")
COUNTER_FIELDS: tuple[str, ...] = METRICS
# Traffic-source classes of a page view (ingest/sources.py decides).
SOURCES: tuple[str, ...] = ("search", "social", "aggregator", "internal", "external", "direct")
# Per-article attention sums, bucketed like the rankings but for ``all`` only and
# never written to SQL: the sum of depths (‰), the views that reported one, those
# that reached the end, those followed by another article, and views by source.
ATTENTION_METRICS: tuple[str, ...] = (
    "depth",
    "depthn",
    "through",
    "recirc",
    *(f"src_{s}" for s in SOURCES),
)
# The blocks of ours whose viewable impressions and clicks are counted.
BLOCKS: tuple[str, ...] = ("related", "rankings", "featured", "gallery", "hot", "widget")
# The bounds whose refusals are suspect traffic, by the letter a limit spec and a
# burst record carry (ingest/events.py sets them; lua/limit.lua reads them).
SUSPECT_RULES: dict[str, str] = {
    "a": "address",  # ENGAGEMENT_NEW_READERS_PER_ADDRESS: made-up identities
    "p": "pace",  # ENGAGEMENT_READER_PACE: more articles than a person reads
    "r": "article",  # ENGAGEMENT_REACTIONS_PER_ARTICLE: one client's reactions
}
DAY = 86400
HOUR = 3600
MINUTE = 60


@dataclass(frozen=True)
class Grain:
    """A bucket size and how many buckets are kept."""

    name: str
    seconds: int
    keep: int


# Each window reads one grain; a bucket is at most 1/24 of its window. A bucket is
# kept a while after it leaves its window so that the upkeep can subtract it then.
GRAINS: tuple[Grain, ...] = (
    Grain("m2", 120, 60),  # 1h window: 30 two-minute buckets (+ an hour)
    Grain("h1", HOUR, 24 * 7 + 1),  # 24h window; hourly series for 7 days
    Grain("h6", 6 * HOUR, 32),  # 7d window: 28 six-hour buckets (+ a day)
    Grain("d1", DAY, 32),  # 30d window: 30 daily buckets (+ two days)
)


@dataclass(frozen=True)
class Window:
    """A sliding window: ``count`` buckets of ``grain``; ``hot`` halves every ``half_life``."""

    name: str
    grain: str
    count: int
    half_life: int


# ``all`` is here for ``hot`` only (the last 30 days, half-life a week): all-time
# counts are the ``total`` sets.
WINDOWS: tuple[Window, ...] = (
    Window("1h", "m2", 30, 900),
    Window("24h", "h1", 24, 6 * HOUR),
    Window("7d", "h6", 28, 42 * HOUR),
    Window("30d", "d1", 30, 30 * DAY // 4),
    Window("all", "d1", 30, 7 * DAY),
)
# Every metric of METRICS has windows; hot adds up these, with these weights.
HOT_WEIGHTS: dict[str, int] = {"views": 1, "reactions": 5}
HOT_SCALE = 1000  # hot is kept ×1000: the publication fraction breaks ties below that
# Hot's reference time moves forward (its sets are rescaled) when the newest
# bucket's weight reaches 2^RESCALE_AT: doubles stay far from overflow.
RESCALE_AT = 256
# Members a retirement or rescale step handles per script call. A step's cost
# grows a little with the sets (a ZINCRBY on a 1M-member set is ~10 µs here):
# 200 took up to 6.4 ms at 1M articles on a slow hour of this machine, 100 keeps
# each call near 3 ms at most (bench/bench_rankings_scale.py).
WINDOW_SLICE = 100

# The attention sums serve the 24h, 7d, 30d and all-time windows (stats.json):
# the two-minute grain of the 1h rankings is not kept for them.
ATTENTION_GRAINS: tuple[Grain, ...] = tuple(g for g in GRAINS if g.name != "m2")

# How long the rest lives (handed to the scripts as these names).
LIFETIMES: dict[str, int] = {
    "STATS_HOURS": 24 * 31,  # hourly traffic numbers: a month and a day
    "READERS_DAYS": 32,  # daily unique-reader estimates
    "READERS_HOURS": 24 * 7 + 2,  # hourly ones: the 7-day chart
    "COVIEW_SECONDS": 30 * DAY,  # a pair's co-reads, from its last co-read
    "COVIEW_KEEP": 100,  # an article's strongest co-read pairs kept
    "RECENT_SECONDS": DAY,  # a reader's recent articles: pairs within a day
    "RECENT_KEEP": 5,  # how many of them pair with the next view
    "PAGEVIEW_SECONDS": 1800,  # a page view's attention state, from its last ping
    "VIEW_DELAY": 1,  # the script's beacon waits 1 s visible: the first ping may cover it
    "PING_MAX": 30,  # engaged seconds one ping may credit
    "PING_SLACK": 10,  # seconds a ping may claim beyond the time since the last (jitter)
    "PAGEVIEW_MAX": 1800,  # engaged seconds one page view may collect
    "NOW_SECONDS": 30,  # readers now: last ping younger than this
    "NOW_KEEP": 60,  # page views trimmed from the readers-now sets after this
    "MINUTES_KEEP": 31,  # minute-by-minute readers kept (minutes)
    "ATTENTION_DAYS": 32,  # daily attention hashes
    "DEPTH_SCALE": 1000,  # depth is sent and kept in thousandths
}


def rank_prefix() -> str:
    return f"{PREFIX}:{RANK_TAG}:"


def article_tag(article_id: int) -> str:
    return f"{PREFIX}:{{a{article_id}}}:"


def counts_key(article_id: int) -> str:
    return article_tag(article_id) + "c"


def readers_key(article_id: int) -> str:
    return article_tag(article_id) + "r"


def bucket_key(metric: str, scope: str, grain: str, index: int) -> str:
    return f"{rank_prefix()}{metric}:{scope}:{grain}:{index}"


def total_key(metric: str, scope: str) -> str:
    return f"{rank_prefix()}{metric}:{scope}:total"


def _scoped(scope: str) -> str:
    return "" if scope == "all" else f"{scope}:"


def site_uniques_key(kind: str, index: int, scope: str = "all") -> str:
    """kind is ``h`` (hour) or ``d`` (day); scope ``all`` or ``c<category id>``."""
    return f"{rank_prefix()}u:{_scoped(scope)}{kind}:{index}"


def stats_key(hour: int | None = None, scope: str = "all") -> str:
    if hour is None:
        return f"{rank_prefix()}st:total"
    return f"{rank_prefix()}st:{_scoped(scope)}h:{hour}"


def pending_key() -> str:
    return rank_prefix() + "pending"


def pending_readers_key() -> str:
    return rank_prefix() + "pending_r"


def flushes_key() -> str:
    return rank_prefix() + "flushes"


def snapshot_keys(flush_id: str) -> tuple[str, str]:
    return f"{pending_key()}:{flush_id}", f"{pending_readers_key()}:{flush_id}"


def epoch_key() -> str:
    return rank_prefix() + "epoch"


def restore_lock_key() -> str:
    return rank_prefix() + "restore-lock"


def pub_key() -> str:
    """Sorted set: article id -> publication fraction, for tie-breaking."""
    return rank_prefix() + "pub"


def coview_key(article_id: int) -> str:
    return f"{rank_prefix()}co:{article_id}"


def coview_degrees_key() -> str:
    return rank_prefix() + "co:deg"


def pageview_key(page_view: str) -> str:
    return f"{rank_prefix()}pv:{page_view}"


def readers_now_key(engaged: bool = False) -> str:
    return rank_prefix() + ("now:e" if engaged else "now")


def minute_readers_key(minute: int) -> str:
    return f"{rank_prefix()}rm:{minute}"


def attention_key(scope: str, day: int) -> str:
    """A day's attention hash of a scope (``all``, ``c<id>``) or an article (``a<id>``)."""
    return f"{rank_prefix()}at:{scope}:d:{day}"


def suspects_key(article_id: int) -> str:
    """The article's suspect bursts (``lua/lib.lua``'s ``suspect``)."""
    return f"{rank_prefix()}sus:{article_id}"


def suspect_days_key(scope: str, day: int) -> str:
    """A scope's articles by suspect traffic held back on one UTC day."""
    return f"{rank_prefix()}sus-day:{scope}:{day}"


def limit_key(client: str, amount: int, seconds: int) -> str:
    """A client's hit counter for the limit "``amount`` per ``seconds``" (under the
    rankings tag: on a cluster the view's rankings script counts them itself)."""
    return f"{rank_prefix()}l:{client}:{amount}/{seconds}"


def seen_key(article_id: int, reader: str) -> str:
    """This reader's view of the article was counted recently (the repeat check)."""
    return f"{article_tag(article_id)}s:{reader}"


# Sliding windows (``lua/windows.lua`` keeps them, rankings/core.py reads them).


def window_key(window: str, metric: str, scope: str) -> str:
    return f"{rank_prefix()}w:{window}:{metric}:{scope}"


def hot_key(window: str, scope: str, epoch: int) -> str:
    return f"{rank_prefix()}w:{window}:hot:{scope}:{epoch}"


def window_state_key() -> str:
    return rank_prefix() + "w-state"
