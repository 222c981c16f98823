"""Every Redis key and command of the engagement core lives here.

Key layout (``{...}`` is the Redis Cluster hash tag):

``eng:{a<id>}:c``            hash: all-time ``views``, ``reactions`` and one field per mood
``eng:{a<id>}:r``            hash: reader -> ``"<mood>|<unix time>"``, their one reaction
``eng:{a<id>}:s:<reader>``   string with a TTL: this reader's view was counted recently
``eng:{a<id>}:u:<day>``      HyperLogLog of the article's readers that UTC day
``eng:{rk}:<metric>:<scope>:<grain>:<n>``  sorted set: article id -> count in bucket n
``eng:{rk}:<metric>:<scope>:total``        sorted set: all-time count per article
``eng:{rk}:u:h:<n>`` / ``eng:{rk}:u:d:<n>`` site-wide readers per hour / day (HLL)
``eng:{rk}:u:c<id>:h:<n>`` / ``…:d:<n>``    the same per category (and its subcategories)
``eng:{rk}:st:total`` / ``eng:{rk}:st:h:<n>``  traffic numbers: counted, repeat, bots
``eng:{rk}:st:c<id>:h:<n>``                the same per category, per hour
``eng:{rk}:pending`` / ``eng:{rk}:pending_r``  deltas and reader choices not yet in SQL
``eng:{rk}:epoch``           present while Redis holds the same history as SQL
``eng:{rk}:co:<id>``         sorted set: other article id -> readers who read both
``eng:{rk}:co:deg``          hash: article id -> co-reads it is part of; ``_all``: their sum
``eng:{rk}:rv:<reader>``     list: the reader's last few counted articles (a day)
``eng:{l<client>}:<n>/<s>``  string with a TTL: the client's reaction changes in the
                             current fixed window of the limit "n per s seconds"

A metric is ``views``, ``reactions`` or a mood key; a scope is ``all`` or
``c<category id>``. Buckets expire, so ranking memory is bounded by traffic in
the longest window, not by the age of the site.

On one Redis server a view or a reaction change is one Lua script, so it is
atomic and costs one round trip. The scripts build bucket key names themselves:
Python, not Redis, is the bottleneck of a request. Every key carries either
the ``{rk}`` tag or the article's own, and each script is written as an article
half and a rankings half: on Redis Cluster, where one script may touch only one
slot, the halves run as two scripts (two round trips; a crash between them can
leave an article's own count one ahead of its ranking buckets).

The reaction limit (``ENGAGEMENT_RATELIMIT_REACTIONS``, a Flask-Limiter string)
is counted by the reaction script itself, with Flask-Limiter's fixed-window
rule: as a separate Flask-Limiter check it cost a second round trip and about
200 µs of Python per reaction. On a cluster the limit keys live in the client's
own slot, so there it is a small script of its own before the reaction.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..moods import MOOD_KEYS
from .redis_client import lane

PREFIX = "eng"
RANK_TAG = "{rk}"
METRICS: tuple[str, ...] = ("views", "reactions", *MOOD_KEYS)
COUNTER_FIELDS: tuple[str, ...] = METRICS
DAY = 86400
HOUR = 3600


@dataclass(frozen=True)
class Grain:
    """A bucket size and how many buckets are kept."""

    name: str
    seconds: int
    keep: int


# Each window reads one grain; a bucket is at most 1/24 of its window.
GRAINS: tuple[Grain, ...] = (
    Grain("m2", 120, 31),  # 1h window: 30 two-minute buckets
    Grain("h1", HOUR, 24 * 7 + 1),  # 24h window; hourly series for 7 days
    Grain("h6", 6 * HOUR, 29),  # 7d window: 28 six-hour buckets
    Grain("d1", DAY, 31),  # 30d window: 30 daily buckets
)


PUB_EPOCH = 946684800  # 2000-01-01T00:00:00Z
PUB_SCALE = 2**27  # minutes: about 255 years fit below 1.0


def pub_fraction(published_ts: float) -> float:
    """Publication time as a fraction in [0, 1), minute resolution.

    Added once to an article's all-time scores and, at ranking refresh, to
    windowed ones: equal counts then order the newest article first, and
    ``floor(score)`` is still the count (exact below 2**26).
    """
    minutes = max(0.0, (published_ts - PUB_EPOCH) // 60)
    return min(minutes / PUB_SCALE, 1 - 2**-27)


@dataclass(frozen=True)
class ArticleRef:
    """What a counter call needs to know about an article."""

    id: int
    slug: str
    scopes: tuple[str, ...]  # "all" and "c<id>" for its category and every parent
    published_ts: float

    @property
    def pub_fraction(self) -> float:
        return pub_fraction(self.published_ts)


# --- key builders -----------------------------------------------------------


def article_tag(article_id: int) -> str:
    return f"{PREFIX}:{{a{article_id}}}:"


def counts_key(article_id: int) -> str:
    return article_tag(article_id) + "c"


def readers_key(article_id: int) -> str:
    return article_tag(article_id) + "r"


def seen_key(article_id: int, reader: str) -> str:
    return article_tag(article_id) + "s:" + reader


def article_uniques_key(article_id: int, day: int) -> str:
    return f"{article_tag(article_id)}u:{day}"


def rank_prefix() -> str:
    return f"{PREFIX}:{RANK_TAG}:"


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


def pub_key() -> str:
    """Sorted set: article id -> publication fraction, for tie-breaking."""
    return rank_prefix() + "pub"


def coview_key(article_id: int) -> str:
    return f"{rank_prefix()}co:{article_id}"


def coview_degrees_key() -> str:
    return rank_prefix() + "co:deg"


def coviews(client: Any, article_ids: Sequence[int], n: int) -> dict[int, list[tuple[int, int]]]:
    """Each article's ``n`` most co-read articles with their counts (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for article_id in article_ids:
        pipe.zrange(coview_key(article_id), 0, n - 1, desc=True, withscores=True)
    return {
        article_id: [(int(other), int(count)) for other, count in reply]
        for article_id, reply in zip(article_ids, pipe.execute(), strict=True)
    }


