import { LuaScript } from '../redis/lua-script';

/**
 * Checks one hit against every limit of a request and, only if all of them admit it, counts it
 * against all of them: one script, so one round trip, and atomic, so concurrent requests can never
 * both take the last slot. Time is the server's (`TIME`), so instances with skewed clocks agree.
 *
 * KEYS: per limit, in order, its hits, then its block only when it has a `blockFor`; all share one
 * hash tag (the tracker). ARGV[1] = a member unique to this hit; ARGV[2] = the algorithm
 * ('sliding-window' | 'fixed-window') followed by limit, window ms and blockFor ms (0 = none) of
 * each limit, separated by spaces: two arguments whatever the number of limits.
 * Replies { allowed (1 | 0), retry-after ms (0 when allowed), then remaining and reset ms per limit }.
 *
 * sliding-window keeps a log of the admitted hits (a sorted set scored by server time in µs) and
 * admits a hit only if fewer than `limit` hits lie in the `window` before it. That is exact: no
 * interval of length `window` ever holds more than `limit` admitted hits. Approximations (a
 * weighted pair of fixed counters) can admit up to twice the limit around a window edge; the log
 * costs one member per admitted hit, bounded by `limit` per tracker and limit.
 *
 * fixed-window counts per window aligned to the epoch (INCR + PEXPIRE, on a hash that also holds
 * the window's start, so a counter whose expiry lags the window edge is never taken for the next).
 *
 * A hit that is over a limit with `blockFor` sets that limit's block key (NX: retries while
 * blocked do not extend it); while it lives the limit refuses every hit. Times are computed in µs
 * and formatted with %d, because Lua would print a µs timestamp in exponent notation.
 */
export const HIT_LIMITS = new LuaScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local spec = {}
for word in string.gmatch(ARGV[2], '%S+') do spec[#spec + 1] = word end
local sliding = spec[1] == 'sliding-window'
local n = (#spec - 1) / 3
local function int(x) return string.format('%d', x) end
local function ms(us) return math.ceil(us / 1000) end

local hitsKey, blockKey, limit, windowMs, blockFor = {}, {}, {}, {}, {}
local k = 1
for i = 1, n do
  limit[i] = tonumber(spec[3 * i - 1])
  windowMs[i] = tonumber(spec[3 * i])
  blockFor[i] = tonumber(spec[3 * i + 1])
  hitsKey[i] = KEYS[k]
  k = k + 1
  if blockFor[i] > 0 then
    blockKey[i] = KEYS[k]
    k = k + 1
  end
end

local count, reset, wait, over, start = {}, {}, {}, {}, {}
local allowed = true
for i = 1, n do
  local hits, window = hitsKey[i], windowMs[i] * 1000
  local c, r, w = 0, 0, 0
  if sliding then
    redis.call('ZREMRANGEBYSCORE', hits, '-inf', int(now - window))
    c = redis.call('ZCARD', hits)
    if c > 0 then
      r = tonumber(redis.call('ZRANGE', hits, 0, 0, 'WITHSCORES')[2]) + window - now
      if c >= limit[i] then
        -- the hit whose leaving brings the count below the limit
        local at = c - limit[i]
        w = tonumber(redis.call('ZRANGE', hits, at, at, 'WITHSCORES')[2]) + window - now
      end
    end
  else
    start[i] = now - now % window
    local state = redis.call('HMGET', hits, 'w', 'n')
    if state[1] == int(start[i]) then c = tonumber(state[2]) end
    r = start[i] + window - now
    if c >= limit[i] then w = r end
  end
  over[i] = c >= limit[i]
  if blockKey[i] then
    local blocked = redis.call('PTTL', blockKey[i])
    if blocked > 0 then
      over[i] = true
      w = math.max(w, blocked * 1000)
      r = math.max(r, blocked * 1000)
    end
  end
  if over[i] then allowed = false end
  count[i], reset[i], wait[i] = c, r, w
end

if allowed then
  for i = 1, n do
    local hits = hitsKey[i]
    if sliding then
      redis.call('ZADD', hits, int(now), ARGV[1])
      redis.call('PEXPIRE', hits, windowMs[i])
      if count[i] == 0 then reset[i] = windowMs[i] * 1000 end
    elseif count[i] == 0 then
      redis.call('HSET', hits, 'w', int(start[i]), 'n', 1)
      redis.call('PEXPIRE', hits, ms(reset[i]))
    else
      redis.call('HINCRBY', hits, 'n', 1)
    end
    count[i] = count[i] + 1
  end
else
  for i = 1, n do
    if over[i] and blockKey[i] and redis.call('SET', blockKey[i], '1', 'PX', blockFor[i], 'NX') then
      wait[i] = math.max(wait[i], blockFor[i] * 1000)
      reset[i] = math.max(reset[i], blockFor[i] * 1000)
    end
  end
end

local retry = 0
local reply = { allowed and 1 or 0, 0 }
for i = 1, n do
  local remaining = limit[i] - count[i]
  if over[i] then
    retry = math.max(retry, wait[i])
    remaining = 0
  end
  reply[2 * i + 1] = math.max(0, remaining)
  reply[2 * i + 2] = ms(reset[i])
end
if not allowed then reply[2] = math.max(1, ms(retry)) end
return reply`);
