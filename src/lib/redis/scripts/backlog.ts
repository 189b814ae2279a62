/** @module Lua: estimates how many entries a group has not been delivered yet. */

export const BACKLOG = `--[[
  KEYS[1]  stream
  ARGV[1]  group
  ARGV[2]  cap: most entries counted one by one

  The group's backlog is what comes after its last-delivered-id: entries no consumer has
  read yet (pending ones are the sweep's). XINFO GROUPS gives that id on Redis 6.2 and on
  Upstash, which lack the "lag" field of Redis 7.0, so the entries are counted with XRANGE
  from just after it, a page at a time (at most one page of message bodies in memory).
  Up to the cap the count is exact. At the cap, counting on would cost time in Redis, so the
  rest is extrapolated from the counted entries' id times (entries per ms between the first
  and the last counted) to the stream's newest id, and bounded by XLEN: a backlog far past
  the cap is still seen as such. Returns the count, or -1 when the stream or the group does
  not exist.
]]
local stream, group, cap = KEYS[1], ARGV[1], tonumber(ARGV[2])
local ok, groups = pcall(redis.call, "XINFO", "GROUPS", stream)
if not ok then return -1 end
local last = nil
for _, row in ipairs(groups) do
  local info = {}
  for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
  if info.name == group then last = info["last-delivered-id"] end
end
if last == nil then return -1 end
-- Nothing can come after the largest id; "(" of it is an error.
if last == "18446744073709551615-18446744073709551615" then return 0 end
local function ms(id) return tonumber(string.match(id, "^(%d+)-")) end
local PAGE = 100
local count, first, newest = 0, nil, nil
while count < cap do
  local want = math.min(PAGE, cap - count)
  local page = redis.call("XRANGE", stream, "(" .. last, "+", "COUNT", want)
  if #page > 0 then
    first = first or page[1][1]
    newest = page[#page][1]
    last = newest
  end
  count = count + #page
  if #page < want then return count end
end
local top = redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1)[1][1]
local perMs = count / (ms(newest) - ms(first) + 1)
local rest = math.floor(perMs * (ms(top) - ms(newest)))
return math.min(count + rest, redis.call("XLEN", stream))
`;
