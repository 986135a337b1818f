-- One send round of a node, applied to the durable sessions at once (DurableStore.apply, which
-- documents the keys and the ops). Every key shares the hash tag {conduit}, so all of them are in
-- one Redis Cluster slot: their names are built here from ARGV, and KEYS[1] ({conduit}:dsessions)
-- is declared only so that a cluster sends the call to that slot.
--
-- ARGV: myNode, myEpoch, round, maxFrames, bellMaxLen, then ops (a code and its arguments).
-- Frame numbers, counts and rounds are below 2^53, exact as Lua numbers (doubles) and written back
-- with %d; epochs are not (up to 2^63) and are only ever compared as strings.
-- Returns {applied, rejected, duplicate}: ops done (including those that found their session or
-- subscription gone and did nothing), ops dropped by a guard, and 1 if this round was applied before.
local P = '{conduit}:'
local me, myEpoch = ARGV[1], ARGV[2]
local round = tonumber(ARGV[3])
local maxFrames = tonumber(ARGV[4])
local bellMaxLen = ARGV[5]
local ARITY = {C = 5, T = 2, S = 4, U = 3, M = 6, N = 4, A = 2, E = 1, I = 2, L = 3}

-- The ops are checked whole before anything is written: Redis keeps what a failing script wrote.
local i = 6
while i <= #ARGV do
  local n = ARITY[ARGV[i]]
  if not n then
    return redis.error_reply('ERR durable round: unknown op at argument ' .. i)
  end
  i = i + 1 + n
end
if i ~= #ARGV + 1 or not round or not maxFrames then
  return redis.error_reply('ERR durable round: malformed arguments')
end

-- Lettuce sends a command again when its reply was lost: a round already applied is not applied twice.
local roundKey = P .. 'dround:' .. me .. ':' .. myEpoch
local last = redis.call('GET', roundKey)
if last and tonumber(last) >= round then
  return {0, 0, 1}
end
redis.call('SET', roundKey, ARGV[3], 'EX', 86400)

local function int(x)
  return string.format('%d', x)
end
local function hashOf(s)
  return P .. 'ds:' .. s
end

-- Owners read once per run: S -> {node, epoch}, or false when the session is gone.
local owners = {}
local function owner(s)
  local o = owners[s]
  if o == nil then
    local v = redis.call('HMGET', hashOf(s), 'node', 'own')
    if v[1] and v[2] then o = {v[1], v[2]} else o = false end
    owners[s] = o
  end
  return o
end
local function mine(s)
  local o = owner(s)
  return o and o[1] == me and o[2] == myEpoch
end

-- field = max(field, value), value a decimal string
local function raise(hash, field, value)
  local cur = redis.call('HGET', hash, field)
  if not cur or tonumber(value) > tonumber(cur) then
    redis.call('HSET', hash, field, value)
  end
end
local function hint(s)
  redis.call('PUBLISH', P .. 'hints', 'd:' .. s)
end

