-- A window's top ``limit`` articles (all of them when ``limit`` is 0).
-- ARGV: prefix, now, window, metric, scope, limit.
-- Returns {behind, factor, id, score, ...}: ``behind`` is 1 while buckets that
-- have left the window are not yet subtracted (the caller runs the upkeep and
-- reads again); ``factor`` turns a stored hot score into hot × HOT_SCALE now.
local now, name, metric, scope = tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local stop = tonumber(ARGV[6]) - 1
local g, w
for _, grain in ipairs(GRAINS) do
  for _, win in ipairs(WINDOWS[grain[1]]) do
    if win[1] == name then g, w = grain, win end
  end
end
local behind = wfloor(g, now) < required(g, now) and 1 or 0
if metric ~= 'hot' then
  local items = redis.call('ZRANGE', RK .. 'w:' .. name .. ':' .. metric .. ':' .. scope, 0, stop,
    'REV', 'WITHSCORES')
  return {behind, '1', unpack(items)}
end
local R, epoch = hot_ref(g, w, now)
local factor = string.format('%.17g', 2 ^ ((R - now) / w[3]))
local key = hot_set(w, scope, epoch)
local items = redis.call('ZRANGE', key, 0, stop, 'REV', 'WITHSCORES')
local C = wstate()['C:' .. w[1]]
if not C then return {behind, factor, unpack(items)} end
-- A rescale is copying the old epoch in: each candidate's score is its share
-- in both sets (the old one scaled to the new reference).
local old = hot_set(w, scope, tonumber(epoch) - 1)
local scale = 2 ^ ((tonumber(C) - R) / w[3])
local seen, merged = {}, {}
for _, list in ipairs({items, redis.call('ZRANGE', old, 0, stop, 'REV', 'WITHSCORES')}) do
  for i = 1, #list, 2 do
    local id = list[i]
    if not seen[id] then
      seen[id] = true
      local score = tonumber(redis.call('ZSCORE', key, id) or '0')
        + tonumber(redis.call('ZSCORE', old, id) or '0') * scale
      merged[#merged + 1] = {id, score}
    end
  end
end
table.sort(merged, function(a, b) return a[2] > b[2] end)
local out = {behind, factor}
for i, pair in ipairs(merged) do
  if stop >= 0 and i > stop + 1 then break end
  out[#out + 1] = pair[1]
  out[#out + 1] = string.format('%.17g', pair[2])
end
return out
