-- A reaction change: one reaction per reader per article, switching moves the
-- count (and takes it out of the bucket it was added to), undo removes it.
-- KEYS: the article's counts, then the client's limit windows (one server only).
-- ARGV: prefix, article id, reader, now, scopes, mood ('' removes), toggle ('1'/'0'),
--       publication fraction, limit spec (see limit.lua), then the mood keys in
--       display order (the cluster rankings script gets changed, mood, old mood,
--       old time instead of the spec and moods).
-- Returns {changed, mine, old mood, old time, count per mood...}, or {-1, wait,
-- suspect} when a limit refuses the change (suspect: the per-article bound did).
-- :: article
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

-- :: rank
local function react_rank(changed, mood, old, old_ts)
  if changed == 0 then return end
  local id, reader, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
  local scopes, frac = split(ARGV[5], ','), ARGV[8]
  if old then
    bump(id, old, scopes, tonumber(old_ts), -1, frac, true, nil, now)
    bump(id, 'reactions', scopes, tonumber(old_ts), -1, frac, true, nil, now)
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

-- :: whole
local wait, rule, passed = limited(2, ARGV[9])
if wait > 0 then
  if rule ~= '' then
    suspect(ARGV[2], tonumber(ARGV[4]), 'reactions_suspect', split(ARGV[5], ','), rule, passed)
  end
  return {-1, wait, rule ~= '' and 1 or 0}
end
local changed, mood, old, old_ts = react_article()
react_rank(changed, mood, old, old_ts)
return react_reply(changed, mood, old, old_ts)

-- :: article_only
return react_reply(react_article())

-- :: rank_only
react_rank(tonumber(ARGV[9]), ARGV[10], ARGV[11] ~= '' and ARGV[11], ARGV[12])
return 1
