/** @module Lua: takes, renews, releases and counts the slots of running drains, expired ones dropped. */

export const DRAIN_SLOTS = `--[[
  KEYS[1]  sorted set of running drains (see streamKeys().drains): member = consumer name,
           score = when its slot expires (ms since epoch)
  ARGV[1]  "take" | "renew" | "release" | "count"
  ARGV[2]  now (ms since epoch)
  ARGV[3]  consumer name (take, renew, release)
  ARGV[4]  expiry (ms since epoch) of the slot (take, renew)
  ARGV[5]  most slots at once (take)

  Expired slots (a drain killed before it released its slot) are dropped first, so a dead
  invocation holds a slot no longer than its expiry. "take" adds the member only while fewer
  than ARGV[5] live slots exist, checking and adding in one step so racing drains never pass
  the limit. Returns: take 1 (taken) or 0 (full); renew 1 or 0 (slot gone); release 1 or 0;
  count the live slots.
]]
local key, op, now = KEYS[1], ARGV[1], tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
if op == "count" then return redis.call("ZCARD", key) end
local member = ARGV[3]
if op == "release" then return redis.call("ZREM", key, member) end
local expiry = ARGV[4]
-- The key lives as long as its latest slot: nothing is left behind once all have expired.
local function keepUntilLatest()
  local latest = redis.call("ZRANGE", key, -1, -1, "WITHSCORES")
  if latest[2] then redis.call("PEXPIREAT", key, latest[2]) end
end
if op == "renew" then
  if not redis.call("ZSCORE", key, member) then return 0 end
  redis.call("ZADD", key, expiry, member)
  keepUntilLatest()
  return 1
end
if not redis.call("ZSCORE", key, member) and redis.call("ZCARD", key) >= tonumber(ARGV[5]) then
  return 0
end
redis.call("ZADD", key, expiry, member)
keepUntilLatest()
return 1
`;
