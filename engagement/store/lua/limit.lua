-- Fixed windows, as Flask-Limiter's "fixed-window" strategy keeps them: the first
-- hit starts the window and sets its expiry; hits over the amount are refused
-- (and still counted). KEYS[first...] are the windows' keys and ``spec`` lists
-- "amount:seconds" for each. Returns the seconds until every window allows
-- again, or 0 when this hit is allowed.
local function limited(first, spec)
  local wait, i = 0, first
  for amount, seconds in string.gmatch(spec, '(%d+):(%d+)') do
    local hits = redis.call('INCR', KEYS[i])
    if hits == 1 then redis.call('EXPIRE', KEYS[i], seconds) end
    if hits > tonumber(amount) then
      wait = math.max(wait, redis.call('TTL', KEYS[i]), 1)
    end
    i = i + 1
  end
  return wait
end