def coview_degrees(client: Any, article_ids: Iterable[int]) -> tuple[dict[int, int], int]:
    """Co-reads each article takes part in, and the site's total (one round trip)."""
    ids = sorted(set(article_ids))
    values = client.hmget(coview_degrees_key(), ["_all", *ids])
    degrees = {a: int(v or 0) for a, v in zip(ids, values[1:], strict=True)}
    return degrees, int(values[0] or 0)


def limit_key(client: str, amount: int, seconds: int) -> str:
    """A client's hit counter for the limit "``amount`` per ``seconds``"."""
    return f"{PREFIX}:{{l{client}}}:{amount}/{seconds}"


def epoch_key() -> str:
    return rank_prefix() + "epoch"


def snapshot_keys(flush_id: str) -> tuple[str, str]:
    return f"{pending_key()}:{flush_id}", f"{pending_readers_key()}:{flush_id}"


# --- Lua --------------------------------------------------------------------
#
# An operation that touches an article's keys and ranking keys is written as
# two Lua functions, its article half and its rankings half. On one server both
# run in one script (atomic, one round trip). On Redis Cluster a script may only
# touch one slot, so each half runs as its own script on its own slot: the
# article half first, then the rankings half with what the first returned.

# Shared by the scripts: apply a signed change of one metric at time ``ts`` to
# every grain's bucket, the all-time sorted sets and the pending SQL delta.
_LUA_LIB = """
local P = ARGV[1]
local RK = P .. ':{rk}:'
local GRAINS = {{'m2', 120, 31}, {'h1', 3600, 169}, {'h6', 21600, 29}, {'d1', 86400, 31}}

local function split(s, sep)
  local out = {}
  for part in string.gmatch(s, '([^' .. sep .. ']+)') do out[#out + 1] = part end
  return out
end

local function article_prefix(id)
  return P .. ':{a' .. id .. '}:'
end

local function bump(id, metric, scopes, ts, delta, frac)
  for _, g in ipairs(GRAINS) do
    local n = math.floor(ts / g[2])
    local expires = (n + g[3] + 1) * g[2]
    for _, scope in ipairs(scopes) do
      local key = RK .. metric .. ':' .. scope .. ':' .. g[1] .. ':' .. n
      local score = tonumber(redis.call('ZINCRBY', key, delta, id))
      if score <= 0 then
        redis.call('ZREM', key, id)
      elseif score == delta then
        -- A member's first count: the key may be new. Otherwise it existed
        -- already and got its (fixed) expiry when that member arrived.
        redis.call('EXPIREAT', key, expires)
      end
    end
  end
  -- All-time scores carry the publication fraction (see pub_fraction) so that
  -- equal counts rank the most recently published first.
  for _, scope in ipairs(scopes) do
    local key = RK .. metric .. ':' .. scope .. ':total'
    redis.call('ZADD', key, 'NX', frac, id)
    if tonumber(redis.call('ZINCRBY', key, delta, id)) < 0.5 then
      redis.call('ZREM', key, id)
    end
  end
  local field = id .. ':' .. math.floor(ts / 86400) .. ':' .. metric
  redis.call('HINCRBY', RK .. 'pending', field, delta)
end

-- Traffic numbers per hour: the site's (``st:h:<n>``, and all-time) and each
-- category's above the article (``st:c<id>:h:<n>``) for the dashboard's filter.
local function stat(now, field, scopes)
  local hour = math.floor(now / 3600)
  redis.call('HINCRBY', RK .. 'st:total', field, 1)
  for _, scope in ipairs(scopes) do
    local key = RK .. 'st:' .. (scope == 'all' and '' or scope .. ':') .. 'h:' .. hour
    if redis.call('HINCRBY', key, field, 1) == 1 then
      redis.call('EXPIREAT', key, (hour + 24 * 31) * 3600)
    end
  end
end

-- Distinct readers per hour and per day, of the site and of each category.
local function uniques(reader, now, scopes)
  local day, hour = math.floor(now / 86400), math.floor(now / 3600)
  for _, scope in ipairs(scopes) do
    local base = RK .. 'u:' .. (scope == 'all' and '' or scope .. ':')
    if redis.call('PFADD', base .. 'd:' .. day, reader) == 1 then
      redis.call('EXPIREAT', base .. 'd:' .. day, (day + 32) * 86400)
    end
    if redis.call('PFADD', base .. 'h:' .. hour, reader) == 1 then
      redis.call('EXPIREAT', base .. 'h:' .. hour, (hour + 170) * 3600)
    end
  end
end
"""


