-- KEYS: pending, pending_r, flushes, epoch.  ARGV: flush id.
-- Moves the pending deltas aside under a fresh name, atomically, so increments
-- that arrive while SQL is being written land in a new pending hash.
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
local moved = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[1] .. ':' .. ARGV[1]); moved = 1
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[2] .. ':' .. ARGV[1]); moved = 1
end
if moved == 1 then redis.call('SADD', KEYS[3], ARGV[1]) end
return moved
