/** @module Lua: records where a group could be recreated without skipping an unfinished entry. */

export const GROUP_POSITION = `--[[
  KEYS[1]  stream
  KEYS[2]  hash about the group (see streamKeys().groupStart)
  ARGV[1]  group
  ARGV[2]  now (ms since epoch)

  The resume point is the id a recreated group must start after so that nothing unfinished
  is skipped: the entry before the oldest pending one, or the last-delivered-id when nothing
  is pending (the lower of the two, since XGROUP SETID can move last-delivered-id below
  pending entries). Reading both and writing in one script keeps them of one moment.
  Stored as resume_after (+ resume_at); returns it, or "" when the group does not exist.
]]
local stream, meta, group, now = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local ok, groups = pcall(redis.call, "XINFO", "GROUPS", stream)
if not ok then return "" end
local last = nil
for _, row in ipairs(groups) do
  local info = {}
  for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
  if info.name == group then last = info["last-delivered-id"] end
end
if last == nil then return "" end
local function parse(id)
  local ms, seq = string.match(id, "^(%d+)-(%d+)$")
  return ms, seq
end
local function before(id)
  local ms, seq = parse(id)
  if seq ~= "0" then
    -- seq fits a double exactly up to 2^53, far beyond what one millisecond can hold
    return ms .. "-" .. string.format("%.0f", tonumber(seq) - 1)
  end
  if ms == "0" then return "0-0" end
  return string.format("%.0f", tonumber(ms) - 1) .. "-18446744073709551615"
end
local function lower(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  local an, bn = tonumber(ams), tonumber(bms)
  if an ~= bn then return an < bn and a or b end
  return tonumber(aseq) <= tonumber(bseq) and a or b
end
local resume = last
local summary = redis.call("XPENDING", stream, group)
if summary[1] > 0 then resume = lower(before(summary[2]), last) end
redis.call("HSET", meta, "resume_after", resume, "resume_at", now)
return resume
`;
