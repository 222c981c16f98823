-- A view: the repeat check and the article's own count (article half), then
-- unique readers, every bucket, the all-time rankings, co-reads and the traffic
-- numbers (rankings half).
-- ARGV: prefix, article id, reader, now, view window, scopes (comma separated),
--       publication fraction; the cluster rankings script gets ``counted`` too.
-- Returns {counted, all-time views}.
-- :: article
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
  local day = math.floor(now / DAY)
  -- PFADD answers 1 whenever it creates the key, so the expiry is set then.
  if redis.call('PFADD', A .. 'u:' .. day, reader) == 1 then
    redis.call('EXPIREAT', A .. 'u:' .. day, (day + READERS_DAYS) * DAY)
  end
  return 1, redis.call('HINCRBY', A .. 'c', 'views', 1)
end

-- :: rank
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
  for _, other in ipairs(redis.call('LRANGE', recent, 0, RECENT_KEEP - 1)) do
    if other ~= id then
      for _, pair in ipairs({{id, other}, {other, id}}) do
        local key = RK .. 'co:' .. pair[1]
        redis.call('ZINCRBY', key, 1, pair[2])
        redis.call('ZREMRANGEBYRANK', key, 0, -(COVIEW_KEEP + 1))
        redis.call('EXPIRE', key, COVIEW_SECONDS)
        -- How many co-reads each article takes part in, and all of them: what
        -- "read anyway" is measured against (related/coviews.py).
        redis.call('HINCRBY', RK .. 'co:deg', pair[1], 1)
        redis.call('HINCRBY', RK .. 'co:deg', '_all', 1)
      end
    end
  end
  redis.call('LREM', recent, 0, id)
  redis.call('LPUSH', recent, id)
  redis.call('LTRIM', recent, 0, RECENT_KEEP - 1)
  redis.call('EXPIRE', recent, RECENT_SECONDS)
  stat(now, 'views_counted', scopes)
end

-- :: whole
local counted, views = view_article()
view_rank(counted)
return {counted, views}

-- :: article_only
local counted, views = view_article()
return {counted, views}

-- :: rank_only
view_rank(tonumber(ARGV[8]))
return 1
