-- Shared by the scripts; GRAINS, DAY, HOUR and the lifetimes come from the
-- preamble that scripts.py writes from store/keys.py.
local P = ARGV[1]
local RK = P .. ':{rk}:'

local function split(s, sep)
  local out = {}
  for part in string.gmatch(s, '([^' .. sep .. ']+)') do out[#out + 1] = part end
  return out
end

local function article_prefix(id)
  return P .. ':{a' .. id .. '}:'
end

-- Traffic numbers per hour: the site's (``st:h:<n>``, and all-time) and each
-- category's above the article (``st:c<id>:h:<n>``) for the dashboard's filter.
-- ``delta`` defaults to 1; the attention numbers pass ``hourly_only``.
local function stat(now, field, scopes, delta, hourly_only)
  local hour = math.floor(now / HOUR)
  delta = delta or 1
  if not hourly_only then redis.call('HINCRBY', RK .. 'st:total', field, delta) end
  for _, scope in ipairs(scopes) do
    local key = RK .. 'st:' .. (scope == 'all' and '' or scope .. ':') .. 'h:' .. hour
    if redis.call('HINCRBY', key, field, delta) == delta then
      redis.call('EXPIREAT', key, (hour + STATS_HOURS) * HOUR)
    end
  end
end

-- An article's attention numbers of one UTC day (sources, depth histogram, blocks).
local function attend(id, day, field, delta)
  local key = RK .. 'at:a' .. id .. ':d:' .. day
  if redis.call('HINCRBY', key, field, delta) == delta then
    redis.call('EXPIREAT', key, (day + ATTENTION_DAYS) * DAY)
  end
end

-- Readers now and the minute's readers: a page view is present at ``now``.
-- ``seen_minute`` is the minute it was last counted in (nil: never).
-- The caller has written the page view's ``m`` (the minute) when it differs.
local function present(id, pv, now, engaged, scopes, seen_minute)
  local member = id .. ':' .. pv
  for _, suffix in ipairs(engaged and {'now', 'now:e'} or {'now'}) do
    redis.call('ZADD', RK .. suffix, now, member)
    redis.call('ZREMRANGEBYSCORE', RK .. suffix, '-inf', now - NOW_KEEP)
    redis.call('EXPIRE', RK .. suffix, NOW_KEEP)  -- a quiet minute empties it
  end
  local minute = math.floor(now / MINUTE)
  if seen_minute == minute then return end
  local key = RK .. 'rm:' .. minute
  if redis.call('HINCRBY', key, 'a' .. id, 1) == 1 then
    redis.call('EXPIREAT', key, (minute + MINUTES_KEEP + 1) * MINUTE)
  end
  for _, scope in ipairs(scopes) do redis.call('HINCRBY', key, scope, 1) end
end

-- Distinct readers per hour and per day, of the site and of each category.
local function uniques(reader, now, scopes)
  local day, hour = math.floor(now / DAY), math.floor(now / HOUR)
  for _, scope in ipairs(scopes) do
    local base = RK .. 'u:' .. (scope == 'all' and '' or scope .. ':')
    if redis.call('PFADD', base .. 'd:' .. day, reader) == 1 then
      redis.call('EXPIREAT', base .. 'd:' .. day, (day + READERS_DAYS) * DAY)
    end
    if redis.call('PFADD', base .. 'h:' .. hour, reader) == 1 then
      redis.call('EXPIREAT', base .. 'h:' .. hour, (hour + READERS_HOURS) * HOUR)
    end
  end
end

-- One part (held, passed, disc) of an article's burst record: its hour and rule's
-- field of ``eng:{rk}:sus:<id>``, which lives a month from its last change.
local function burst(id, hour, rule, part, delta)
  local key = RK .. 'sus:' .. id
  redis.call('HINCRBY', key, hour .. ':' .. rule .. ':' .. part, delta)
  redis.call('EXPIRE', key, STATS_HOURS * HOUR)
end

-- Suspect traffic held back by a bound (``rule``, a letter of keys.SUSPECT_RULES)
-- on article ``id``: the hour's count and the day's articles by suspect traffic
-- for the dashboard, and the article's burst record (held back, and let through
-- by the same bound before it closed).
local function suspect(id, now, kind, scopes, rule, passed)
  stat(now, kind, scopes)
  local day = math.floor(now / DAY)
  for _, scope in ipairs(scopes) do
    local daily = RK .. 'sus-day:' .. scope .. ':' .. day
    if tonumber(redis.call('ZINCRBY', daily, 1, id)) == 1 then
      redis.call('EXPIREAT', daily, (day + ATTENTION_DAYS) * DAY)
    end
  end
  local hour = math.floor(now / HOUR)
  burst(id, hour, rule, 'held', 1)
  if passed > 0 then burst(id, hour, rule, 'passed', passed) end
end
