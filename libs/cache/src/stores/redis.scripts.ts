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

/** KEYS[1] = entry, KEYS[2..] = its tag keys; ARGV[1] = encoded entry, ARGV[2] = ms to keep it. */
export const SET_TAGGED_ENTRY = new LuaScript(`${KEEP_TAGS}
keep_tags(2, ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

/** KEYS = tag keys; ARGV[1] = ms to keep them. Used on a Cluster, one slot at a time. */
export const KEEP_TAG_KEYS = new LuaScript(`${KEEP_TAGS}
keep_tags(1, ARGV[1])
return 1`);

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

/** KEYS[1] = lock; ARGV[1] = token. Deletes the lock only if the token still holds it. */
export const RELEASE_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);
