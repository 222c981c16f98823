-- Sliding windows kept by the events (loaded after lib.lua; WINDOWS, WINDOWED,
-- HOT_WEIGHT, HOT_SCALE and RESCALE_AT come from the preamble).
--
-- A window's set holds, per article, the sum of the buckets from its grain's
-- ``floor`` (``w-state`` field ``f:<grain>``) to the newest. Every change to a
-- bucket in the window changes the window's sets in the same script. Once a
-- bucket is older than its window it is "retiring": changes to it are held in
-- ``w-late`` (the bucket stays frozen) until retire.lua has subtracted it from
-- the sets, slice by slice, and moved the floor past it.
--
-- ``hot`` of bucket n adds weight × HOT_SCALE × 2^((start of n - R) / half-life),
-- R being the window's reference time: the factor that decays it to "now" is the
-- same for every article, so the set's order is hot's order at any moment.
local WSTATE = RK .. 'w-state'
local W = nil

local function wstate()
  if W then return W end
  W = {}
  local flat = redis.call('HGETALL', WSTATE)
  for i = 1, #flat, 2 do W[flat[i]] = flat[i + 1] end
  return W
end

local function wset(field, value)
  redis.call('HSET', WSTATE, field, value)
  W[field] = value
end

-- The oldest bucket a grain's windows must hold at ``now``.
local function required(g, now)
  return math.floor(now / g[2]) - WINDOWS[g[1]][1][2] + 1
end

-- The oldest bucket the grain's windows hold (set to ``required`` on first use).
local function wfloor(g, now)
  local f = wstate()['f:' .. g[1]]
  if not f then
    f = required(g, now)
    wset('f:' .. g[1], f)
  end
  return tonumber(f)
end

-- Nobody kept the grain's windows up for longer than its buckets live (no
-- process ran): the upkeep rebuilds them from the buckets; until then the events
-- leave them alone.
local function neglected(g, now)
  return wfloor(g, now) < math.floor(now / g[2]) - g[3]
end

-- Hot's reference time and epoch of window ``w`` (of grain ``g``).
local function hot_ref(g, w, now)
  local s = wstate()
  if not s['R:' .. w[1]] then
    wset('R:' .. w[1], required(g, now) * g[2])
    wset('E:' .. w[1], 0)
  end
  return tonumber(s['R:' .. w[1]]), s['E:' .. w[1]]
end

local function hot_set(w, scope, epoch)
  return RK .. 'w:' .. w[1] .. ':hot:' .. scope .. ':' .. epoch
end

-- Adds ``amount`` of bucket n (grain g) of metric/scope to the windows it feeds:
-- a count, or minus a retiring bucket's. A member that falls to nothing leaves.
local function to_windows(metric, scope, g, n, id, amount, frac, now)
  local weight = HOT_WEIGHT[metric]
  for _, w in ipairs(WINDOWS[g[1]]) do
    if w[1] ~= 'all' then
      local key = RK .. 'w:' .. w[1] .. ':' .. metric .. ':' .. scope
      local score = tonumber(redis.call('ZINCRBY', key, amount, id))
      if score < 1 then
        redis.call('ZREM', key, id)
      elseif score == amount then  -- new here: the publication fraction breaks ties
        redis.call('ZINCRBY', key, frac, id)
        redis.call('SADD', RK .. 'w-scopes', scope)
      end
    end
    if weight then
      local R, epoch = hot_ref(g, w, now)
      local key = hot_set(w, scope, epoch)
      local unit = 2 ^ ((n * g[2] - R) / w[3])
      local add = amount * weight * HOT_SCALE * unit
      local score = tonumber(redis.call('ZINCRBY', key, add, id))
      -- Below half a view at the floor's weight: nothing of it is left in the
      -- window (while a rescale copies, members stay; it clears them after).
      if score < HOT_SCALE / 2 * 2 ^ ((wfloor(g, now) * g[2] - R) / w[3]) then
        if not wstate()['C:' .. w[1]] then redis.call('ZREM', key, id) end
      elseif score == add then
        redis.call('ZINCRBY', key, frac * unit, id)
        redis.call('SADD', RK .. 'w-hot:' .. w[1], scope)
      end
    end
  end