# Fixed windows, as Flask-Limiter's "fixed-window" strategy keeps them: the first
# hit starts the window and sets its expiry; hits over the amount are refused
# (and still counted). KEYS[first...] are the windows' keys and ``spec`` lists
# "amount:seconds" for each. Returns the seconds until every window allows
# again, or 0 when this hit is allowed.
_LUA_LIMIT = """
local function limited(first, spec)
  local wait, i = 0, first
  for amount, seconds in string.gmatch(spec, '(%d+):(%d+)') do
    local hits = redis.call('INCR', KEYS[i])
    if hits == 1 then redis.call('EXPIRE', KEYS[i], seconds) end
    if hits > tonumber(amount) then
      wait = math.max(wait, redis.call('TTL', KEYS[i]), 1)
    end
    i = i + 1
  end
  return wait
end
"""


@dataclass(frozen=True)
class _Halves:
    """The Lua of one operation: its two halves and how each is invoked."""

    article: str  # defines the article half's function
    rank: str  # defines the rankings half's function
    whole: str  # body of the one-server script
    article_only: str  # body of the cluster article script
    rank_only: str  # body of the cluster rankings script
    whole_lib: str = ""  # what only the one-server script needs

    def sources(self) -> tuple[str, str, str]:
        return (
            _LUA_LIB + self.whole_lib + self.article + self.rank + self.whole,
            _LUA_LIB + self.article + self.article_only,
            _LUA_LIB + self.rank + self.rank_only,
        )


# ARGV: prefix, article id, reader, now, view window, scopes (comma separated),
#       publication fraction; the cluster rankings script gets ``counted`` too.
_VIEW = _Halves(
    article="""
-- The time of the last counted view is compared with ``now`` (not left to the
-- TTL alone) so that an injected clock is honoured; the TTL bounds memory.
local function view_article()
  local id, reader, now, window = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
  local A = article_prefix(id)
  local seen = A .. 's:' .. reader
  local last = redis.call('GET', seen)
  if last and now - tonumber(last) < window then
    return 0, tonumber(redis.call('HGET', A .. 'c', 'views') or '0')
  end
  redis.call('SET', seen, ARGV[4], 'EX', window)
  local day = math.floor(now / 86400)
  -- PFADD answers 1 whenever it creates the key, so the expiry is set then.
  if redis.call('PFADD', A .. 'u:' .. day, reader) == 1 then
    redis.call('EXPIREAT', A .. 'u:' .. day, (day + 32) * 86400)
  end
  return 1, redis.call('HINCRBY', A .. 'c', 'views', 1)
end
""",
    rank="""
local function view_rank(counted)
  local id, reader, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
  local scopes = split(ARGV[6], ',')
  if counted == 0 then
    stat(now, 'views_repeat', scopes)
    return
  end
  uniques(reader, now, scopes)
  redis.call('ZADD', RK .. 'pub', ARGV[7], id)
  bump(id, 'views', scopes, now, 1, ARGV[7])
  -- Co-views: this article and each of the reader's last few, read by one more reader.
  local recent = RK .. 'rv:' .. reader
  for _, other in ipairs(redis.call('LRANGE', recent, 0, 4)) do
    if other ~= id then
      for _, pair in ipairs({{id, other}, {other, id}}) do
        local key = RK .. 'co:' .. pair[1]
        redis.call('ZINCRBY', key, 1, pair[2])
        redis.call('ZREMRANGEBYRANK', key, 0, -101)
        redis.call('EXPIRE', key, 30 * 86400)
        -- How many co-reads each article takes part in, and all of them: what
        -- "read anyway" is measured against (related/coviews.py).
        redis.call('HINCRBY', RK .. 'co:deg', pair[1], 1)
        redis.call('HINCRBY', RK .. 'co:deg', '_all', 1)
      end
    end
  end
  redis.call('LREM', recent, 0, id)
  redis.call('LPUSH', recent, id)
  redis.call('LTRIM', recent, 0, 4)
  redis.call('EXPIRE', recent, 86400)
  stat(now, 'views_counted', scopes)
end
""",
    whole="""
local counted, views = view_article()
view_rank(counted)
return {counted, views}
""",
    article_only="""
local counted, views = view_article()
return {counted, views}
""",
    rank_only="""
view_rank(tonumber(ARGV[8]))
return 1
""",
)

