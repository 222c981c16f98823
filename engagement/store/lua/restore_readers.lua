-- ARGV: prefix, article id, scopes, publication fraction, now, then (reader, mood,
-- unix time) triples from SQL (the cluster rankings script gets (mood, time) pairs
-- to take off instead).
-- A reader with no reaction in Redis gets the SQL one back. A reader who reacted
-- again after the loss keeps the newer choice, and the SQL one, already added
-- by the counts restore, is taken off again (marked ``|r`` so a re-run does not).
-- :: article
local function restore_readers_article()
  local A = article_prefix(ARGV[2])
  local restored, undo = 0, {}
  for i = 6, #ARGV, 3 do
    local reader, mood = ARGV[i], ARGV[i + 1]
    local value = mood .. '|' .. ARGV[i + 2]
    local current = redis.call('HGET', A .. 'r', reader)
    if not current then
      redis.call('HSET', A .. 'r', reader, value)
      restored = restored + 1
    elseif current ~= value and not string.find(current, '|r$') then
      redis.call('HINCRBY', A .. 'c', mood, -1)
      redis.call('HINCRBY', A .. 'c', 'reactions', -1)
      redis.call('HSET', A .. 'r', reader, current .. '|r')
      undo[#undo + 1] = mood
      undo[#undo + 1] = ARGV[i + 2]
    end
  end
  return restored, undo
end

-- :: rank
local function restore_readers_rank(undo)
  local id, scopes, frac, now = ARGV[2], split(ARGV[3], ','), ARGV[4], tonumber(ARGV[5])
  for i = 1, #undo, 2 do
    bump(id, undo[i], scopes, tonumber(undo[i + 1]), -1, frac, true, nil, now)
    bump(id, 'reactions', scopes, tonumber(undo[i + 1]), -1, frac, true, nil, now)
  end
end

-- :: whole
local restored, undo = restore_readers_article()
restore_readers_rank(undo)
return {restored, undo}

-- :: article_only
local restored, undo = restore_readers_article()
return {restored, undo}

-- :: rank_only
local undo = {}
for i = 6, #ARGV do undo[#undo + 1] = ARGV[i] end
restore_readers_rank(undo)
return 1
