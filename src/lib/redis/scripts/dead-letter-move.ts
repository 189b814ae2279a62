/** @module Lua: moves pending entries to the dead-letter stream and acks them, atomically. */

export const DEAD_LETTER_MOVE = `--[[
  KEYS[1]  source stream
  KEYS[2]  dead-letter stream
  ARGV[1]  group
  ARGV[2]  consumer that must own each entry ("" = no PEL check: NOACK reads)
  ARGV[3]  approximate MAXLEN of the dead-letter stream
  ARGV[4]  dead_at (ms since epoch)
  ARGV[5..] per entry, 4 values: id, reason, error, payload (JSON of the original fields)

  An entry is moved only while it is still pending for ARGV[2]: a second sweep or a
  retry that raced this one finds it acked or owned by someone else and skips it, so an
  entry is never dead-lettered twice. "deliveries" is read from the PEL, not trusted
  from the caller. Returns the ids moved.
]]
local stream, dlq = KEYS[1], KEYS[2]
local group, owner, maxlen, deadAt = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local moved = {}
for i = 5, #ARGV, 4 do
  local id, reason, err, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local deliveries = "1"
  local pending = true
  if owner ~= "" then
    local pel = redis.call("XPENDING", stream, group, id, id, 1, owner)
    pending = #pel == 1
    if pending then deliveries = tostring(pel[1][4]) end
  end
  if pending then
    redis.call("XADD", dlq, "MAXLEN", "~", maxlen, "*",
      "original_id", id, "original_stream", stream, "group", group,
      "last_consumer", owner, "deliveries", deliveries, "reason", reason,
      "error", err, "dead_at", deadAt, "payload", payload)
    redis.call("XACK", stream, group, id)
    moved[#moved + 1] = id
  end
end
return moved
`;
