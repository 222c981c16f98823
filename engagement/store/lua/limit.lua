-- Fixed windows, as Flask-Limiter's "fixed-window" strategy keeps them: the first
-- hit starts the window and sets its expiry; hits over the amount are refused
-- (and still counted). KEYS[first...] are the windows' keys and ``spec`` lists
-- "amount:seconds" for each, with a rule letter before it for a bound whose
-- refusals are suspect traffic (keys.SUSPECT_RULES). Returns the seconds until
-- every window allows again (0 when this hit is allowed), the letter of the
-- suspect bound that refused it ('' for none), and how many hits that window let
-- through when this is its first refusal (else 0): what a burst counted.
local function limited(first, spec)
  local wait, rule, passed, i = 0, '', 0, first
  for flag, amount, seconds in string.gmatch(spec, '(%a?)(%d+):(%d+)') do
    local hits = redis.call('INCR', KEYS[i])
    if hits == 1 then redis.call('EXPIRE', KEYS[i], seconds) end
    if hits > tonumber(amount) then
      wait = math.max(wait, redis.call('TTL', KEYS[i]), 1)
      if flag ~= '' and rule == '' then
        rule = flag
        if hits == tonumber(amount) + 1 then passed = tonumber(amount) end
      end
    end
    i = i + 1
  end
  return wait, rule, passed
end
