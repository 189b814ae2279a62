/** @module Lua: puts dead-letter entries back on the source stream, atomically per entry. */

export const DEAD_LETTER_REDRIVE = `--[[
  KEYS[1]  dead-letter stream
  KEYS[2]  stream to redrive into
  ARGV[1..] per entry: dead-letter id, n (number of field/value strings), then n strings

  Each entry is added back ("XADD stream * f v ...") and deleted from the dead-letter
  stream together, and only if it is still there: two redrives racing never duplicate
  an entry. Returns "[dlqId, newId]" pairs of what was moved.
]]
local dlq, stream = KEYS[1], KEYS[2]
local moved = {}
local i = 1
while i <= #ARGV do
  local id, n = ARGV[i], tonumber(ARGV[i + 1])
  local fields = {}
  for j = 1, n do fields[j] = ARGV[i + 1 + j] end
  i = i + 2 + n
  if #redis.call("XRANGE", dlq, id, id) == 1 then
    local newId = redis.call("XADD", stream, "*", unpack(fields))
    redis.call("XDEL", dlq, id)
    moved[#moved + 1] = { id, newId }
  end
end
return moved
`;