end

-- Adds ``delta`` to bucket n of grain g (metric, scope) and to its windows: the
-- one way every script changes a windowed bucket.
local function bucket_add(metric, scope, g, n, id, delta, frac, now)
  local key = RK .. metric .. ':' .. scope .. ':' .. g[1] .. ':' .. n
  if WINDOWED[metric] and not neglected(g, now) then
    local floor = wfloor(g, now)
    if n >= floor and n < required(g, now) then
      local late = RK .. 'w-late:' .. g[1] .. ':' .. n
      redis.call('HINCRBY', late, metric .. ':' .. scope .. ':' .. id, delta)
      redis.call('EXPIREAT', late, (n + g[3] + 1) * g[2])
      return
    end
    if n >= floor then to_windows(metric, scope, g, n, id, delta, frac, now) end
  end
  local score = tonumber(redis.call('ZINCRBY', key, delta, id))
  if score <= 0 then
    redis.call('ZREM', key, id)
  elseif score == delta then
    -- A member's first count: the key may be new. Otherwise it existed
    -- already and got its (fixed) expiry when that member arrived.
    local expires = (n + g[3] + 1) * g[2]
    redis.call('EXPIREAT', key, expires)
    if WINDOWED[metric] then
      local reg = RK .. 'w-reg:' .. g[1] .. ':' .. n
      redis.call('SADD', reg, metric .. ':' .. scope)
      redis.call('EXPIREAT', reg, expires)
    end
  end
end

-- Takes an article out of a bucket and its windows (a reset): a retiring bucket
-- stays frozen, its share is held back as a late change instead.
local function bucket_drop(metric, scope, g, n, id, now)
  local key = RK .. metric .. ':' .. scope .. ':' .. g[1] .. ':' .. n
  if WINDOWED[metric] and n >= wfloor(g, now) and n < required(g, now) then
    local score = redis.call('ZSCORE', key, id)
    if score then
      redis.call('HSET', RK .. 'w-late:' .. g[1] .. ':' .. n, metric .. ':' .. scope .. ':' .. id,
        -tonumber(score))
    end
  else
    redis.call('ZREM', key, id)
  end
end

-- Takes an article out of every window set of its scopes (a reset).
local function windows_drop(metrics, scopes, id, now)
  for _, g in ipairs(GRAINS) do
    for _, w in ipairs(WINDOWS[g[1]]) do
      local s = wstate()
      for _, scope in ipairs(scopes) do
        for _, metric in ipairs(metrics) do
          if WINDOWED[metric] then
            redis.call('ZREM', RK .. 'w:' .. w[1] .. ':' .. metric .. ':' .. scope, id)
          end
        end
        if s['E:' .. w[1]] then
          redis.call('ZREM', hot_set(w, scope, s['E:' .. w[1]]), id)
          -- A rescale's old set stays frozen while it is copied: the copy skips it.
          if s['C:' .. w[1]] then redis.call('SADD', RK .. 'w-drop:' .. w[1], id) end
        end
      end
    end
  end
end

-- Counts ``delta`` of ``metric`` for article ``id`` at time ``ts``: every grain's
-- bucket (and so the windows), the all-time sets and the pending SQL delta.
-- ``durable`` false: the attention sums, kept in Redis only (not queued for SQL)
-- and without the 1h window's grain. ``grains`` overrides which grains are bumped;
-- ``now`` (default ``ts``) is when it happens, which decides the windows.
local function bump(id, metric, scopes, ts, delta, frac, durable, grains, now)
  for _, g in ipairs(grains or (durable == false and ATTENTION_GRAINS or GRAINS)) do
    local n = math.floor(ts / g[2])
    for _, scope in ipairs(scopes) do
      bucket_add(metric, scope, g, n, id, delta, frac, now or ts)
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
  if durable ~= false then
    local field = id .. ':' .. math.floor(ts / DAY) .. ':' .. metric
    redis.call('HINCRBY', RK .. 'pending', field, delta)
  end
end
