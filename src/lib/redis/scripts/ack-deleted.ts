/** @module Lua: acks the pending ids whose entries were deleted or trimmed, and only those. */

export const ACK_DELETED = `--[[
  KEYS[1]  stream
  ARGV[1]  group
  ARGV[2..] ids an XCLAIM asked for and did not get back

  An id whose entry no longer exists was deleted or trimmed while pending: it is acked
  (Redis 7's XCLAIM already dropped it from the PEL, older servers keep it there) and
  returned. An id whose entry still exists was claimed, read or acked by someone else in
  between and is left alone: acking it would lose a message another consumer is handling.
  Checking and acking in one script means no claim can slip in between.
]]
local stream, group = KEYS[1], ARGV[1]
local deleted = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if #redis.call("XRANGE", stream, id, id) == 0 then
    redis.call("XACK", stream, group, id)
    deleted[#deleted + 1] = id
  end
end
return deleted
`;
