-- ARGV: prefix, article id, scopes, publication fraction, now, then field/value pairs of
-- SQL totals, then '--', then (day, metric, count) triples of recent daily history.
-- Adds the durable past onto whatever Redis counted since it lost its data;
-- the ``_base`` field makes a second run for the same article a no-op.
-- :: article
local function restore_counts_article()
  local A = article_prefix(ARGV[2])
  if redis.call('HSETNX', A .. 'c', '_base', '1') == 0 then return 0 end
  local i = 6
  while ARGV[i] ~= '--' do
    local value = tonumber(ARGV[i + 1])
    if value ~= 0 then redis.call('HINCRBY', A .. 'c', ARGV[i], value) end
    i = i + 2
  end
  return 1
end

-- :: rank
local function restore_counts_rank()
  local id, scopes, frac, now = ARGV[2], split(ARGV[3], ','), ARGV[4], tonumber(ARGV[5])
  redis.call('ZADD', RK .. 'pub', frac, id)
  local i = 6
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
    -- Through the windows: a restore rebuilds the 30-day ones as it goes.
    for _, scope in ipairs(scopes) do bucket_add(metric, scope, GRAIN.d1, day, id, value, frac, now) end
    i = i + 3
  end
end

-- :: whole
if restore_counts_article() == 0 then return 0 end
restore_counts_rank()
return 1

-- :: article_only
return restore_counts_article()

-- :: rank_only
restore_counts_rank()
return 1
