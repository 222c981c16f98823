-- A view: the repeat check and the article's own count (article half), then
-- unique readers, every bucket, the all-time rankings, co-reads and the traffic
-- numbers (rankings half).
-- ARGV: prefix, article id, reader, now, view window, scopes (comma separated),
--       publication fraction, counted (the cluster rankings script's; '' else),
--       then the attention part ('' where absent): the new page view's id, its
--       traffic source and referring host, the previous page view of this tab,
--       the block and slot clicked there ("related:2"), the visitor ("new",
--       "returning"), then the bounds' limit spec or ''.
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
-- The page view this beacon opens: what its pings are checked against.
local function open_page_view(id, reader, now, counted, scopes)
  local pv = ARGV[9]
  if pv == '' then return end
  local key = RK .. 'pv:' .. pv
  -- The page was visible for VIEW_DELAY before its beacon: the first ping may credit that.
  redis.call('HSET', key, 'a', id, 'r', reader, 'l', now - VIEW_DELAY, 'q', 0, 'e', 0, 'k', 0,
    'c', counted, 's', ARGV[6], 'f', ARGV[7], 'o', math.floor(now / DAY),
    'm', math.floor(now / MINUTE))
  redis.call('EXPIRE', key, PAGEVIEW_SECONDS)
  present(id, pv, now, false, scopes, nil)
end

-- Where the reader came from (counted views only) and, when this tab's previous
-- page view was the same reader's on another article, that it recirculated and
-- which of our blocks sent them (a block without a page view: the site's only).
local function arrival(id, reader, now, counted, scopes)
  local source, host, prev, via = ARGV[10], ARGV[11], ARGV[12], ARGV[13]
  local day = math.floor(now / DAY)
  if counted == 1 and source ~= '' then
    bump(id, 'src_' .. source, {'all'}, now, 1, ARGV[7], false)
    stat(now, 'src_' .. source, scopes, 1, true)
    attend(id, day, 'src:' .. source, 1)
    if host ~= '' then stat(now, 'host:' .. host, {'all'}, 1, true) end
  end
  if counted == 1 and ARGV[14] ~= '' then stat(now, 'visit_' .. ARGV[14], scopes, 1, true) end
  local from_scopes, from_article = {'all'}, nil
  if prev ~= '' then
    local key = RK .. 'pv:' .. prev
    local p = redis.call('HMGET', key, 'a', 'r', 'n', 's', 'c', 'f')
    if not p[1] or p[2] ~= reader or p[1] == id or p[3] then return end
    redis.call('HSET', key, 'n', id)
    from_scopes, from_article = split(p[4], ','), p[1]
    if p[5] == '1' then
      bump(p[1], 'recirc', {'all'}, now, 1, p[6], false)
      stat(now, 'recirc', from_scopes, 1, true)
    end
  end
  if via ~= '' then
    local block = split(via, ':')[1]
    for _, field in ipairs({'b:' .. block .. ':c', 'b:' .. via .. ':c'}) do
      stat(now, field, from_scopes, 1, true)
      if from_article then attend(from_article, day, field, 1) end
    end
  end
end

local function view_rank(counted)
  local id, reader, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
  local scopes = split(ARGV[6], ',')
  open_page_view(id, reader, now, counted, scopes)
  arrival(id, reader, now, counted, scopes)
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
-- Over the reader's pace or, cookie-less, its address's bound (KEYS from 2,
-- ARGV[15] the spec): nothing counts but the suspect view itself.
if ARGV[15] ~= '' then
  local wait, rule, passed = limited(2, ARGV[15])
  if wait > 0 then
    suspect(ARGV[2], tonumber(ARGV[4]), 'views_suspect', split(ARGV[6], ','), rule, passed)
    return {0, tonumber(redis.call('HGET', article_prefix(ARGV[2]) .. 'c', 'views') or '0'), 1}
  end
end
local counted, views = view_article()
view_rank(counted)
return {counted, views}

-- :: article_only
local counted, views = view_article()
return {counted, views}

-- :: rank_only
-- On a cluster this runs at the same time as the article half, on its own node:
-- the bounds (their keys carry the rankings tag: KEYS from 2) and a repeat check
-- of its own, kept like the article's, decide whether the view counts.
-- Returns {counted, suspect}.
if ARGV[15] ~= '' then
  local wait, rule, passed = limited(2, ARGV[15])
  if wait > 0 then
    suspect(ARGV[2], tonumber(ARGV[4]), 'views_suspect', split(ARGV[6], ','), rule, passed)
    return {0, 1}
  end
end
local now, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local seen = RK .. 's:' .. ARGV[2] .. ':' .. ARGV[3]
local last = redis.call('GET', seen)
local counted = 1
if last and now - tonumber(last) < window then
  counted = 0
else
  redis.call('SET', seen, ARGV[4], 'EX', window)
end
view_rank(counted)
return {counted, 0}
