-- ARGV: prefix, article id, scopes, now, then the metric names.
-- Takes an article out of every counter, bucket and pending delta (after a bot
-- attack, say); the caller clears its SQL record in the same breath.
-- :: article
local function reset_article()
  local A = article_prefix(ARGV[2])
  redis.call('DEL', A .. 'c', A .. 'r')
end

-- :: rank
local function reset_rank()
  local id, scopes, now = ARGV[2], split(ARGV[3], ','), tonumber(ARGV[4])
  local metrics = {}
  for m = 5, #ARGV do
    metrics[#metrics + 1] = ARGV[m]
    for _, scope in ipairs(scopes) do
      redis.call('ZREM', RK .. ARGV[m] .. ':' .. scope .. ':total', id)
      for _, g in ipairs(GRAINS) do
        local current = math.floor(now / g[2])
        for n = current - g[3], current do bucket_drop(ARGV[m], scope, g, n, id, now) end
      end
    end
  end
  windows_drop(metrics, scopes, id, now)
  -- Its daily attention numbers (sources, depths, blocks) go too.
  local today = math.floor(now / DAY)
  for day = today - ATTENTION_DAYS, today do redis.call('DEL', RK .. 'at:a' .. id .. ':d:' .. day) end
  for _, key in ipairs({RK .. 'pending', RK .. 'pending_r'}) do
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if string.sub(field, 1, #id + 1) == id .. ':' then redis.call('HDEL', key, field) end
    end
  end
end

-- :: whole
reset_article()
reset_rank()
return 1

-- :: article_only
reset_article()
return 1

-- :: rank_only
reset_rank()
return 1