-- Bell records per owner node, in the order the nodes were first met; one XADD each at the end.
local bells, bellNodes = {}, {}
local function u32(x)
  return struct.pack('>I4', #x) .. x
end
local function ring(s, q, k, sid, b)
  local node = owner(s)[1]
  local parts = bells[node]
  if not parts then
    parts = {}
    bells[node] = parts
    bellNodes[#bellNodes + 1] = node
  end
  parts[#parts + 1] = u32(s) .. u32(q) .. u32(k) .. u32(sid) .. u32(b)
end

-- Numbers a frame, logs it and rings the owner's bell.
local function append(s, hash, k, sid, b, o, ob)
  local q = int(redis.call('HINCRBY', hash, 'seq', 1))
  if o then
    redis.call('XADD', hash .. ':log', q .. '-1', 'k', k, 'i', sid, 'b', b, 'o', o, 'ob', ob)
  else
    redis.call('XADD', hash .. ':log', q .. '-1', 'k', k, 'i', sid, 'b', b)
  end
  ring(s, q, k, sid, b)
end

-- Frames the session's log may still take before its bound.
local function room(hash)
  local v = redis.call('HMGET', hash, 'seq', 'acked')
  return maxFrames - (tonumber(v[1] or '0') - tonumber(v[2] or '0'))
end

-- The origin guard of M and N: a message published by a durable session counts as that session's
-- client frame oseq, processed; only its owner may say so.
local function originOk(origin, oseq)
  if origin == '' then
    return true
  end
  if not mine(origin) then
    return false
  end
  raise(hashOf(origin), 'in', oseq)
  return true
end

local applied, rejected = 0, 0
i = 6
while i <= #ARGV do
  local op = ARGV[i]
  local a = i + 1
  i = a + ARITY[op]
  if op == 'C' then
    local s = ARGV[a]
    local hash = hashOf(s)
    redis.call('DEL', hash, hash .. ':log')
    redis.call('HSET', hash, 'node', me, 'own', myEpoch, 'inbox', ARGV[a + 1], 'principal', ARGV[a + 2],
        'name', ARGV[a + 3], 'tok', ARGV[a + 4], 'in', '0', 'seq', '0', 'acked', '0')
    redis.call('SADD', P .. 'dsessions', s)
    owners[s] = {me, myEpoch}
    hint(s)
    applied = applied + 1
  elseif op == 'L' then
    -- Messages for a subscription its node could not queue (its send queue at the bound): told
    -- with a GAP before the subscription's next message, as drops at the log's bound are.
    local s = ARGV[a]
    local hash = hashOf(s)
    applied = applied + 1
    if owner(s) and redis.call('HEXISTS', hash, 'sub:' .. ARGV[a + 1]) == 1 then
      redis.call('HINCRBY', hash, 'd:' .. ARGV[a + 1], ARGV[a + 2])
    end
  elseif op == 'M' or op == 'N' then
    if not originOk(ARGV[a], ARGV[a + 1]) then
      rejected = rejected + 1
    else
      applied = applied + 1
      local s = ARGV[a + 2]
      local hash = hashOf(s)
      if op == 'N' then
        if owner(s) and room(hash) > 0 then
          append(s, hash, 'N', '0', ARGV[a + 3])
        end
      else
        local sid = ARGV[a + 3]
        if owner(s) and redis.call('HEXISTS', hash, 'sub:' .. sid) == 1 then
          local free = room(hash)
          if free <= 0 then
            redis.call('HINCRBY', hash, 'd:' .. sid, 1)
          else
            local dropped = tonumber(redis.call('HGET', hash, 'd:' .. sid) or '0')
            if dropped > 0 then
              redis.call('HDEL', hash, 'd:' .. sid)
            end
            if dropped > 0 and free == 1 then
              -- Room for one frame only: the GAP takes it, and tells this message as dropped too.
              append(s, hash, 'G', sid, int(dropped + 1))
            else
              if dropped > 0 then
                append(s, hash, 'G', sid, int(dropped))
              end
              local nv = redis.call('HMGET', hash, 'n:' .. sid, 'nb:' .. sid)
              append(s, hash, 'M', sid, ARGV[a + 5], nv[1] or '0', nv[2] or '0')
              redis.call('HINCRBY', hash, 'n:' .. sid, 1)
              redis.call('HINCRBY', hash, 'nb:' .. sid, ARGV[a + 4])
            end
          end
        end
      end
    end
  else
    -- The guarded ops: only the session's current owner incarnation may change it.
    local s = ARGV[a]
    local hash = hashOf(s)
    if not mine(s) then
      rejected = rejected + 1
    else
      applied = applied + 1
      if op == 'T' then
        redis.call('HSET', hash, 'tok', ARGV[a + 1])
      elseif op == 'I' then
        raise(hash, 'in', ARGV[a + 1])
      elseif op == 'S' then
        raise(hash, 'in', ARGV[a + 1])
        redis.call('HSET', hash, 'sub:' .. ARGV[a + 2], ARGV[a + 3])
        hint(s)
      elseif op == 'U' then
        local sid = ARGV[a + 2]
        raise(hash, 'in', ARGV[a + 1])
        redis.call('HDEL', hash, 'sub:' .. sid, 'n:' .. sid, 'nb:' .. sid, 'd:' .. sid)
        hint(s)
      elseif op == 'A' then
        local v = redis.call('HMGET', hash, 'seq', 'acked')
        local acked = tonumber(ARGV[a + 1])
        if acked > tonumber(v[2]) and acked <= tonumber(v[1]) then
          redis.call('HSET', hash, 'acked', ARGV[a + 1])
          redis.call('XTRIM', hash .. ':log', 'MINID', int(acked + 1) .. '-0')
        end
      else -- E
        redis.call('DEL', hash, hash .. ':log')
        redis.call('SREM', P .. 'dsessions', s)
        owners[s] = false
        hint(s)
      end
    end
  end
end

for _, node in ipairs(bellNodes) do
  redis.call('XADD', P .. 'in:' .. node, 'MAXLEN', '~', bellMaxLen, '*', 'd', table.concat(bells[node]))
end
return {applied, rejected, 0}
