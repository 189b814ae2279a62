/** @module Lua: estimates how many entries a group has not been delivered yet. */

/**
 * Lua fragment shared by the scripts that need a group's backlog ({@link BACKLOG},
 * `RECORD_SNAPSHOT`): defines two local functions, to be pasted at a script's top level.
 * - `groupInfo(stream, group)`: the group's XINFO GROUPS row as a table (`info.pending`,
 *   `info["last-delivered-id"]`, `info.lag` where Redis 7.0 gives it), or `nil` when the
 *   stream or the group does not exist.
 * - `countAfter(stream, last, cap)`: the entries after id `last`. XINFO GROUPS gives that id
 *   on Redis 6.2 and on Upstash, which lack the "lag" field of Redis 7.0, so the entries are
 *   counted with XRANGE from just after it, a page at a time (at most one page of message
 *   bodies in memory). Up to the cap the count is exact. At the cap, counting on would cost
 *   time in Redis, so the rest is extrapolated from the counted entries' id times (entries
 *   per ms between the first and the last counted) to the stream's newest id, and bounded by
 *   XLEN: a backlog far past the cap is still seen as such.
 */
export const GROUP_BACKLOG = `
local function groupInfo(stream, group)
  local ok, groups = pcall(redis.call, "XINFO", "GROUPS", stream)
  if not ok then return nil end
  for _, row in ipairs(groups) do
    local info = {}
    for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
    if info.name == group then return info end
  end
  return nil
end
local function countAfter(stream, last, cap)
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
end
`;

export const BACKLOG = `--[[
  KEYS[1]  stream
  ARGV[1]  group
  ARGV[2]  cap: most entries counted one by one

  The group's backlog is what comes after its last-delivered-id: entries no consumer has
  read yet (pending ones are the sweep's), counted by countAfter (GROUP_BACKLOG) whatever
  the Redis version, so Redis 6.2, Upstash and Redis 7.0 answer alike. Returns the count,
  or -1 when the stream or the group does not exist.
]]
${GROUP_BACKLOG}
local stream, group, cap = KEYS[1], ARGV[1], tonumber(ARGV[2])
local info = groupInfo(stream, group)
if info == nil then return -1 end
return countAfter(stream, info["last-delivered-id"], cap)
`;
