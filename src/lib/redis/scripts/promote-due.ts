/** @module Lua: moves the delayed messages that are due into their stream, in one step. */

export const PROMOTE_DUE = `--[[
  KEYS[1]  the delayed set (streamKeys().delayed): each member the JSON
           {"n": "<nonce>", "p": ["field", "value", ...]}, scored by when it is due (ms)
  KEYS[2]  the stream
  ARGV[1]  now, in ms: members scored at most this are due
  ARGV[2]  most messages to move

  Moves the due messages, earliest first, into the stream: each is added by XADD * with its
  pairs and removed from the set in the same step, so a message is never in both places nor
  in neither, and two runs at once never move one twice. Every member is read before
  anything is written: one that is not a message (the set was edited by hand) fails the run
  with nothing moved. The nonce keeps two identical messages apart in the set, and as it
  starts with a sequence number, messages due in the same ms leave in the order sent.
  Returns {moved, nextDue}: nextDue is the lowest score left in the set, -1 when it is empty.
]]
local delayed, stream = KEYS[1], KEYS[2]
local due = redis.call("ZRANGEBYSCORE", delayed, "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
local lists = {}
for i, member in ipairs(due) do
  local ok, message = pcall(cjson.decode, member)
  local p = ok and type(message) == "table" and message.p
  local valid = type(p) == "table" and #p > 0 and #p % 2 == 0
  if valid then
    for _, value in ipairs(p) do
      if type(value) ~= "string" then valid = false end
    end
  end
  if not valid then
    return redis.error_reply("ERR delayed member " .. i .. " due by " .. ARGV[1] .. " is not a message")
  end
  lists[i] = p
end
for i, member in ipairs(due) do
  redis.call("XADD", stream, "*", unpack(lists[i]))
  redis.call("ZREM", delayed, member)
end
local first = redis.call("ZRANGE", delayed, 0, 0, "WITHSCORES")
local nextDue = -1
if first[2] then nextDue = tonumber(first[2]) end
return {#due, nextDue}
`;
