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

-- What a run knows of a session's counters, read once and written back once (flush), so that a
-- message costs its XADD and little else: s -> {hash, seq, acked, dirty, subs = sid -> {ok, n, nb,
-- d, dirty}}. An op that changes these fields otherwise (subscribe, unsubscribe, ack, end, create)
-- flushes the session's first.
local cache = {}
local function state(s)
  local c = cache[s]
  if not c then
    local hash = hashOf(s)
    local v = redis.call('HMGET', hash, 'seq', 'acked')
    c = {hash = hash, seq = tonumber(v[1] or '0'), acked = tonumber(v[2] or '0'), dirty = false, subs = {}}
    cache[s] = c
  end
  return c
end
local function subState(c, sid)
  local x = c.subs[sid]
  if not x then
    local v = redis.call('HMGET', c.hash, 'sub:' .. sid, 'n:' .. sid, 'nb:' .. sid, 'd:' .. sid)
    x = {ok = v[1] and true or false, n = tonumber(v[2] or '0'), nb = tonumber(v[3] or '0'),
         d = tonumber(v[4] or '0'), dirty = false}
    c.subs[sid] = x
  end
  return x
end
local function flush(s)
  local c = cache[s]
  if not c then
    return
  end
  cache[s] = nil
  if c.dirty then
    redis.call('HSET', c.hash, 'seq', int(c.seq))
  end
  for sid, x in pairs(c.subs) do
    if x.dirty and x.ok then
      redis.call('HSET', c.hash, 'n:' .. sid, int(x.n), 'nb:' .. sid, int(x.nb))
      if x.d > 0 then
        redis.call('HSET', c.hash, 'd:' .. sid, int(x.d))
      else
        redis.call('HDEL', c.hash, 'd:' .. sid)
      end
    end
  end
end

-- Numbers a frame, logs it and rings the owner's bell.
local function append(s, c, k, sid, b, o, ob)
  c.seq = c.seq + 1
  c.dirty = true
  local q = int(c.seq)
  if o then
    redis.call('XADD', c.hash .. ':log', q .. '-1', 'k', k, 'i', sid, 'b', b, 'o', o, 'ob', ob)
  else
    redis.call('XADD', c.hash .. ':log', q .. '-1', 'k', k, 'i', sid, 'b', b)
  end
  ring(s, q, k, sid, b)
end

-- Frames the session's log may still take before its bound.
local function room(c)
  return maxFrames - (c.seq - c.acked)
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
    cache[s] = nil
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
    applied = applied + 1
    if owner(s) then
      local x = subState(state(s), ARGV[a + 1])
      if x.ok then
        x.d = x.d + tonumber(ARGV[a + 2])
        x.dirty = true
      end
    end
  elseif op == 'M' or op == 'N' then
    if not originOk(ARGV[a], ARGV[a + 1]) then
      rejected = rejected + 1
    else
      applied = applied + 1
      local s = ARGV[a + 2]
      if op == 'N' then
        if owner(s) then
          local c = state(s)
          if room(c) > 0 then
            append(s, c, 'N', '0', ARGV[a + 3])
          end
        end
      else
        local sid = ARGV[a + 3]
        local c = owner(s) and state(s)
        local x = c and subState(c, sid)
        if x and x.ok then
          local free = room(c)
          x.dirty = true
          if free <= 0 then
            x.d = x.d + 1
          else
            local dropped = x.d
            x.d = 0
            if dropped > 0 and free == 1 then
              -- Room for one frame only: the GAP takes it, and tells this message as dropped too.
              append(s, c, 'G', sid, int(dropped + 1))
            else
              if dropped > 0 then
                append(s, c, 'G', sid, int(dropped))
              end
              append(s, c, 'M', sid, ARGV[a + 5], int(x.n), int(x.nb))
              x.n = x.n + 1
              x.nb = x.nb + tonumber(ARGV[a + 4])
            end
          end
        end
      end
    end
  else
    -- The guarded ops: only the session's current owner incarnation may change it.
    local s = ARGV[a]
    local hash = hashOf(s)
    if op ~= 'T' and op ~= 'I' then
      flush(s) -- they read or change the counters a run keeps (E deletes them: written for nothing)
    end
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

for s, _ in pairs(cache) do
  flush(s)
end
for _, node in ipairs(bellNodes) do
  redis.call('XADD', P .. 'in:' .. node, 'MAXLEN', '~', bellMaxLen, '*', 'd', table.concat(bells[node]))
end
return {applied, rejected, 0}
