-- One step of window upkeep, at most about ``budget`` members handled: subtract
-- the buckets that have left their windows, and rescale hot when its weights
-- grow large. Each call is short; the caller repeats it while it answers 1.
-- ARGV: prefix, now, budget.
local now, budget = tonumber(ARGV[2]), tonumber(ARGV[3])

-- A slice of ``got`` of the ``asked`` members done at ``offset`` of ``part``:
-- where the next one starts (state field ``field``), or nothing when the part
-- is finished. Returns true when it is.
local function advance(field, part, offset, asked, got)
  budget = budget - got - 1
  if got < asked then
    redis.call('HDEL', WSTATE, field)
    W[field] = nil
    return true
  end
  wset(field, part .. '|' .. (offset + got))
  return false
end

-- A grain whose windows were not kept up for longer than its buckets live (no
-- process ran): what left the windows can no longer be subtracted, so its sets
-- are emptied and refilled from the buckets still inside.
local function rebuild(g)
  local floor = required(g, now)
  for _, w in ipairs(WINDOWS[g[1]]) do
    for metric in pairs(WINDOWED) do
      for _, scope in ipairs(redis.call('SMEMBERS', RK .. 'w-scopes')) do
        redis.call('UNLINK', RK .. 'w:' .. w[1] .. ':' .. metric .. ':' .. scope)
      end
    end
    -- Hot starts a new epoch with its reference at the new floor.
    local epoch = tonumber(wstate()['E:' .. w[1]])
    if epoch then
      for _, scope in ipairs(redis.call('SMEMBERS', RK .. 'w-hot:' .. w[1])) do
        redis.call('UNLINK', hot_set(w, scope, epoch), hot_set(w, scope, epoch - 1))
      end
      redis.call('HDEL', WSTATE, 'C:' .. w[1], 'cp:' .. w[1])
      W['C:' .. w[1]], W['cp:' .. w[1]] = nil, nil
      redis.call('DEL', RK .. 'w-copy:' .. w[1], RK .. 'w-drop:' .. w[1])
      wset('E:' .. w[1], epoch + 1)
      wset('R:' .. w[1], floor * g[2])
    end
  end
  wset('f:' .. g[1], floor)
  redis.call('HDEL', WSTATE, 'p:' .. g[1])
  W['p:' .. g[1]] = nil
  for n = floor, math.floor(now / g[2]) do
    for _, part in ipairs(redis.call('SMEMBERS', RK .. 'w-reg:' .. g[1] .. ':' .. n)) do
      local metric, scope = string.match(part, '^([^:]+):(.+)$')
      local items = redis.call('ZRANGE', RK .. part .. ':' .. g[1] .. ':' .. n, 0, -1, 'WITHSCORES')
      local frac = 0
      for i = 1, #items, 2 do
        frac = tonumber(redis.call('ZSCORE', RK .. 'pub', items[i]) or '0')
        to_windows(metric, scope, g, n, items[i], tonumber(items[i + 1]), frac, now)
      end
    end
  end
end

