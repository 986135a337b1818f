-- Sweeps durable sessions whose owner is dead (DurableStore.sweep). Every key shares the hash tag
-- {conduit} (one Redis Cluster slot): names are built from ARGV; KEYS[1] ({conduit}:dsessions) is
-- declared only to route the call there.
--
-- ARGV: nowMillis, expireAfterMillis, then triples (code, S, own) where own is the owner epoch the
-- caller read (a string; an op whose session changed owner since is skipped):
--   O  the owner is dead: mark the session orphan now, or delete it if orphan longer than expireAfter
--   L  the owner is alive (again): clear the orphan mark
--   X  the hash was missing: drop S from {conduit}:dsessions if it still is
-- Returns the number of sessions deleted.
local P = '{conduit}:'
local now = tonumber(ARGV[1])
local expireAfter = tonumber(ARGV[2])
local deleted = 0
for i = 3, #ARGV - 2, 3 do
  local code, s, own = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local hash = P .. 'ds:' .. s
  local v = redis.call('HMGET', hash, 'own', 'orphan')
  if code == 'X' then
    if not v[1] then
      redis.call('SREM', P .. 'dsessions', s)
    end
  elseif v[1] == own then
    if code == 'L' then
      redis.call('HDEL', hash, 'orphan')
    elseif not v[2] then
      redis.call('HSET', hash, 'orphan', ARGV[1])
    elseif now - tonumber(v[2]) > expireAfter then
      redis.call('DEL', hash, hash .. ':log')
      redis.call('SREM', P .. 'dsessions', s)
      redis.call('PUBLISH', P .. 'hints', 'd:' .. s)
      deleted = deleted + 1
    end
  end
end
return deleted
