/** @module Lua: creates a consumer group and records where it started, atomically. */

export const GROUP_CREATE = `--[[
  KEYS[1]  stream
  KEYS[2]  hash recording where the group started (see streamKeys().groupStart)
  ARGV[1]  group
  ARGV[2]  start id as configured: "$", "0" or a stream id
  ARGV[3]  now (ms since epoch)

  XGROUP CREATE ... MKSTREAM. A group that already exists (BUSYGROUP) is left alone and
  nothing is recorded. Otherwise the group's last-delivered-id right after the create is the
  id it starts after ("$" resolved to the stream's top), read before any consumer can move
  it: creating and reading in one script means no read slips in between.
  A group this hash already knows existed before and was destroyed (XGROUP DESTROY, or its
  stream deleted): it is recreated after its recorded resume_after, or at "0" when none was
  recorded, never at ARGV[2] again: "$" would skip what arrived in between, and duplicates
  are better than a loss.
  Returns {1, startedAfter, startId} when created, {2, startedAfter, startId} when
  recreated, {0, "", ""} when the group existed.
]]
local stream, meta = KEYS[1], KEYS[2]
local group, startId, now = ARGV[1], ARGV[2], ARGV[3]
local recreated = redis.call("EXISTS", meta) == 1
if recreated then startId = redis.call("HGET", meta, "resume_after") or "0" end
local created = redis.pcall("XGROUP", "CREATE", stream, group, startId, "MKSTREAM")
if type(created) == "table" and created.err then
  if string.find(created.err, "BUSYGROUP", 1, true) then return {0, "", ""} end
  return redis.error_reply(created.err)
end
local startedAfter = ""
for _, row in ipairs(redis.call("XINFO", "GROUPS", stream)) do
  local info = {}
  for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
  if info.name == group then startedAfter = info["last-delivered-id"] end
end
if recreated then
  redis.call("HSET", meta, "recreated_after", startedAfter, "recreated_at", now)
  return {2, startedAfter, startId}
end
redis.call("HSET", meta, "start_id", startId, "started_after", startedAfter, "created_at", now)
return {1, startedAfter, startId}
`;