-- The bucket at the grain's floor leaves its windows: one part (metric and
-- scope) at a time, in slices; then its held-back changes go into it.
local function retire(g)
  local n = wfloor(g, now)
  local pos = wstate()['p:' .. g[1]]
  local part, offset
  if pos then
    part, offset = string.match(pos, '^(.+)|(%d+)$')
    offset = tonumber(offset)
  else
    part, offset = redis.call('SPOP', RK .. 'w-reg:' .. g[1] .. ':' .. n), 0
  end
  if not part then
    local late = RK .. 'w-late:' .. g[1] .. ':' .. n
    local flat = redis.call('HGETALL', late)
    for i = 1, #flat, 2 do
      local metric, scope, id = string.match(flat[i], '^([^:]+):([^:]+):(.+)$')
      local key = RK .. metric .. ':' .. scope .. ':' .. g[1] .. ':' .. n
      if tonumber(redis.call('ZINCRBY', key, flat[i + 1], id)) <= 0 then
        redis.call('ZREM', key, id)
      end
    end
    redis.call('DEL', late)
    wset('f:' .. g[1], n + 1)
    budget = budget - 1 - #flat / 2
    return
  end
  local metric, scope = string.match(part, '^([^:]+):(.+)$')
  local items = redis.call('ZRANGE', RK .. part .. ':' .. g[1] .. ':' .. n,
    offset, offset + budget - 1, 'WITHSCORES')
  for i = 1, #items, 2 do
    to_windows(metric, scope, g, n, items[i], -tonumber(items[i + 1]), 0, now)
  end
  advance('p:' .. g[1], part, offset, budget, #items / 2)
end

-- Hot of window ``w``: once its newest weight passes 2^RESCALE_AT, a new epoch
-- starts with the reference at the floor; the old sets (frozen) are copied into
-- it scaled, slice by slice, while the events already write to the new ones.
local function rescale(g, w)
  local R, epoch = hot_ref(g, w, now)
  local s = wstate()
  if not s['C:' .. w[1]] then
    if (math.floor(now / g[2]) * g[2] - R) / w[3] < RESCALE_AT then return end
    wset('C:' .. w[1], R)
    wset('R:' .. w[1], required(g, now) * g[2])
    wset('E:' .. w[1], tonumber(epoch) + 1)
    redis.call('SUNIONSTORE', RK .. 'w-copy:' .. w[1], RK .. 'w-hot:' .. w[1])
    return
  end
  R, epoch = tonumber(s['R:' .. w[1]]), tonumber(s['E:' .. w[1]])
  local factor = 2 ^ ((tonumber(s['C:' .. w[1]]) - R) / w[3])
  local pos = s['cp:' .. w[1]]
  local scope, offset
  if pos then
    scope, offset = string.match(pos, '^(.+)|(%d+)$')
    offset = tonumber(offset)
  else
    scope, offset = redis.call('SPOP', RK .. 'w-copy:' .. w[1]), 0
  end
  if not scope then
    -- Copied: what died meanwhile leaves now, and the epoch is the only one.
    local limit = HOT_SCALE / 2 * 2 ^ ((wfloor(g, now) * g[2] - R) / w[3])
    for _, sc in ipairs(redis.call('SMEMBERS', RK .. 'w-hot:' .. w[1])) do
      redis.call('ZREMRANGEBYSCORE', hot_set(w, sc, epoch), '-inf', '(' .. limit)
    end
    redis.call('DEL', RK .. 'w-drop:' .. w[1])
    redis.call('HDEL', WSTATE, 'C:' .. w[1])
    W['C:' .. w[1]] = nil
    budget = budget - 1
    return
  end
  local old = hot_set(w, scope, epoch - 1)
  local items = redis.call('ZRANGE', old, offset, offset + budget - 1, 'WITHSCORES')
  local drop = RK .. 'w-drop:' .. w[1]
  local dropped = redis.call('EXISTS', drop) == 1
  for i = 1, #items, 2 do
    if not (dropped and redis.call('SISMEMBER', drop, items[i]) == 1) then
      redis.call('ZINCRBY', hot_set(w, scope, epoch), tonumber(items[i + 1]) * factor, items[i])
    end
  end
  redis.call('SADD', RK .. 'w-hot:' .. w[1], scope)
  if advance('cp:' .. w[1], scope, offset, budget, #items / 2) then redis.call('UNLINK', old) end
end

local busy = 0
for _, g in ipairs(GRAINS) do
  if neglected(g, now) then rebuild(g) end
  while budget > 0 and wfloor(g, now) < required(g, now) do retire(g) end
  if wfloor(g, now) < required(g, now) then busy = 1 end
  for _, w in ipairs(WINDOWS[g[1]]) do
    while budget > 0 do
      rescale(g, w)
      if not wstate()['C:' .. w[1]] then break end
    end
    if wstate()['C:' .. w[1]] then busy = 1 end
  end
end
return busy
