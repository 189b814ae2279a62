/** @module Lua: records a job and a snapshot of its group, read at one instant. */
import { GROUP_BACKLOG } from "./backlog";

export const RECORD_SNAPSHOT = `--[[
  KEYS[1]  stream
  KEYS[2]  dead-letter stream
  KEYS[3]  history: list of snapshot lines, newest first
  KEYS[4]  last jobs: hash, "drain" / "sweep" -> that job's last record (JSON)
  ARGV[1]  group
  ARGV[2]  t: start of the job's minute, ms since epoch
  ARGV[3]  snapshots kept, at least 1
  ARGV[4]  the job, "drain" or "sweep": its field in KEYS[4]
  ARGV[5]  its record, JSON
  ARGV[6]  read (a drain's read, a sweep's claimed)
  ARGV[7]  acked
  ARGV[8]  failed
  ARGV[9]  dead-lettered
  ARGV[10] cap: most entries counted one by one where XINFO GROUPS has no lag

  Reads the group's pending count and backlog (XINFO GROUPS lag on Redis 7.0; where it is
  missing or unknown, countAfter of GROUP_BACKLOG from the last-delivered-id), XLEN of the
  stream and of the dead-letter stream, all at one instant. Writes the minute's line
  "t length backlog pending dlq read acked failed dead jobs" ("-" as the backlog when the
  stream or the group is missing): when the newest line is of the same minute it is replaced,
  its counters summed with the job's and its gauges from now; else the line is pushed. The
  list is then trimmed to the kept count and the record stored. Returns the line.
]]
${GROUP_BACKLOG}
local stream, dlq, history, lastJobs = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, t, keep = ARGV[1], ARGV[2], tonumber(ARGV[3])
local length = redis.call("XLEN", stream)
local dlqLength = redis.call("XLEN", dlq)
local pending, backlog = 0, "-"
local info = groupInfo(stream, group)
if info ~= nil then
  pending = info.pending
  if type(info.lag) == "number" then
    backlog = info.lag
  else
    backlog = countAfter(stream, info["last-delivered-id"], tonumber(ARGV[10]))
  end
end
-- read acked failed dead jobs
local counts = { tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), 1 }
local head = redis.call("LINDEX", history, 0)
local same = false
if head then
  local old = {}
  for word in string.gmatch(head, "%S+") do old[#old + 1] = word end
  same = old[1] == t and #old == 10
  if same then
    for i = 1, 5 do counts[i] = counts[i] + (tonumber(old[i + 5]) or 0) end
  end
end
local function int(n) return string.format("%d", n) end
local words = { t, int(length), backlog == "-" and "-" or int(backlog), int(pending), int(dlqLength) }
for i = 1, 5 do words[#words + 1] = int(counts[i]) end
local line = table.concat(words, " ")
if same then
  redis.call("LSET", history, 0, line)
else
  redis.call("LPUSH", history, line)
end
redis.call("LTRIM", history, 0, keep - 1)
redis.call("HSET", lastJobs, ARGV[4], ARGV[5])
return line
`;
