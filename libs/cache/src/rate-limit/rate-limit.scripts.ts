import { LuaScript } from '../redis/lua-script';

/**
 * Checks hits against every limit of their request and counts each one, only if all its limits
 * admit it, against all of them: one script for a whole batch of hits (the store sends the hits of
 * one event-loop pass together), so one round trip, and atomic, so concurrent requests can never
 * both take the last slot. The hits of a batch are decided one after the other, in order, exactly
 * as if each had been sent alone. Time is the server's (`TIME`, read once per batch), so instances
 * with skewed clocks agree.
 *
 * ARGV: per hit, its algorithm ('sliding-window' | 'fixed-window') followed by limit, window ms
 * and blockFor ms (0 = none) of each of its limits, separated by spaces: one argument per hit
 * whatever its number of limits. KEYS: per hit, per
 * limit in order, its hits, then its block only when it has a `blockFor`. On a Cluster every key
 * of one call must share a hash tag (the store batches per tracker there).
 * Replies one flat array, per hit in order: allowed (1 | 0), retry-after ms (0 when allowed), then
 * remaining and reset ms per limit; or, in place of those, the error Redis raised for that hit
 * alone (one string), so one tracker's unusable key (say, overwritten with another type) fails no
 * other hit of the batch.
 *
 * sliding-window keeps a log of the admitted hits (a list of their server times in µs, oldest
 * first) and admits a hit only if fewer than `limit` hits lie in the `window` before it. That is
 * exact: no interval of length `window` ever holds more than `limit` admitted hits (as long as the
 * Redis server's clock does not step back). Approximations (a weighted pair of fixed counters) can
 * admit up to twice the limit around a window edge; the log costs one entry per admitted hit
 * (about 10 bytes), bounded by `limit` per tracker and limit. A list rather than a sorted set:
 * appending and trimming at its ends cost Redis less, and its entries a tenth of the memory. Each
 * call trims the hits that have left the window from the head, found by galloping then bisecting
 * from there (mostly one or two have left since the last call).
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
local nowText = string.format('%d', now)

-- What this call has learnt of each counter key: the first hit of a tracker in a batch trims and
-- reads it; the next ones (a burst of one client) reuse that and only write. Nothing but this
-- script touches the key meanwhile, and every value is updated after each write that changes it.
local known = {}
-- Each distinct spec of the call, parsed once: per limit i, spec[4i-3..4i] hold its limit, window
-- ms, blockFor ms and the offset of its counter key among the hit's keys (its block key follows).
local specs = {}
-- A hit's figures per limit, written afresh for limits 1..n by every hit before it reads them:
-- made once per call and sized for two limits (a Lua table costs Redis more each time it grows).
local count, reset, wait, over, states = { 0, 0 }, { 0, 0 }, { 0, 0 }, { false, false }, { false, false }
-- The call's reply, one flat array (a nested one costs Redis more to convert).
local replies = {}

-- One hit against the limits of its spec; its keys start at KEYS[k]. Writes its reply into
-- replies from index at on, once every command of the hit has succeeded. The script's only
-- function (Redis makes every closure anew on each call), so each limit's steps are inline.
local function hit(spec, k, at)
  local sliding, n = spec.sliding, spec.n
  local allowed = true
  for i = 1, n do
    local limit, window, key = spec[4 * i - 3], spec[4 * i - 2] * 1000, KEYS[k + spec[4 * i]]
    local state = known[key]
    if not state then
      if sliding then
        -- first: the index of the oldest hit still in the window (size when none is), oldest: its time
        local cutoff, size = now - window, redis.call('LLEN', key)
        local first, oldest = size, false
        if size > 0 then
          local head = tonumber(redis.call('LINDEX', key, 0))
          if head > cutoff then
            first, oldest = 0, head
          else
            -- lo has left the window; hi is in it, or is size. Gallop from the head, then bisect.
            local lo, hi, step = 0, size, 1
            while lo + step < hi do
              local t = tonumber(redis.call('LINDEX', key, lo + step))
              if t > cutoff then
                hi, oldest = lo + step, t
                break
              end
              lo, step = lo + step, step * 2
            end
            while hi - lo > 1 do
              local mid = math.floor((lo + hi) / 2)
              local t = tonumber(redis.call('LINDEX', key, mid))
              if t > cutoff then hi, oldest = mid, t else lo = mid end
            end
            first = hi
            if first == size then redis.call('DEL', key) else redis.call('LTRIM', key, first, -1) end
          end
        end
        state = { count = size - first, oldest = oldest, waitAt = false, leaves = false, expires = false }
      else
        local start = now - now % window
        local startText = string.format('%d', start)
        local stored = redis.call('HMGET', key, 'w', 'n')
        state = { count = stored[1] == startText and tonumber(stored[2]) or 0, start = start,
          startText = startText }
      end
      known[key] = state
    end
    local c, r, w = state.count, 0, 0
    if sliding then
      if c > 0 then
        r = state.oldest + window - now
        if c >= limit then
          -- the hit whose leaving brings the count below the limit (admitted hits of this call
          -- are appended after it, so its index never moves)
          local at = c - limit
          if state.waitAt ~= at then
            state.waitAt = at
            state.leaves = tonumber(redis.call('LINDEX', key, at))
          end
          w = state.leaves + window - now
        end
      end
    else
      r = state.start + window - now
      if c >= limit then w = r end
    end
    over[i] = c >= limit
    if spec[4 * i - 1] > 0 then
      local blocked = redis.call('PTTL', KEYS[k + spec[4 * i] + 1])
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
      local windowMs, key, state = spec[4 * i - 2], KEYS[k + spec[4 * i]], states[i]
      if sliding then
        redis.call('RPUSH', key, nowText)
        -- every hit of this call expires the key alike: once is enough
        if not state.expires then
          redis.call('PEXPIRE', key, windowMs)
          state.expires = true
        end
        if count[i] == 0 then
          reset[i] = windowMs * 1000
          state.oldest = now
        end
      elseif count[i] == 0 then
        redis.call('HSET', key, 'w', state.startText, 'n', 1)
        redis.call('PEXPIRE', key, math.ceil(reset[i] / 1000))
      else
        redis.call('HINCRBY', key, 'n', 1)
      end
      count[i] = count[i] + 1
      state.count = count[i]
    end
  else
    for i = 1, n do
      local blockFor = spec[4 * i - 1]
      if over[i] and blockFor > 0
        and redis.call('SET', KEYS[k + spec[4 * i] + 1], '1', 'PX', blockFor, 'NX') then
        wait[i] = math.max(wait[i], blockFor * 1000)
        reset[i] = math.max(reset[i], blockFor * 1000)
      end
    end
  end

  local retry = 0
  replies[at] = allowed and 1 or 0
  for i = 1, n do
    local remaining = spec[4 * i - 3] - count[i]
    if over[i] then
      retry = math.max(retry, wait[i])
      remaining = 0
    end
    replies[at + 2 * i] = math.max(0, remaining)
    replies[at + 2 * i + 1] = math.ceil(reset[i] / 1000)
  end
  replies[at + 1] = allowed and 0 or math.max(1, math.ceil(retry / 1000))
end

local k, at = 1, 1
for h = 1, #ARGV do
  local text = ARGV[h]
  local spec = specs[text]
  if not spec then
    spec = { sliding = string.find(text, 'sliding-window ', 1, true) == 1, n = 0, keys = 0 }
    for limit, windowMs, blockFor in string.gmatch(text, ' (%S+) (%S+) (%S+)') do
      local i = spec.n + 1
      spec[4 * i - 3], spec[4 * i - 2], spec[4 * i - 1] = tonumber(limit), tonumber(windowMs),
        tonumber(blockFor)
      spec[4 * i] = spec.keys
      spec.n, spec.keys = i, spec.keys + (spec[4 * i - 1] > 0 and 2 or 1)
    end
    specs[text] = spec
  end
  local ok, err = pcall(hit, spec, k, at)
  k = k + spec.keys
  if ok then
    at = at + 2 + 2 * spec.n
  else
    replies[at] = type(err) == 'table' and err.err or tostring(err)
    at = at + 1
  end
end
return replies`);
