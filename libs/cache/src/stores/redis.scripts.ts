import { LuaScript } from '../redis/lua-script';

/**
 * Keeps each tag key (KEYS) alive at least ARGV[1] ms, creating it with 0 ("never invalidated"),
 * so a tag's invalidation time outlives every entry that carries the tag.
 */
const KEEP_TAGS = `
local function keep_tags(first, ms)
  for i = first, #KEYS do
    if redis.call('SET', KEYS[i], '0', 'NX', 'PX', ms) == false and redis.call('PTTL', KEYS[i]) < tonumber(ms) then
      redis.call('PEXPIRE', KEYS[i], ms)
    end
  end
end
`;

/**
 * An entry key holds an encoded entry (it starts with `[createdAt,`), an eviction mark `~at` left
 * by a delete (epoch ms), or nothing. `changed_since(key, t)` tells whether it was evicted at or
 * after `t`, or holds an entry created after `t`: then a value loaded from `t` on is out of date.
 */
const CHANGED_SINCE = `
local function changed_since(key, t)
  local head = redis.call('GETRANGE', key, 0, 24)
  local kind = string.byte(head, 1)
  if kind == 126 then return (tonumber(string.sub(head, 2)) or 0) >= t end
  if kind == 91 then return (tonumber(string.match(head, '^%[(%d+)')) or 0) > t end
  return false
end
`;

/**
 * KEYS[1] = entry, KEYS[2..] = its tag keys; ARGV[1] = encoded entry, ARGV[2] = ms to keep it,
 * ARGV[3] = for a loaded value, when its load began (epoch ms), else ''. A loaded value is not
 * stored over a change made since its load began: `CHANGED_SINCE`, or one of its tags
 * invalidated at or after then. Returns 1 if stored, else 0.
 */
export const SET_ENTRY = new LuaScript(`${KEEP_TAGS}${CHANGED_SINCE}
if ARGV[3] ~= '' then
  local since = tonumber(ARGV[3])
  if changed_since(KEYS[1], since) then return 0 end
  for i = 2, #KEYS do
    if (tonumber(redis.call('GET', KEYS[i])) or 0) >= since then return 0 end
  end
end
keep_tags(2, ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

/**
 * KEYS = entry keys; ARGV[1] = when (epoch ms), ARGV[2] = ms to keep the marks, ARGV[3] = '1' to
 * mark only the keys that hold a value (a pattern delete), '' to mark every key (a delete: a load
 * of a missing key may be under way). Replaces each value with the eviction mark `~when`, keeping a
 * later mark. Returns how many values it replaced.
 */
export const MARK_EVICTED = new LuaScript(`
local replaced = 0
for _, key in ipairs(KEYS) do
  local head = redis.call('GETRANGE', key, 0, 24)
  local mark = string.byte(head, 1) == 126
  if head ~= '' and not mark then replaced = replaced + 1 end
  local write = not mark or (ARGV[3] ~= '1' and (tonumber(string.sub(head, 2)) or 0) < tonumber(ARGV[1]))
  if write and (head ~= '' or ARGV[3] ~= '1') then
    -- UNLINK first: a large value is then freed in the background, as a plain UNLINK would.
    if head ~= '' and not mark then redis.call('UNLINK', key) end
    redis.call('SET', key, '~' .. ARGV[1], 'PX', ARGV[2])
  end
end
return replaced`);

/**
 * KEYS[1] = a tag key; ARGV[1] = ms to keep it. Used on a Cluster, one slot at a time. Returns the
 * tag's invalidation time ('0': never).
 */
export const KEEP_TAG_KEYS = new LuaScript(`${KEEP_TAGS}
keep_tags(1, ARGV[1])
return redis.call('GET', KEYS[1])`);

/**
 * KEYS = tag keys; ARGV[1] = invalidation time (epoch ms), ARGV[2] = minimum ms to remember it.
 * The time only moves forward, and is remembered at least as long as any entry carrying the tag.
 */
export const INVALIDATE_TAGS = new LuaScript(`
for _, key in ipairs(KEYS) do
  local at = math.max(tonumber(redis.call('GET', key)) or 0, tonumber(ARGV[1]))
  local ttl = math.max(redis.call('PTTL', key), tonumber(ARGV[2]))
  redis.call('SET', key, string.format('%d', at), 'PX', ttl)
end
return #KEYS`);

/**
 * KEYS[1] = lock; ARGV[1] = this caller's value (`token@askedAt+ttl`), ARGV[2] = ttl (ms),
 * ARGV[3] = now (ms, the caller's clock), ARGV[4] = late (ms). Takes the lock when it is free; when
 * it is fenced (`!token`, see `FENCE_LOCK`) by another token than this caller's; or when it is held
 * by a lock that landed more than `late` ms after its holder asked for it: that holder's call had
 * timed out, so it loads without the lock and no value of its will come (a Cluster client retries
 * a command on its own, even after its caller gave up on it). 1 if taken.
 */
export const TAKE_LOCK = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
local held = redis.call('GET', KEYS[1])
if string.sub(held, 1, 1) == '!' then
  if string.sub(ARGV[1], 1, #held) == string.sub(held, 2) .. '@' then return 0 end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
local asked, ttl = string.match(held, '@(%d+)%+(%d+)$')
if not asked then return 0 end
local landed = tonumber(ARGV[3]) - (tonumber(ttl) - redis.call('PTTL', KEYS[1]))
if landed - tonumber(asked) <= tonumber(ARGV[4]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

/**
 * KEYS[1] = lock; ARGV[1] = token, ARGV[2] = ttl (ms). For a lock whose call got no answer: when
 * the lock is free or held by the token, leaves a fence (`!token`) for `ttl` ms in its place. The
 * token's own call, should a client's retry still land, then does not take the lock, where a
 * plain release would have let it in afterwards for the whole lock time. Others take the fence
 * over at once (`TAKE_LOCK`). 1 if fenced.
 */
export const FENCE_LOCK = new LuaScript(`
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, #ARGV[1] + 1) ~= ARGV[1] .. '@' then return 0 end
redis.call('SET', KEYS[1], '!' .. ARGV[1], 'PX', ARGV[2])
return 1`);

/**
 * KEYS[1] = lock; ARGV[1] = token, ARGV[2] = its new value (`token@now+ttl`), ARGV[3] = ttl (ms).
 * Renews the lock for `ttl` ms only if the token still holds it; the new value dates the renewal,
 * so `TAKE_LOCK` reads a renewed lock as one that landed on time. 1 if renewed.
 */
export const EXTEND_LOCK = new LuaScript(`
local held = redis.call('GET', KEYS[1])
if not held or string.sub(held, 1, #ARGV[1] + 1) ~= ARGV[1] .. '@' then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`);

/** KEYS[1] = lock; ARGV[1] = token. Deletes the lock only if the token still holds it. */
export const RELEASE_LOCK = new LuaScript(`
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, #ARGV[1] + 1) == ARGV[1] .. '@' then
  return redis.call('DEL', KEYS[1])
end
return 0`);
