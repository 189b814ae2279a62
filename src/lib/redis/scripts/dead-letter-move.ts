/** @module Lua: copies pending entries into the dead-letter stream inside Redis and acks them. */

export const DEAD_LETTER_MOVE = `--[[
  KEYS[1]  source stream
  KEYS[2]  dead-letter stream
  KEYS[3]  failures hash of the group (entry id -> handler runs that failed)
  ARGV[1]  group
  ARGV[2]  consumer that must own each entry ("" = no PEL check: NOACK reads)
  ARGV[3]  capacity: no dead letter is added once the dead-letter stream holds this many
  ARGV[4]  dead_at (ms since epoch)
  ARGV[5]  most pairs copied verbatim; a wider entry is stored as one JSON array
  ARGV[6..] per entry, 3 values: id, reason, error

  The entry is read here (XRANGE id id) and its pairs copied after the metadata, so its
  bytes never leave Redis and the request does not grow with the payload. An entry is
  moved only while still pending for ARGV[2]: a racing sweep or retry finds it acked or
  owned by someone else, so it is never dead-lettered twice. "deliveries" comes from the
  PEL, "failures" from KEYS[3]. An entry deleted while pending is acked, not moved. The
  dead-letter stream is never trimmed: once full, entries stay pending (NOACK reads, pending
  nowhere, are added all the same: nothing else holds them). Each entry runs
  under pcall: Lua does not roll back, so one failing entry must not hide what the
  others already did.
  Returns per entry, in order: {id, "moved" | "not_pending" | "gone" | "full"} or
  {id, "failed", error}.
]]
local stream, dlq, failures = KEYS[1], KEYS[2], KEYS[3]
local group, owner, capacity, deadAt = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local maxPairs = tonumber(ARGV[5])

local function settle(id, reason, err)
  local deliveries = "1"
  if owner ~= "" then
    local pel = redis.call("XPENDING", stream, group, id, id, 1, owner)
    if #pel == 0 then return "not_pending" end
    deliveries = tostring(pel[1][4])
  end
  local found = redis.call("XRANGE", stream, id, id)
  if #found == 0 then
    redis.call("XACK", stream, group, id)
    redis.call("HDEL", failures, id)
    return "gone"
  end
  -- Read with NOACK, the entry is pending nowhere: left out, it would be lost. Only
  -- pending entries wait for room.
  if owner ~= "" and redis.call("XLEN", dlq) >= capacity then return "full" end
  local failed = redis.call("HGET", failures, id) or "0"
  local flat = found[1][2]
  local add = { "XADD", dlq, "*", "original_id", id, "original_stream", stream,
    "group", group, "last_consumer", owner, "deliveries", deliveries, "failures", failed,
    "reason", reason, "error", err, "dead_at", deadAt }
  if #flat <= 2 * maxPairs then
    add[#add + 1] = "format"
    add[#add + 1] = "pairs"
    for i = 1, #flat do add[#add + 1] = flat[i] end
  else
    -- unpack() cannot pass this many values; cjson keeps bytes >= 0x80 as they are.
    add[#add + 1] = "format"
    add[#add + 1] = "json"
    add[#add + 1] = "pairs"
    add[#add + 1] = cjson.encode(flat)
  end
  -- The XADD is the last call that can fail: the group and both keys were just read.
  redis.call(unpack(add))
  redis.call("XACK", stream, group, id)
  redis.call("HDEL", failures, id)
  return "moved"
end

local out = {}
for i = 6, #ARGV, 3 do
  local id = ARGV[i]
  local ok, outcome = pcall(settle, id, ARGV[i + 1], ARGV[i + 2])
  if ok then
    out[#out + 1] = { id, outcome }
  else
    local message = type(outcome) == "table" and outcome.err or tostring(outcome)
    out[#out + 1] = { id, "failed", message }
  end
end
return out
`;