# KEYS: the article's counts, then the client's limit windows (one server only).
# ARGV: prefix, article id, reader, now, scopes, mood ('' removes), toggle ('1'/'0'),
#       publication fraction, limit spec (see _LUA_LIMIT), then the mood keys in
#       display order (the cluster rankings script gets changed, mood, old mood,
#       old time instead of the spec and moods).
# Returns {changed, mine, old mood, old time, count per mood...}, or {-1, wait}
# when a limit refuses the change.
_REACT = _Halves(
    article="""
local function react_article()
  local reader, mood, toggle = ARGV[3], ARGV[6], ARGV[7] == '1'
  local A = article_prefix(ARGV[2])
  local current = redis.call('HGET', A .. 'r', reader)
  local old, old_ts = false, false
  if current then
    local parts = split(current, '|')
    old, old_ts = parts[1], parts[2]
  end
  if toggle and old == mood then mood = '' end
  if (mood == '' and not old) or mood == old then return 0, mood, old, old_ts end
  if old then
    redis.call('HINCRBY', A .. 'c', old, -1)
    redis.call('HINCRBY', A .. 'c', 'reactions', -1)
  end
  if mood ~= '' then
    redis.call('HSET', A .. 'r', reader, mood .. '|' .. ARGV[4])
    redis.call('HINCRBY', A .. 'c', mood, 1)
    redis.call('HINCRBY', A .. 'c', 'reactions', 1)
  else
    redis.call('HDEL', A .. 'r', reader)
  end
  return 1, mood, old, old_ts
end

local function react_reply(changed, mood, old, old_ts)
  local A = article_prefix(ARGV[2])
  local out = {changed, mood ~= '' and mood or false, old, old_ts}
  for i = 10, #ARGV do
    out[#out + 1] = tonumber(redis.call('HGET', A .. 'c', ARGV[i]) or '0')
  end
  return out
end
""",
    rank="""
local function react_rank(changed, mood, old, old_ts)
  if changed == 0 then return end
  local id, reader, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
  local scopes, frac = split(ARGV[5], ','), ARGV[8]
  if old then
    bump(id, old, scopes, tonumber(old_ts), -1, frac)
    bump(id, 'reactions', scopes, tonumber(old_ts), -1, frac)
  end
  if mood ~= '' then
    redis.call('ZADD', RK .. 'pub', frac, id)
    bump(id, mood, scopes, now, 1, frac)
    bump(id, 'reactions', scopes, now, 1, frac)
    redis.call('HSET', RK .. 'pending_r', id .. ':' .. reader, mood .. '|' .. ARGV[4])
    stat(now, 'r_' .. mood, scopes)
  else
    redis.call('HSET', RK .. 'pending_r', id .. ':' .. reader, '-')
  end
  stat(now, 'reactions_changed', scopes)
end
""",
    whole="""
local wait = limited(2, ARGV[9])
if wait > 0 then return {-1, wait} end
local changed, mood, old, old_ts = react_article()
react_rank(changed, mood, old, old_ts)
return react_reply(changed, mood, old, old_ts)
""",
    article_only="""
return react_reply(react_article())
""",
    rank_only="""
react_rank(tonumber(ARGV[9]), ARGV[10], ARGV[11] ~= '' and ARGV[11], ARGV[12])
return 1
""",
    whole_lib=_LUA_LIMIT,
)

# KEYS: pending, pending_r, flushes, epoch.  ARGV: flush id.
# Moves the pending deltas aside under a fresh name, atomically, so increments
# that arrive while SQL is being written land in a new pending hash.
_LUA_SNAPSHOT = """
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
local moved = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[1] .. ':' .. ARGV[1]); moved = 1
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[2] .. ':' .. ARGV[1]); moved = 1
end
if moved == 1 then redis.call('SADD', KEYS[3], ARGV[1]) end
return moved
"""

