-- An attention ping of an open page view (all its keys carry the rankings tag).
-- ARGV: prefix, page view, article id, reader, now, sequence number, engaged
--       seconds asked for, depth in thousandths (-1: none), hidden ('1'/'0'),
--       then the blocks and slots newly viewable ("related", "related:2", ...).
-- Returns {outcome, whole engaged seconds credited}; outcome is ``ok``,
-- ``capped`` (fewer seconds credited than asked), ``unknown`` (no such page
-- view, another article's or another reader's), ``stale`` (a replay or out
-- of order) or ``suspect`` (this page view claimed more time than had passed:
-- it credits nothing more). Only ``ok`` and ``capped`` change anything.
local key = RK .. 'pv:' .. ARGV[2]
local pv = redis.call('HMGET', key, 'a', 'r', 'l', 'q', 'e', 'k', 'd', 's', 'c', 'f', 'm', 'o', 'x')
local id = ARGV[3]
if not pv[1] or pv[1] ~= id or pv[2] ~= ARGV[4] then return {'unknown', 0} end
local now, seq = tonumber(ARGV[5]), tonumber(ARGV[6])
if seq <= tonumber(pv[4]) then return {'stale', 0} end
local scopes = split(pv[8], ',')
local counted, frac, day = pv[9] == '1', pv[10], tonumber(pv[12])

-- Engaged time: never more than the time since the previous ping, one ping's
-- cap, or what is left of the page view's; whole seconds go to the rankings.
local asked = tonumber(ARGV[7])
local total, credited = tonumber(pv[5]), tonumber(pv[6])
local allowed = math.max(0, math.min(asked, now - tonumber(pv[3]), PING_MAX, PAGEVIEW_MAX - total))
local outcome = allowed < asked and 'capped' or 'ok'
-- The page script never claims more time than has passed since its previous
-- ping (give or take network jitter): a page view that does is a pattern no
-- reader makes, and its pings credit nothing from then on.
if pv[13] or asked > now - tonumber(pv[3]) + PING_SLACK then
  redis.call('HSET', key, 'q', seq, 'l', now, 'x', 1)
  stat(now, 'pings_suspect', scopes)
  return {'suspect', 0}
end
-- A counted view whose page pings while visible: the page was really seen.
if counted and (ARGV[9] ~= '1' or asked > 0) and redis.call('HSETNX', key, 'v', 1) == 1 then
  stat(now, 'views_pinged', scopes)
end
total = total + allowed
local whole = math.floor(total) - credited
redis.call('HSET', key, 'l', now, 'q', seq, 'e', total, 'k', credited + whole,
  'm', math.floor(now / MINUTE))
redis.call('EXPIRE', key, PAGEVIEW_SECONDS)
if whole > 0 then
  bump(id, 'engaged', scopes, now, whole, frac)
  stat(now, 'engaged', scopes, whole, true)
end

-- Scroll depth (counted views): its sum and count, the article's histogram of
-- each view's furthest tenth, and read-through when the end was reached.
local depth = tonumber(ARGV[8])
local old = tonumber(pv[7] or '-1')
if counted and depth > old then
  redis.call('HSET', key, 'd', depth)
  if old < 0 then
    bump(id, 'depthn', {'all'}, now, 1, frac, false)
    stat(now, 'depthn', scopes, 1, true)
  else
    attend(id, day, 'dep:' .. math.floor(old * 10 / DEPTH_SCALE), -1)
  end
  attend(id, day, 'dep:' .. math.floor(depth * 10 / DEPTH_SCALE), 1)
  bump(id, 'depth', {'all'}, now, depth - math.max(old, 0), frac, false)
  stat(now, 'depth', scopes, depth - math.max(old, 0), true)
  if depth >= DEPTH_SCALE then
    bump(id, 'through', {'all'}, now, 1, frac, false)
    stat(now, 'through', scopes, 1, true)
  end
end

-- Viewable impressions, once per page view each.
for i = 10, #ARGV do
  if redis.call('HSETNX', key, 'i:' .. ARGV[i], 1) == 1 then
    stat(now, 'b:' .. ARGV[i] .. ':i', scopes, 1, true)
    attend(id, day, 'b:' .. ARGV[i] .. ':i', 1)
  end
end

-- Readers now: a hidden page leaves at once; a visible one stays for its ping.
if ARGV[9] == '1' then
  redis.call('ZREM', RK .. 'now', id .. ':' .. ARGV[2])
  redis.call('ZREM', RK .. 'now:e', id .. ':' .. ARGV[2])
else
  present(id, ARGV[2], now, asked > 0, scopes, tonumber(pv[11] or '-1'))
end
return {outcome, whole}
