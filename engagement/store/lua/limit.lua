-- Fixed windows, as Flask-Limiter's "fixed-window" strategy keeps them: the first
-- hit starts the window and sets its expiry; hits over the amount are refused
-- (and still counted). KEYS[first...] are the windows' keys and ``spec`` lists
-- "amount:seconds" for each, "s" before it for a bound whose refusals are
-- suspect traffic. Returns the seconds until every window allows again (0 when
-- this hit is allowed) and 1 when a suspect bound refused it, else 0.
local function limited(first, spec)
  local wait, suspect, i = 0, 0, first
  for flag, amount, seconds in string.gmatch(spec, '(s?)(%d+):(%d+)') do
    local hits = redis.call('INCR', KEYS[i])
    if hits == 1 then redis.call('EXPIRE', KEYS[i], seconds) end
    if hits > tonumber(amount) then
      wait = math.max(wait, redis.call('TTL', KEYS[i]), 1)
      if flag == 's' then suspect = 1 end
    end
    i = i + 1
  end
  return wait, suspect
end
