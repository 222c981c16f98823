-- Rebuilds one stored ranking from its buckets.
-- KEYS: result, tmp, tmp2, pub, meta, generation, then the bucket keys.
-- ARGV: result name, build time, then one weight per bucket key.
-- A build for an earlier moment than the stored one (a slower process, a
-- skewed clock) must not replace it.
local stored = redis.call('HGET', KEYS[5], ARGV[1])
if stored and tonumber(string.match(stored, '|(.+)$')) > tonumber(ARGV[2]) then
  return nil
end
local n = #KEYS - 6
local union = {'ZUNIONSTORE', KEYS[2], n}
for i = 7, #KEYS do union[#union + 1] = KEYS[i] end
union[#union + 1] = 'WEIGHTS'
for i = 3, #ARGV do union[#union + 1] = ARGV[i] end
redis.call(unpack(union))
redis.call('ZINTERSTORE', KEYS[3], 2, KEYS[2], KEYS[4], 'WEIGHTS', 1, 1)
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
local gen = redis.call('INCR', KEYS[6])
redis.call('HSET', KEYS[5], ARGV[1], gen .. '|' .. ARGV[2])
return gen
