import { LuaScript } from '../redis/lua-script';

/**
 * Returns the entry stored at `key`, or false when it is missing or one of its tags was invalidated
 * at or after it was created (the entry is then deleted). A tagged entry's header ends in `]]`.
 * Tag keys are read without being declared, so this runs on standalone and Sentinel, not Cluster.
 */
const READ_ENTRY = `
local function read_entry(key, tag_prefix)
  local v = redis.call('GET', key)
  if not v then return false end
  local nl = string.find(v, '\\n', 1, true)
  if not nl or nl < 3 or string.byte(v, nl - 2) ~= 93 then return v end
  local ok, h = pcall(cjson.decode, string.sub(v, 1, nl - 1))
  if not ok or type(h) ~= 'table' or type(h[3]) ~= 'table' then return v end
  local created = tonumber(h[1]) or 0
  for _, tag in ipairs(h[3]) do
    local at = tonumber(redis.call('GET', tag_prefix .. tag))
    if at and at >= created then
      redis.call('DEL', key)
      return false
    end
  end
  return v
end
`;

/** KEYS[1] = entry; ARGV[1] = tag key prefix. */
export const GET_ENTRY = new LuaScript(`${READ_ENTRY}
return read_entry(KEYS[1], ARGV[1])`);

/** KEYS = entries; ARGV[1] = tag key prefix. Replies with one element per key. */
export const GET_ENTRIES = new LuaScript(`${READ_ENTRY}
local out = {}
for i, key in ipairs(KEYS) do out[i] = read_entry(key, ARGV[1]) end
return out`);

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
