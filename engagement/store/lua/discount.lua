-- An operator discounts views of a suspect burst: ``n`` views counted in hour
-- ``hour`` come out of the article's count, every ranking bucket and total that
-- holds that hour, the pending SQL delta of that day (the flush then lowers
-- article_stats and article_daily), and the hour's traffic numbers, where they
-- move from counted to discounted. Unique-reader estimates cannot be lowered.
-- ARGV: prefix, article id, scopes, hour index, n, rule letter, publication
--       fraction, now (the cluster rankings script gets the views taken as ARGV[9]).
-- Returns the views taken: n, or fewer when the article has fewer.
-- :: article
local function discount_article()
  local A = article_prefix(ARGV[2])
  local views = tonumber(redis.call('HGET', A .. 'c', 'views') or '0')
  local n = math.min(tonumber(ARGV[5]), views)
  if n > 0 then redis.call('HINCRBY', A .. 'c', 'views', -n) end
  return n
end

-- :: rank
-- Buckets finer than an hour: the views come out of the hour's newest buckets
-- first (a burst ends where the bound closed), never below zero.
local function discount_fine(id, scopes, hour, n, g, frac, now)
  for _, scope in ipairs(scopes) do
    local left = n
    for b = math.floor(((hour + 1) * HOUR - 1) / g[2]), math.floor(hour * HOUR / g[2]), -1 do
      if left <= 0 then break end
      local key = RK .. 'views:' .. scope .. ':' .. g[1] .. ':' .. b
      local score = tonumber(redis.call('ZSCORE', key, id) or '0')
      local take = math.min(left, score)
      if take > 0 then
        bucket_add('views', scope, g, b, id, -take, frac, now)
        left = left - take
      end
    end
  end
end

local function discount_rank(n)
  if n <= 0 then return end
  local id, scopes, hour = ARGV[2], split(ARGV[3], ','), tonumber(ARGV[4])
  local ts, coarse, now = hour * HOUR, {}, tonumber(ARGV[8])
  for _, g in ipairs(GRAINS) do
    if g[2] >= HOUR then
      coarse[#coarse + 1] = g
    else
      discount_fine(id, scopes, hour, n, g, ARGV[7], now)
    end
  end
  bump(id, 'views', scopes, ts, -n, ARGV[7], true, coarse, now)
  stat(ts, 'views_counted', scopes, -n)
  stat(ts, 'views_discounted', scopes, n)
  burst(id, hour, ARGV[6], 'disc', n)
end

-- :: whole
local n = discount_article()
discount_rank(n)
return n

-- :: article_only
return discount_article()

-- :: rank_only
discount_rank(tonumber(ARGV[9]))
return 1