# ARGV: prefix, article id, scopes, publication fraction, then field/value pairs of
# SQL totals, then '--', then (day, metric, count) triples of recent daily history.
# Adds the durable past onto whatever Redis counted since it lost its data;
# the ``_base`` field makes a second run for the same article a no-op.
_RESTORE_COUNTS = _Halves(
    article="""
local function restore_counts_article()
  local A = article_prefix(ARGV[2])
  if redis.call('HSETNX', A .. 'c', '_base', '1') == 0 then return 0 end
  local i = 5
  while ARGV[i] ~= '--' do
    local value = tonumber(ARGV[i + 1])
    if value ~= 0 then redis.call('HINCRBY', A .. 'c', ARGV[i], value) end
    i = i + 2
  end
  return 1
end
""",
    rank="""
local function restore_counts_rank()
  local id, scopes, frac = ARGV[2], split(ARGV[3], ','), ARGV[4]
  redis.call('ZADD', RK .. 'pub', frac, id)
  local i = 5
  while ARGV[i] ~= '--' do
    local field, value = ARGV[i], tonumber(ARGV[i + 1])
    if value ~= 0 then
      for _, scope in ipairs(scopes) do
        local key = RK .. field .. ':' .. scope .. ':total'
        redis.call('ZADD', key, 'NX', frac, id)
        redis.call('ZINCRBY', key, value, id)
      end
    end
    i = i + 2
  end
  i = i + 1
  while i <= #ARGV do
    local day, metric, value = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2])
    for _, scope in ipairs(scopes) do
      local key = RK .. metric .. ':' .. scope .. ':d1:' .. day
      redis.call('ZINCRBY', key, value, id)
      redis.call('EXPIREAT', key, (day + 32) * 86400)
    end
    i = i + 3
  end
end
""",
    whole="""
if restore_counts_article() == 0 then return 0 end
restore_counts_rank()
return 1
""",
    article_only="""
return restore_counts_article()
""",
    rank_only="""
restore_counts_rank()
return 1
""",
)

# ARGV: prefix, article id, scopes, publication fraction, then (reader, mood, unix
# time) triples from SQL (the cluster rankings script gets (mood, time) pairs
# to take off instead).
# A reader with no reaction in Redis gets the SQL one back. A reader who reacted
# again after the loss keeps the newer choice, and the SQL one, already added
# by the counts restore, is taken off again (marked ``|r`` so a re-run does not).
_RESTORE_READERS = _Halves(
    article="""
local function restore_readers_article()
  local A = article_prefix(ARGV[2])
  local restored, undo = 0, {}
  for i = 5, #ARGV, 3 do
    local reader, mood = ARGV[i], ARGV[i + 1]
    local value = mood .. '|' .. ARGV[i + 2]
    local current = redis.call('HGET', A .. 'r', reader)
    if not current then
      redis.call('HSET', A .. 'r', reader, value)
      restored = restored + 1
    elseif current ~= value and not string.find(current, '|r$') then
      redis.call('HINCRBY', A .. 'c', mood, -1)
      redis.call('HINCRBY', A .. 'c', 'reactions', -1)
      redis.call('HSET', A .. 'r', reader, current .. '|r')
      undo[#undo + 1] = mood
      undo[#undo + 1] = ARGV[i + 2]
    end
  end
  return restored, undo
end
""",
    rank="""
local function restore_readers_rank(undo)
  local id, scopes, frac = ARGV[2], split(ARGV[3], ','), ARGV[4]
  for i = 1, #undo, 2 do
    bump(id, undo[i], scopes, tonumber(undo[i + 1]), -1, frac)
    bump(id, 'reactions', scopes, tonumber(undo[i + 1]), -1, frac)
  end
end
""",
    whole="""
local restored, undo = restore_readers_article()
restore_readers_rank(undo)
return {restored, undo}
""",
    article_only="""
local restored, undo = restore_readers_article()
return {restored, undo}
""",
    rank_only="""
local undo = {}
for i = 5, #ARGV do undo[#undo + 1] = ARGV[i] end
restore_readers_rank(undo)
return 1
""",
)

# ARGV: prefix, article id, scopes, now, then the metric names.
# Takes an article out of every counter, bucket and pending delta (after a bot
# attack, say); the caller clears its SQL record in the same breath.
_RESET = _Halves(
    article="""
local function reset_article()
  local A = article_prefix(ARGV[2])
  redis.call('DEL', A .. 'c', A .. 'r')
end
""",
    rank="""
local function reset_rank()
  local id, scopes, now = ARGV[2], split(ARGV[3], ','), tonumber(ARGV[4])
  for m = 5, #ARGV do
    for _, scope in ipairs(scopes) do
      redis.call('ZREM', RK .. ARGV[m] .. ':' .. scope .. ':total', id)
      for _, g in ipairs(GRAINS) do
        local current = math.floor(now / g[2])
        for n = current - g[3], current do
          redis.call('ZREM', RK .. ARGV[m] .. ':' .. scope .. ':' .. g[1] .. ':' .. n, id)
        end
      end
    end
  end
  for _, key in ipairs({RK .. 'pending', RK .. 'pending_r'}) do
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if string.sub(field, 1, #id + 1) == id .. ':' then redis.call('HDEL', key, field) end
    end
  end
end
""",
    whole="""
reset_article()
reset_rank()
return 1
""",
    article_only="""
reset_article()
return 1
""",
    rank_only="""
reset_rank()
return 1
""",
)


