-- A node claims a durable session (DurableStore.claim): checks the resume token and the client's
-- last received frame number, then makes this node incarnation the owner. Every key shares the hash
-- tag {conduit} (one Redis Cluster slot): names are built from ARGV; KEYS[1] ({conduit}:dsessions)
-- is declared only to route the call there.
--
-- ARGV: S, token hash, clientLast, myNode, myEpoch.
-- Returns {'ok', field, value, ...} (the session's hash after the switch), or {'missing'},
-- {'token'}, {'ahead', seq} or {'gone', acked}. Numbers are below 2^53 (exact as Lua doubles).
local hash = '{conduit}:ds:' .. ARGV[1]
local v = redis.call('HMGET', hash, 'tok', 'seq', 'acked')
if not v[2] then
  return {'missing'}
end
if v[1] ~= ARGV[2] then
  return {'token'}
end
local last = tonumber(ARGV[3])
if last > tonumber(v[2]) then
  return {'ahead', v[2]}
end
if last < tonumber(v[3]) then
  return {'gone', v[3]}
end
redis.call('HSET', hash, 'node', ARGV[4], 'own', ARGV[5])
redis.call('HDEL', hash, 'orphan')
redis.call('PUBLISH', '{conduit}:hints', 'd:' .. ARGV[1])
local r = redis.call('HGETALL', hash)
table.insert(r, 1, 'ok')
return r
