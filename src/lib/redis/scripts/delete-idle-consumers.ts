/** @module Lua: deletes the group's consumers that own nothing and have been idle long enough. */

export const DELETE_IDLE_CONSUMERS = `--[[
  KEYS[1]  stream
  ARGV[1]  group
  ARGV[2]  retention in ms: only consumers idle longer than this are deleted
  ARGV[3]  a consumer never to delete (the sweep's own)

  XGROUP DELCONSUMER destroys the consumer's pending entries; they do not go back to the
  group. Reading XINFO CONSUMERS and deleting in one script means no read or claim can give
  a consumer entries between the check and the delete. Returns the names deleted.
]]
local stream, group, keep = KEYS[1], ARGV[1], ARGV[3]
local retention = tonumber(ARGV[2])
local deleted = {}
for _, row in ipairs(redis.call("XINFO", "CONSUMERS", stream, group)) do
  local info = {}
  for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
  if info.name ~= keep and tonumber(info.pending) == 0 and tonumber(info.idle) > retention then
    redis.call("XGROUP", "DELCONSUMER", stream, group, info.name)
    deleted[#deleted + 1] = info.name
  end
end
return deleted
`;