def is_cluster(client: Any) -> bool:
    from redis.cluster import RedisCluster

    return isinstance(client, RedisCluster)


class _Split:
    """One operation's scripts; ``run`` picks one trip or two by deployment.

    ``rank_args`` turns the article half's reply into the ARGV of the rankings
    half, or None when the rankings half has nothing to do.
    """

    def __init__(self, client: Any, halves: _Halves) -> None:
        whole, article, rank = halves.sources()
        self.cluster = is_cluster(client)
        self.lane = lane(client)
        self.whole = client.register_script(whole)
        self.article = client.register_script(article)
        self.rank = client.register_script(rank)

    def run(
        self,
        article_key: str,
        args: Sequence[Any],
        rank_args: Callable[[Any], Sequence[Any] | None],
        pipe: Any = None,
        extra_keys: Sequence[str] = (),
    ) -> Any:
        """The reply of the article half (the whole script's, on one server).

        ``extra_keys`` follow the article's key in the one-server script's KEYS.
        """
        if not self.cluster:
            keys = [article_key, *extra_keys]
            if pipe is None and self.lane is not None:
                return self.lane.run_script(self.whole, keys, args)
            return self.whole(keys=keys, args=args, client=pipe)
        assert not extra_keys, "a cluster script cannot reach keys of other slots"
        # Scripts cannot be queued on a cluster pipeline: both halves run now.
        reply = self.article(keys=[article_key], args=args)
        rank = rank_args(reply)
        if rank is not None:
            self.rank(keys=[pub_key()], args=rank)
        return reply


class Scripts:
    """The registered scripts of one Redis client (EVALSHA with EVAL fallback)."""

    def __init__(self, client: Any) -> None:
        self.view = _Split(client, _VIEW)
        self.react = _Split(client, _REACT)
        self.restore_counts = _Split(client, _RESTORE_COUNTS)
        self.restore_readers = _Split(client, _RESTORE_READERS)
        self.reset = _Split(client, _RESET)
        self.snapshot = client.register_script(_LUA_SNAPSHOT)
        self.limit = client.register_script(_LUA_LIMIT + "return limited(1, ARGV[1])")


_scripts: weakref.WeakKeyDictionary[Any, Scripts] = weakref.WeakKeyDictionary()


def scripts(client: Any) -> Scripts:
    found = _scripts.get(client)
    if found is None:
        found = _scripts[client] = Scripts(client)
    return found


# --- operations ---------------------------------------------------------------


@dataclass(frozen=True)
class ViewResult:
    counted: bool
    views: int


@dataclass(frozen=True)
class RateLimit:
    """A client's reaction limit: its hashed identity and (amount, seconds) windows."""

    client: str
    windows: tuple[tuple[int, int], ...]

    @property
    def keys(self) -> list[str]:
        return [limit_key(self.client, amount, seconds) for amount, seconds in self.windows]

    @property
    def spec(self) -> str:
        return ",".join(f"{amount}:{seconds}" for amount, seconds in self.windows)


