import { LuaScript } from '../redis/lua-script';

/**
 * Checks hits against every limit of their request and counts each one, only if all its limits
 * admit it, against all of them: one script for a whole batch of hits (the store sends the hits of
 * one event-loop pass together), so one round trip, and atomic, so concurrent requests can never
 * both take the last slot. The hits of a batch are decided one after the other, in order, exactly
 * as if each had been sent alone. Time is the server's (`TIME`, read once per batch), so instances
 * with skewed clocks agree.
 *
 * ARGV: per hit, a member unique to that hit, then its algorithm ('sliding-window' |
 * 'fixed-window') followed by limit, window ms and blockFor ms (0 = none) of each of its limits,
 * separated by spaces: two arguments per hit whatever its number of limits. KEYS: per hit, per
 * limit in order, its hits, then its block only when it has a `blockFor`. On a Cluster every key
 * of one call must share a hash tag (the store batches per tracker there).
 * Replies one flat array, per hit in order: allowed (1 | 0), retry-after ms (0 when allowed), then
 * remaining and reset ms per limit; or, in place of those, the error Redis raised for that hit
 * alone (one string), so one tracker's unusable key (say, overwritten with another type) fails no
 * other hit of the batch.
 *
 * sliding-window keeps a log of the admitted hits (a sorted set scored by server time in µs) and
 * admits a hit only if fewer than `limit` hits lie in the `window` before it. That is exact: no
 * interval of length `window` ever holds more than `limit` admitted hits. Approximations (a
 * weighted pair of fixed counters) can admit up to twice the limit around a window edge; the log
 * costs one member per admitted hit, bounded by `limit` per tracker and limit. Hits of one batch
 * share a timestamp; their members differ.
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
local function int(x) return string.format('%d', x) end
local function ms(us) return math.ceil(us / 1000) end
local nowText = int(now)
-- Per window length (µs), shared by a batch's hits: the score before which a logged hit has left
-- the sliding window, and the start of the current fixed window (as a number and as text).
local cutoffs, starts, startTexts = {}, {}, {}
local function cutoff(window)
  local text = cutoffs[window]
  if not text then
    text = int(now - window)
    cutoffs[window] = text
  end
  return text
end
local function windowStart(window)
  local start = starts[window]
  if not start then
    start = now - now % window
    starts[window], startTexts[window] = start, int(start)
  end
  return start, startTexts[window]
end

-- What this call has learnt of each counter key: the first hit of a tracker in a batch trims and
-- reads it; the next ones (a burst of one client) reuse that and only write. Nothing but this
-- script touches the key meanwhile, and every value is updated after each write that changes it.
local known = {}
local function counter(key, sliding, window)
  local state = known[key]
  if state then return state end
  state = { count = 0 }
  if sliding then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff(window))
    state.count = redis.call('ZCARD', key)
    if state.count > 0 then
      state.oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
    end
  else
    state.start, state.startText = windowStart(window)
    local stored = redis.call('HMGET', key, 'w', 'n')
    if stored[1] == state.startText then state.count = tonumber(stored[2]) end
  end
  known[key] = state
  return state
end

-- A hit's figures per limit, written afresh for limits 1..n by every hit before it reads them:
-- tables made once per call, not per hit (each Lua table costs Redis about as much as a command).
local count, reset, wait, over, states = {}, {}, {}, {}, {}
-- The call's reply, one flat array (a nested one costs Redis more to convert).
local replies = {}

-- One hit against the limits of its spec (parsed below); writes its reply into replies from index
-- at on, once every command of the hit has succeeded.
local function hit(member, spec, hitsKey, blockKey, at)
  local sliding, n, limit, windowMs, blockFor = spec.sliding, spec.n, spec.limit, spec.windowMs, spec.blockFor
  local allowed = true
  for i = 1, n do
    local hits, window = hitsKey[i], windowMs[i] * 1000
    local state = counter(hits, sliding, window)
    local c, r, w = state.count, 0, 0
    if sliding then
      if c > 0 then
        r = state.oldest + window - now
        if c >= limit[i] then
          -- the hit whose leaving brings the count below the limit (admitted hits of this call
          -- are the newest, so the ones before it never move)
          local at = c - limit[i]
          if state.waitAt ~= at then
            state.waitAt = at
            state.leaves = tonumber(redis.call('ZRANGE', hits, at, at, 'WITHSCORES')[2])
          end
          w = state.leaves + window - now
        end
      end
    else
      r = state.start + window - now
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
    count[i], reset[i], wait[i], states[i] = c, r, w, state
  end

  if allowed then
    for i = 1, n do
      local hits, state = hitsKey[i], states[i]
      if sliding then
        redis.call('ZADD', hits, nowText, member)
        -- every hit of this call expires the key alike: once is enough
        if not state.expires then
          redis.call('PEXPIRE', hits, windowMs[i])
          state.expires = true
        end
        if count[i] == 0 then
          reset[i] = windowMs[i] * 1000
          state.oldest = now
        end
      elseif count[i] == 0 then
        redis.call('HSET', hits, 'w', state.startText, 'n', 1)
        redis.call('PEXPIRE', hits, ms(reset[i]))
      else
        redis.call('HINCRBY', hits, 'n', 1)
      end
      state.count = count[i] + 1
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
  replies[at] = allowed and 1 or 0
  for i = 1, n do
    local remaining = limit[i] - count[i]
    if over[i] then
      retry = math.max(retry, wait[i])
      remaining = 0
    end
    replies[at + 2 * i] = math.max(0, remaining)
    replies[at + 2 * i + 1] = ms(reset[i])
  end
  replies[at + 1] = allowed and 0 or math.max(1, ms(retry))
end

-- The hits of a batch mostly share their limits: each distinct spec is parsed once.
local specs = {}
local function parse(text)
  local words = {}
  for word in string.gmatch(text, '%S+') do words[#words + 1] = word end
  local spec = { sliding = words[1] == 'sliding-window', n = (#words - 1) / 3,
    limit = {}, windowMs = {}, blockFor = {} }
  for i = 1, spec.n do
    spec.limit[i] = tonumber(words[3 * i - 1])
    spec.windowMs[i] = tonumber(words[3 * i])
    spec.blockFor[i] = tonumber(words[3 * i + 1])
  end
  specs[text] = spec
  return spec
end

local hitsKey, blockKey = {}, {}
local k, at = 1, 1
for h = 1, #ARGV / 2 do
  local spec = specs[ARGV[2 * h]] or parse(ARGV[2 * h])
  for i = 1, spec.n do
    hitsKey[i] = KEYS[k]
    k = k + 1
    if spec.blockFor[i] > 0 then
      blockKey[i] = KEYS[k]
      k = k + 1
    else
      blockKey[i] = false
    end
  end
  local ok, err = pcall(hit, ARGV[2 * h - 1], spec, hitsKey, blockKey, at)
  if ok then
    at = at + 2 + 2 * spec.n
  else
    replies[at] = type(err) == 'table' and err.err or tostring(err)
    at = at + 1
  end
end
return replies`);