class RateLimited(Exception):
    """A limit window is full; ``retry_after`` seconds until all allow again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


def hit_limit(client: Any, limit: RateLimit) -> int:
    """Count one hit in each window (one round trip); seconds to wait, 0 if allowed."""
    if not limit.windows:
        return 0
    return int(scripts(client).limit(keys=limit.keys, args=[limit.spec]))


@dataclass(frozen=True)
class ReactionState:
    counts: dict[str, int]
    mine: str | None
    changed: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def queue_view(
    client: Any, ref: ArticleRef, reader: str, now: float, window: int, pipe: Any = None
) -> Any:
    """Run (or, given a pipeline, queue) the view script; returns its raw reply."""
    args = [PREFIX, ref.id, reader, now, window, ",".join(ref.scopes), ref.pub_fraction]
    return scripts(client).view.run(
        counts_key(ref.id), args, lambda reply: [*args, reply[0]], pipe=pipe
    )


def queue_reaction(
    client: Any,
    ref: ArticleRef,
    reader: str,
    mood: str | None,
    now: float,
    toggle: bool = False,
    pipe: Any = None,
    limit: RateLimit | None = None,
) -> Any:
    """Run (or, given a pipeline, queue) the reaction script; returns its raw reply.

    With ``limit`` the change counts against it first, in the same script on
    one server; a full window makes the reply ``[-1, seconds to wait]``.
    """
    args = [
        PREFIX,
        ref.id,
        reader,
        now,
        ",".join(ref.scopes),
        mood or "",
        "1" if toggle else "0",
        ref.pub_fraction,
    ]
    react = scripts(client).react
    limit_keys: list[str] = []
    spec = ""
    if limit is not None and limit.windows:
        if react.cluster:
            wait = hit_limit(client, limit)
            if wait:
                return [-1, wait]
        else:
            limit_keys, spec = limit.keys, limit.spec

    def rank_args(reply: list[Any]) -> list[Any] | None:
        changed, mine, old, old_ts = reply[:4]
        return [*args, changed, mine or "", old or "", old_ts or ""] if changed else None

    return react.run(
        counts_key(ref.id),
        [*args, spec, *MOOD_KEYS],
        rank_args,
        pipe=pipe,
        extra_keys=limit_keys,
    )


def record_view(client: Any, ref: ArticleRef, reader: str, now: float, window: int) -> ViewResult:
    """Count one view unless this reader was counted within ``window`` seconds."""
    counted, views = queue_view(client, ref, reader, now, window)
    return ViewResult(counted=bool(counted), views=int(views))


def set_reaction(
    client: Any,
    ref: ArticleRef,
    reader: str,
    mood: str | None,
    now: float,
    toggle: bool = False,
    limit: RateLimit | None = None,
) -> ReactionState:
    """Set (or with ``mood=None`` remove) the reader's one reaction; atomic.

    Raises :class:`RateLimited` (and changes nothing) when ``limit`` is full.
    """
    reply = queue_reaction(client, ref, reader, mood, now, toggle, limit=limit)
    if reply[0] == -1:
        raise RateLimited(int(reply[1]))
    changed, mine, _old, _old_ts, *counts = reply
    return ReactionState(
        counts=dict(zip(MOOD_KEYS, (int(c) for c in counts), strict=True)),
        mine=mine or None,
        changed=bool(changed),
    )


def reaction_state(client: Any, article_id: int, reader: str | None) -> ReactionState:
    """Counts and the reader's own mood, in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.hmget(counts_key(article_id), list(MOOD_KEYS))
    if reader:
        pipe.hget(readers_key(article_id), reader)
    replies = pipe.execute()
    counts = {k: int(v or 0) for k, v in zip(MOOD_KEYS, replies[0], strict=True)}
    mine = replies[1].split("|")[0] if reader and replies[1] else None
    return ReactionState(counts=counts, mine=mine)


def article_counts(client: Any, article_id: int) -> dict[str, int]:
    values = client.hmget(counts_key(article_id), list(COUNTER_FIELDS))
    return {k: int(v or 0) for k, v in zip(COUNTER_FIELDS, values, strict=True)}


def queue_dropped(pipe: Any, kind: str, now: float, scopes: Sequence[str] = ("all",)) -> None:
    """Queue the counting of one dropped request on a pipeline, for the site and
    each of the article's categories."""
    hour = math.floor(now / HOUR)
    pipe.hincrby(stats_key(), kind, 1)
    for scope in scopes:
        pipe.hincrby(stats_key(hour, scope), kind, 1)
        pipe.expireat(stats_key(hour, scope), (hour + 24 * 31) * HOUR)


def record_dropped(client: Any, kind: str, now: float, ref: ArticleRef) -> int:
    """Count traffic we refused to count (``views_bot``, ``reactions_bot``).

    Returns the article's all-time views, read in the same round trip.
    """
    pipe = client.pipeline(transaction=False)
    queue_dropped(pipe, kind, now, ref.scopes)
    pipe.hget(counts_key(ref.id), "views")
    return int(pipe.execute()[-1] or 0)


def traffic_stats(client: Any, hours: Iterable[int] | None = None) -> dict[str, int]:
    """Traffic numbers, all-time or summed over the given hour indexes."""
    if hours is None:
        return {k: int(v) for k, v in client.hgetall(stats_key()).items()}
    totals: dict[str, int] = {}
    for hour in hourly_stats(client, list(hours)):
        for k, v in hour.items():
            totals[k] = totals.get(k, 0) + v
    return totals


def reset_article(client: Any, ref: ArticleRef, now: float) -> None:
    """Zero an article's counts everywhere in Redis (see the reset script)."""
    args = [PREFIX, ref.id, ",".join(ref.scopes), now, *METRICS]
    scripts(client).reset.run(counts_key(ref.id), args, lambda _: args)


def hourly_stats(client: Any, hours: Sequence[int], scope: str = "all") -> list[dict[str, int]]:
    """Traffic numbers of each given hour index, site-wide or of one category
    (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for hour in hours:
        pipe.hgetall(stats_key(hour, scope))
    return [{k: int(v) for k, v in reply.items()} for reply in pipe.execute()]


def unique_readers(client: Any, kind: str, indexes: Sequence[int], scope: str = "all") -> int:
    """Distinct readers over hours (``h``) or days (``d``): a merged HyperLogLog count."""
    keys = [site_uniques_key(kind, i, scope) for i in indexes]
    return int(client.pfcount(*keys)) if keys else 0


def article_series(
    client: Any, article_id: int, metrics: Sequence[str], grain: str, indexes: Sequence[int]
) -> dict[str, list[int]]:
    """An article's count per bucket, per metric, from the ranking buckets."""
    pipe = client.pipeline(transaction=False)
    for metric in metrics:
        for n in indexes:
            pipe.zscore(bucket_key(metric, "all", grain, n), article_id)
    replies = iter(pipe.execute())
    return {m: [int(float(next(replies) or 0)) for _ in indexes] for m in metrics}


# --- write-behind -------------------------------------------------------------


@dataclass
class Snapshot:
    """Deltas and reader choices moved aside by one flush."""

    id: str
    deltas: dict[tuple[int, int, str], int]  # (article id, day, metric) -> delta
    readers: dict[tuple[int, str], tuple[str, float] | None]  # None: reaction removed


def has_epoch(client: Any) -> bool:
    return bool(client.exists(epoch_key()))


def set_epoch(client: Any, value: str) -> None:
    client.set(epoch_key(), value)


def take_snapshot(client: Any, flush_id: str) -> int:
    """Rename pending to a snapshot: 1 moved, 0 nothing pending, -1 no epoch."""
    return int(
        scripts(client).snapshot(
            keys=[pending_key(), pending_readers_key(), flushes_key(), epoch_key()],
            args=[flush_id],
        )
    )


def open_snapshots(client: Any) -> list[str]:
    return sorted(client.smembers(flushes_key()))


def _parse_deltas(raw: Mapping[str, str]) -> dict[tuple[int, int, str], int]:
    deltas: dict[tuple[int, int, str], int] = {}
    for field, value in raw.items():
        article, day, metric = field.split(":")
        if int(value):
            deltas[(int(article), int(day), metric)] = int(value)
    return deltas


def _parse_readers(raw: Mapping[str, str]) -> dict[tuple[int, str], tuple[str, float] | None]:
    readers: dict[tuple[int, str], tuple[str, float] | None] = {}
    for field, value in raw.items():
        article, reader = field.split(":", 1)
        if value == "-":
            readers[(int(article), reader)] = None
        else:
            mood, ts = value.split("|")[:2]
            readers[(int(article), reader)] = (mood, float(ts))
    return readers


def read_snapshot(client: Any, flush_id: str) -> Snapshot:
    deltas_key, readers_key_ = snapshot_keys(flush_id)
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(deltas_key)
    pipe.hgetall(readers_key_)
    deltas, readers = pipe.execute()
    return Snapshot(flush_id, _parse_deltas(deltas), _parse_readers(readers))


def drop_snapshot(client: Any, flush_id: str) -> None:
    pipe = client.pipeline(transaction=False)
    for key in snapshot_keys(flush_id):  # one key per DEL: cluster pipelines want that
        pipe.delete(key)
    pipe.srem(flushes_key(), flush_id)
    pipe.execute()


def restore_article(
    client: Any,
    ref: ArticleRef,
    totals: Mapping[str, int],
    daily: Sequence[tuple[int, str, int]],
    readers: Sequence[tuple[str, str, float]],
    chunk: int = 500,
) -> None:
    """Give one article its durable past back (see the two restore scripts)."""
    s = scripts(client)
    scopes = ",".join(ref.scopes)
    args: list[Any] = [PREFIX, ref.id, scopes, ref.pub_fraction]
    for field in COUNTER_FIELDS:
        args += [field, int(totals.get(field, 0))]
    args.append("--")
    for day, metric, value in daily:
        args += [day, metric, value]
    s.restore_counts.run(counts_key(ref.id), args, lambda done: args if done else None)
    head: list[Any] = [PREFIX, ref.id, scopes, ref.pub_fraction]
    for start in range(0, len(readers), chunk):
        part = list(head)
        for reader, mood, ts in readers[start : start + chunk]:
            part += [reader, mood, repr(ts)]
        s.restore_readers.run(
            readers_key(ref.id), part, lambda reply: [*head, *reply[1]] if reply[1] else None
        )
